//! Customer data: the export of a user's records and the erasure of a
//! customer's personal data (see `store::customer_data`).

use http::header::{HeaderValue, CONTENT_DISPOSITION};

use super::Ctx;
use crate::error::ApiError;
use crate::http::{json_response, Query, Request, Response};

/// # `GET /api/v1/users/{id}/export`
///
/// One JSON document, built from one read transaction in memory (a user's
/// records, without the files' bytes, are small), sent as a download.
pub async fn export(ctx: Ctx) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    let caller = ctx.caller()?;
    let document = ctx
        .state
        .store
        .read(move |v| v.export_user(&caller, id))
        .await?;
    let mut response = json_response(200, &document);
    let disposition = format!("attachment; filename=\"commcenter-export-{id}.json\"");
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response.headers_mut().insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// # `DELETE /api/v1/users/{id}?erase=true`
///
/// Erases in one transaction, then deletes the blobs the erased files no
/// longer share with any file (a crash in between leaves them to the next
/// start's sweep).
pub async fn erase(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    let caller = ctx.caller()?;
    let erase = Query::parse(&req).boolean("erase")?.unwrap_or(false);
    let erasure = ctx
        .state
        .store
        .write(move |tx| tx.erase_customer(&caller, id, erase))
        .await?;
    ctx.state
        .files
        .delete_unused_blobs(&ctx.state.store, &erasure.blobs)
        .await;
    Ok(json_response(200, &erasure.summary))
}
