//! Users and tokens.

use commcenter::wire::{NewToken, NewUser, UserPatch};

use super::{create, update, view, Ctx, Replayable};
use crate::error::ApiError;
use crate::http::{no_content, Query, Request, Response};

/// # `GET /api/v1/me`
pub async fn me(ctx: Ctx) -> Result<Response, ApiError> {
    view(&ctx, |v, caller| v.user(caller.user_id)).await
}

/// # `POST /api/v1/users`
pub async fn create_user(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    create(&ctx, req, Replayable::Yes, |tx, caller, new: NewUser| {
        tx.create_user(caller, new)
    })
    .await
}

/// # `GET /api/v1/users`
pub async fn list(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let query = Query::parse(&req);
    let limit = query.limit()?;
    let role = query.enumerated("role")?;
    let q = query.get("q").map(str::to_owned);
    let cursor = query.get("cursor").map(str::to_owned);
    view(&ctx, move |v, caller| {
        v.list_users(caller, role, q.as_deref(), limit, cursor.as_deref())
    })
    .await
}

/// # `GET /api/v1/users/{id}`
pub async fn get(ctx: Ctx) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    view(&ctx, move |v, caller| v.get_user(caller, id)).await
}

/// # `PATCH /api/v1/users/{id}`
pub async fn patch(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    update(&ctx, req, move |tx, caller, p: UserPatch| {
        tx.patch_user(caller, id, p)
    })
    .await
}

/// # `POST /api/v1/users/{id}/tokens`
pub async fn issue_token(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    create(
        &ctx,
        req,
        Replayable::NoSecret,
        move |tx, caller, new: NewToken| tx.issue_token(caller, id, new),
    )
    .await
}

/// # `GET /api/v1/users/{id}/tokens`
pub async fn list_tokens(ctx: Ctx) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    view(&ctx, move |v, caller| {
        v.list_tokens(caller, id)
            .map(|items| commcenter::wire::Page {
                items,
                next_cursor: None,
            })
    })
    .await
}

/// # `DELETE /api/v1/tokens/{id}`
pub async fn revoke_token(ctx: Ctx) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    let caller = ctx.caller()?;
    ctx.state
        .store
        .write(move |tx| tx.revoke_token(&caller, id))
        .await?;
    Ok(no_content())
}
