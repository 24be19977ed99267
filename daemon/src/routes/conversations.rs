//! Conversations.

use commcenter::wire::{ConversationFilter, ConversationPatch, NewConversation, ReadUpTo};

use super::{create, update, view, Ctx, Replayable};
use crate::error::ApiError;
use crate::http::{Query, Request, Response};

/// # `POST /api/v1/conversations`
pub async fn create_conversation(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    create(
        &ctx,
        req,
        Replayable::Yes,
        |tx, caller, new: NewConversation| tx.create_conversation(caller, new),
    )
    .await
}

/// # `GET /api/v1/conversations`
pub async fn list(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let query = Query::parse(&req);
    let limit = query.limit()?;
    let cursor = query.get("cursor").map(str::to_owned);
    let filter = ConversationFilter {
        status: query.enumerated("status")?,
        customer_id: query.id("customer_id")?,
        project_id: query.id("project_id")?,
        assignee_id: query.id("assignee_id")?,
        kind: query.enumerated("kind")?,
        channel: query.enumerated("channel")?,
    };
    view(&ctx, move |v, caller| {
        v.list_conversations(caller, &filter, limit, cursor.as_deref())
    })
    .await
}

/// # `GET /api/v1/conversations/{id}`
pub async fn get(ctx: Ctx) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    view(&ctx, move |v, caller| v.get_conversation(caller, id)).await
}

/// # `PATCH /api/v1/conversations/{id}`
pub async fn patch(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    update(&ctx, req, move |tx, caller, p: ConversationPatch| {
        tx.patch_conversation(caller, id, p)
    })
    .await
}

/// # `POST /api/v1/conversations/{id}/read`
pub async fn read(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    update(&ctx, req, move |tx, caller, r: ReadUpTo| {
        tx.read_conversation(caller, id, r.up_to)
    })
    .await
}
