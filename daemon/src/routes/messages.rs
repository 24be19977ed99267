//! Messages and receipts.

use commcenter::wire::{NewMessage, ReceiptState};

use super::{create, view, Ctx, Replayable};
use crate::error::ApiError;
use crate::http::{json_response, Query, Request, Response};

/// # `GET /api/v1/conversations/{id}/messages`
pub async fn list(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    let query = Query::parse(&req);
    let limit = query.limit()?;
    let cursor = query.get("cursor").map(str::to_owned);
    view(&ctx, move |v, caller| {
        v.list_messages(caller, id, limit, cursor.as_deref())
    })
    .await
}

/// # `POST /api/v1/conversations/{id}/messages`
pub async fn send(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    create(
        &ctx,
        req,
        Replayable::Yes,
        move |tx, caller, new: NewMessage| tx.send_message(caller, id, new),
    )
    .await
}

/// # `GET /api/v1/messages/{id}`
pub async fn get(ctx: Ctx) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    view(&ctx, move |v, caller| v.get_message(caller, id)).await
}

/// # `POST /api/v1/messages/{id}/delivered` and `POST /api/v1/messages/{id}/read`
pub async fn acknowledge(ctx: Ctx, state: ReceiptState) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    let caller = ctx.caller()?;
    let receipts = ctx
        .state
        .store
        .write(move |tx| tx.acknowledge(&caller, id, state))
        .await?;
    Ok(json_response(200, &receipts))
}

/// # `GET /api/v1/messages/{id}/receipts`
pub async fn receipts(ctx: Ctx) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    view(&ctx, move |v, caller| v.receipts(caller, id)).await
}
