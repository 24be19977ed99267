//! Liveness, readiness and the API description.

use commcenter::wire::{ErrorCode, Health};

use super::Ctx;
use crate::error::ApiError;
use crate::http::{json_bytes, json_response, Response};

/// # `GET /healthz`
pub async fn healthz(_ctx: Ctx) -> Result<Response, ApiError> {
    Ok(json_response(
        200,
        &Health {
            status: "ok".into(),
        },
    ))
}

/// # `GET /readyz`
///
/// 200 when the daemon accepts work, the store answers and takes writes,
/// and the file storage answers; 503 while starting, draining for shutdown,
/// or while the store cannot write (a full disk), with the cause.
pub async fn readyz(ctx: Ctx) -> Result<Response, ApiError> {
    if !ctx.state.is_ready() {
        return Err(ApiError::new(
            ErrorCode::Unavailable,
            "not ready: starting or shutting down",
        ));
    }
    if let Err(cause) = ctx.state.store.write_health() {
        return Err(ApiError::new(
            ErrorCode::Unavailable,
            format!("the store cannot write: {cause}"),
        ));
    }
    if !ctx.state.store.ping().await {
        return Err(ApiError::new(
            ErrorCode::Unavailable,
            "the store does not answer",
        ));
    }
    if !ctx.state.files.healthy().await {
        return Err(ApiError::new(
            ErrorCode::Unavailable,
            "the file storage does not answer",
        ));
    }
    Ok(json_response(
        200,
        &Health {
            status: "ready".into(),
        },
    ))
}

/// # `GET /api/v1/openapi.json`
pub async fn openapi(_ctx: Ctx) -> Result<Response, ApiError> {
    Ok(json_bytes(200, crate::openapi::document()))
}
