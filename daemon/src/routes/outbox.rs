//! The outbox's routes: queueing a failed `sms` or `email` message again,
//! and the media links SMS attachments go out as.

use commcenter::Timestamp;
use commcenter_files::BlobKey;

use super::Ctx;
use crate::error::ApiError;
use crate::files::serve::{self, Download};
use crate::http::{json_response, Request, Response};

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

/// # `GET /media/{signed}`
///
/// No token: the signed, expiring link (see `outbox::media`) is the
/// authority. A link that does not verify or has expired is 404, like a
/// file that does not exist.
pub async fn media(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let link = ctx.segment().to_owned();
    let not_found = || ApiError::not_found("no such media link, or it has expired");
    let media = &ctx.state.outbox.transports().media;
    let file_id = media
        .verify(&link, Timestamp::now())
        .ok_or_else(not_found)?;
    let meta = ctx
        .state
        .store
        .read(move |v| v.media_file(file_id))
        .await
        .map_err(|_| not_found())?;
    let key = BlobKey::parse(&meta.sha256).ok_or_else(ApiError::internal)?;
    let download = Download {
        key,
        size: meta.size,
        content_type: &meta.content_type,
        name: &meta.name,
    };
    serve::respond(&ctx.state.files, req.headers(), download).await
}
