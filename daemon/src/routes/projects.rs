//! Projects, and their crew conversation's messages.

use commcenter::wire::{NewProject, ProjectPatch};

use super::{create, update, view, Ctx, Replayable};
use crate::error::ApiError;
use crate::http::{Query, Request, Response};

/// # `POST /api/v1/projects`
pub async fn create_project(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    create(&ctx, req, Replayable::Yes, |tx, caller, new: NewProject| {
        tx.create_project(caller, new)
    })
    .await
}

/// # `GET /api/v1/projects`
pub async fn list(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let query = Query::parse(&req);
    let limit = query.limit()?;
    let cursor = query.get("cursor").map(str::to_owned);
    view(&ctx, move |v, caller| {
        v.list_projects(caller, limit, cursor.as_deref())
    })
    .await
}

/// # `GET /api/v1/projects/{id}`
pub async fn get(ctx: Ctx) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    view(&ctx, move |v, caller| v.get_project(caller, id)).await
}

/// # `PATCH /api/v1/projects/{id}`
pub async fn patch(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    update(&ctx, req, move |tx, caller, p: ProjectPatch| {
        tx.patch_project(caller, id, p)
    })
    .await
}

/// # `GET /api/v1/projects/{id}/messages`
pub async fn list_messages(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    let query = Query::parse(&req);
    let limit = query.limit()?;
    let cursor = query.get("cursor").map(str::to_owned);
    view(&ctx, move |v, caller| {
        let project = v.get_project(caller, id)?;
        v.list_messages(caller, project.conversation_id, limit, cursor.as_deref())
    })
    .await
}

/// # `POST /api/v1/projects/{id}/messages`
pub async fn send_message(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    create(&ctx, req, Replayable::Yes, move |tx, caller, new| {
        let project = tx.visible_project(caller, id)?;
        tx.send_message(caller, project.conversation_id, new)
    })
    .await
}
