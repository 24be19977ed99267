//! Search.

use commcenter::wire::SearchQuery;

use super::{view, Ctx};
use crate::error::ApiError;
use crate::http::{Query, Request, Response};

/// # `GET /api/v1/search/messages`
pub async fn messages(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let query = Query::parse(&req);
    let limit = query.limit()?;
    let cursor = query.get("cursor").map(str::to_owned);
    let search = SearchQuery {
        q: query.get("q").map(str::to_owned),
        customer_id: query.id("customer_id")?,
        project_id: query.id("project_id")?,
        conversation_id: query.id("conversation_id")?,
        channel: query.enumerated("channel")?,
        direction: query.enumerated("direction")?,
        status: query.enumerated("status")?,
        has_attachments: query.boolean("has_attachments")?,
        since: query.timestamp("since")?,
        until: query.timestamp("until")?,
        sort: query.enumerated("sort")?.unwrap_or_default(),
    };
    view(&ctx, move |v, caller| {
        v.search_messages(caller, &search, limit, cursor.as_deref())
    })
    .await
}
