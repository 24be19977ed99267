//! Message templates (staff).

use commcenter::wire::{NewTemplate, RenderTemplate, TemplateUpdate};

use super::{create, update, view, Ctx, Replayable};
use crate::error::ApiError;
use crate::http::{json_response, no_content, parse_json, read_body, Query, Request, Response};

/// # `GET /api/v1/templates`
pub async fn list(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let query = Query::parse(&req);
    let limit = query.limit()?;
    let cursor = query.get("cursor").map(str::to_owned);
    view(&ctx, move |v, caller| {
        v.list_templates(caller, limit, cursor.as_deref())
    })
    .await
}

/// # `POST /api/v1/templates`
pub async fn create_template(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    create(
        &ctx,
        req,
        Replayable::Yes,
        |tx, caller, new: NewTemplate| tx.create_template(caller, new),
    )
    .await
}

/// # `GET /api/v1/templates/{id}`
pub async fn get(ctx: Ctx) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    view(&ctx, move |v, caller| v.get_template(caller, id)).await
}

/// # `PUT /api/v1/templates/{id}`
pub async fn put(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    update(&ctx, req, move |tx, caller, t: TemplateUpdate| {
        tx.update_template(caller, id, t)
    })
    .await
}

/// # `DELETE /api/v1/templates/{id}`
pub async fn delete(ctx: Ctx) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    let caller = ctx.caller()?;
    ctx.state
        .store
        .write(move |tx| tx.delete_template(&caller, id))
        .await?;
    Ok(no_content())
}

/// # `POST /api/v1/templates/{id}/render`
///
/// A read: rendering changes nothing, so it runs in a read transaction and
/// takes no `Idempotency-Key`.
pub async fn render(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    let caller = ctx.caller()?;
    let bytes = read_body(req, ctx.json_limit()).await?;
    let request: RenderTemplate = parse_json(&bytes)?;
    let rendered = ctx
        .state
        .store
        .read(move |v| v.render_template(&caller, id, request))
        .await?;
    Ok(json_response(200, &rendered))
}
