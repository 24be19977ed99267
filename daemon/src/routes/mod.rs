//! One module per resource. Shared here: the creating `POST` (with
//! idempotency keys, see [`idempotency`]), the updating write and the read.

pub mod analytics;
pub mod conversations;
mod ctx;
pub mod files;
pub mod health;
pub mod idempotency;
pub mod inbound;
pub mod messages;
pub mod outbox;
pub mod portal;
pub mod presence;
pub mod projects;
pub mod search;
pub mod templates;
pub mod users;
pub mod ws;

use commcenter::access::Caller;
use commcenter_store::{StoreError, Tx, View};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use self::ctx::{bearer_secret, Ctx};
pub use self::idempotency::Replayable;
use self::idempotency::{to_json, write_once, Idempotency};
use crate::error::ApiError;
use crate::http::{json_bytes, json_response, parse_json, read_body, Request, Response};

/// A creating `POST`: parse the JSON body into `Req`, run `f` in a write
/// transaction, answer 201. With an `Idempotency-Key`, the key's first answer
/// is stored in the same transaction and a repeat gets it again.
pub async fn create<Req, Res, F>(
    ctx: &Ctx,
    req: Request,
    replayable: Replayable,
    f: F,
) -> Result<Response, ApiError>
where
    Req: DeserializeOwned + Send + 'static,
    Res: Serialize + Send + 'static,
    F: FnOnce(&mut Tx<'_>, &Caller, Req) -> Result<Res, StoreError> + Send + 'static,
{
    let caller = ctx.caller()?;
    let key = idempotency::key(req.headers())?;
    let (method, uri) = (req.method().clone(), req.uri().clone());
    let bytes = read_body(req, ctx.json_limit()).await?;
    let parsed: Req = parse_json(&bytes)?;
    let idempotency = key.map(|key| Idempotency::new(key, &method, &uri, &bytes));
    let (status, body) = write_once(ctx, caller, idempotency, replayable, move |tx, caller| {
        let created = f(tx, caller, parsed)?;
        Ok((201, to_json(&created)?))
    })
    .await?;
    Ok(json_bytes(status, body))
}

/// A write that is not a creation: parse the body (if `Req` is not `()`),
/// run `f`, answer 200 with its result.
pub async fn update<Req, Res, F>(ctx: &Ctx, req: Request, f: F) -> Result<Response, ApiError>
where
    Req: DeserializeOwned + Send + 'static,
    Res: Serialize + Send + 'static,
    F: FnOnce(&mut Tx<'_>, &Caller, Req) -> Result<Res, StoreError> + Send + 'static,
{
    let caller = ctx.caller()?;
    let bytes = read_body(req, ctx.json_limit()).await?;
    let parsed: Req = parse_json(&bytes)?;
    let updated = ctx
        .state
        .store
        .write(move |tx| f(tx, &caller, parsed))
        .await?;
    Ok(json_response(200, &updated))
}

/// A read: run `f` in a read transaction, answer 200 with its result.
pub async fn view<Res, F>(ctx: &Ctx, f: F) -> Result<Response, ApiError>
where
    Res: Serialize + Send + 'static,
    F: FnOnce(&View, &Caller) -> Result<Res, StoreError> + Send + 'static,
{
    let caller = ctx.caller()?;
    let found = ctx.state.store.read(move |v| f(v, &caller)).await?;
    Ok(json_response(200, &found))
}
