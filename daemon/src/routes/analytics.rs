//! Analytics (staff): volumes, response times, read rate and engagement.
//! The figures are kept up to date by the store as messages are written;
//! these handlers only read them (see `commcenter_store`'s `analytics`).

use commcenter::Timestamp;
use commcenter_store::AnalyticsQuery;

use super::{view, Ctx};
use crate::error::ApiError;
use crate::http::{Query, Request, Response};

/// `?since=&until=&tz=`; a malformed one is a 400 naming it.
fn analytics_query(query: &Query) -> Result<AnalyticsQuery, ApiError> {
    Ok(AnalyticsQuery::parse(
        query.get("since"),
        query.get("until"),
        query.get("tz"),
    )?)
}

/// `?explain=true|false` (default false).
fn explain(query: &Query) -> Result<bool, ApiError> {
    Ok(query.boolean("explain")?.unwrap_or(false))
}

/// # `GET /api/v1/analytics/overview`
pub async fn overview(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let q = analytics_query(&Query::parse(&req))?;
    view(&ctx, move |v, caller| {
        v.analytics_overview(caller, &q, Timestamp::now())
    })
    .await
}

/// # `GET /api/v1/analytics/customers/{id}`
pub async fn customer(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    let query = Query::parse(&req);
    let (q, explain) = (analytics_query(&query)?, explain(&query)?);
    view(&ctx, move |v, caller| {
        v.analytics_customer(caller, id, &q, explain, Timestamp::now())
    })
    .await
}

/// # `GET /api/v1/analytics/agents`
pub async fn agents(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let q = analytics_query(&Query::parse(&req))?;
    view(&ctx, move |v, caller| {
        v.analytics_agents(caller, &q, Timestamp::now())
    })
    .await
}
