//! The daemon's figures for a Prometheus scraper (see `crate::metrics`).

use commcenter::access;
use commcenter_store::StoreError;

use super::Ctx;
use crate::error::ApiError;
use crate::http::Response;

/// # `GET /metrics`
///
/// The exposition, for the admin; `--metrics-listen` serves it without a
/// token on an address of its own.
pub async fn metrics(ctx: Ctx) -> Result<Response, ApiError> {
    access::may_read_metrics(&ctx.caller()?).map_err(StoreError::from)?;
    Ok(crate::metrics::exposition(&ctx.state).await)
}
