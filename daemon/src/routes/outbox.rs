//! The outbox's route: queueing a failed `sms` or `email` message again.

use super::Ctx;
use crate::error::ApiError;
use crate::http::{json_response, Response};

/// # `POST /api/v1/messages/{id}/retry`
///
/// Staff; a `failed` message goes back to `queued` with a fresh retry
/// budget (its `attempts` keep counting); any other status is 409.
pub async fn retry(ctx: Ctx) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    let caller = ctx.caller()?;
    let message = ctx
        .state
        .store
        .write(move |tx| tx.retry_delivery(&caller, id))
        .await?;
    Ok(json_response(200, &message))
}
