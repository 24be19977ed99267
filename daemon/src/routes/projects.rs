//! Projects, and their crew conversation's messages.

use commcenter::template::first_name;
use commcenter::wire::{NewProject, Project, ProjectPatch, User};
use commcenter_store::{StoreError, View};

use super::{create, update, view, Ctx, Replayable};
use crate::error::ApiError;
use crate::http::{Query, Request, Response};

/// # `POST /api/v1/projects`
pub async fn create_project(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    create(&ctx, req, Replayable::Yes, |tx, caller, new: NewProject| {
        let mut project = tx.create_project(caller, new)?;
        project.customer_first_name = customer_first_name(&tx.user(project.customer_id)?);
        Ok(project)
    })
    .await
}

/// # `GET /api/v1/projects`
pub async fn list(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let query = Query::parse(&req);
    let limit = query.limit()?;
    let cursor = query.get("cursor").map(str::to_owned);
    view(&ctx, move |v, caller| {
        let mut page = v.list_projects(caller, limit, cursor.as_deref())?;
        for project in &mut page.items {
            name_customer(v, project)?;
        }
        Ok(page)
    })
    .await
}

/// # `GET /api/v1/projects/{id}`
pub async fn get(ctx: Ctx) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    view(&ctx, move |v, caller| {
        let mut project = v.get_project(caller, id)?;
        name_customer(v, &mut project)?;
        Ok(project)
    })
    .await
}

/// Fills in the customer's first name (see `Project::customer_first_name`).
fn name_customer(v: &View, project: &mut Project) -> Result<(), StoreError> {
    project.customer_first_name = customer_first_name(&v.user(project.customer_id)?);
    Ok(())
}

/// What `Project::customer_first_name` says of `customer`. Read from the
/// user at each answer, never stored, so a renamed or erased customer's old
/// name does not linger in project records.
fn customer_first_name(customer: &User) -> Option<String> {
    first_name(&customer.name).map(str::to_owned)
}

/// # `PATCH /api/v1/projects/{id}`
pub async fn patch(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    update(&ctx, req, move |tx, caller, p: ProjectPatch| {
        let mut project = tx.patch_project(caller, id, p)?;
        project.customer_first_name = customer_first_name(&tx.user(project.customer_id)?);
        Ok(project)
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
