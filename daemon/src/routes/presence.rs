//! Who is online.

use super::Ctx;
use crate::error::ApiError;
use crate::http::{json_response, Response};

/// # `GET /api/v1/presence`
///
/// Every user with whether they have a WebSocket open and when they were
/// last seen (for those online: now), oldest user first. Staff only.
pub async fn list(ctx: Ctx) -> Result<Response, ApiError> {
    let caller = ctx.caller()?;
    let presence = ctx.state.realtime.presence(&caller).await?;
    Ok(json_response(200, &presence))
}
