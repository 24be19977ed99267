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
/// 200 when the daemon accepts work and the store and the file storage
/// answer; 503 while starting or draining for shutdown.
pub async fn readyz(ctx: Ctx) -> Result<Response, ApiError> {
    if !ctx.state.is_ready() {
        return Err(ApiError::new(
            ErrorCode::Unavailable,
            "not ready: starting or shutting down",
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
