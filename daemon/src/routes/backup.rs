//! Operations: backups of the running daemon (see `crate::backup`).

use commcenter::wire::NewBackup;
use commcenter_store::StoreError;

use super::idempotency::{self, to_json, Idempotency};
use super::Ctx;
use crate::error::ApiError;
use crate::http::{json_bytes, parse_json, read_body, Request, Response};

/// # `POST /api/v1/admin/backup`
///
/// An empty body is `{}`. With an `Idempotency-Key`, a repeat gets the
/// first backup's answer and makes no second backup.
pub async fn create(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let caller = ctx.caller()?;
    commcenter::access::may_back_up(&caller).map_err(StoreError::from)?;
    let key = idempotency::key(req.headers())?;
    let (method, uri) = (req.method().clone(), req.uri().clone());
    let bytes = read_body(req, ctx.json_limit()).await?;
    let new: NewBackup = if bytes.is_empty() {
        NewBackup::default()
    } else {
        parse_json(&bytes)?
    };
    let keyed = key.map(|key| Idempotency::new(key, &method, &uri, &bytes));
    if let Some(keyed) = &keyed {
        if let Some((status, body)) = idempotency::replay_of(&ctx, caller, keyed).await? {
            return Ok(json_bytes(status, body));
        }
    }
    let backup = crate::backup::back_up(&ctx.state, new.to.as_deref()).await?;
    let body = to_json(&backup)?;
    if let Some(keyed) = keyed {
        idempotency::remember(&ctx, caller, keyed, 201, body.clone()).await?;
    }
    Ok(json_bytes(201, body))
}
