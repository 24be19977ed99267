//! One module per resource. Shared here: the creating-POST path with
//! idempotency keys, and the read path.

pub mod conversations;
pub mod files;
pub mod health;
pub mod messages;
pub mod presence;
pub mod projects;
pub mod users;
pub mod ws;

use commcenter::access::Caller;
use commcenter::store::{fingerprint, Replay, StoreError, Tx, View};
use commcenter::wire::ErrorCode;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ApiError;
use crate::http::{json_bytes, json_response, parse_json, read_body, Request, Response};
use crate::router::Ctx;

/// Whether an idempotent repeat may be answered with the stored first answer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Replayable {
    Yes,
    /// The answer holds a secret that is never stored (a token): a repeat is
    /// refused with 409 instead of replayed.
    NoSecret,
}

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
    let key = idempotency_key(&req)?;
    let (method, path) = (req.method().to_string(), req.uri().path().to_owned());
    let bytes = read_body(req, ctx.json_limit()).await?;
    let parsed: Req = parse_json(&bytes)?;
    let Some(key) = key else {
        let created = ctx
            .state
            .store
            .write(move |tx| f(tx, &caller, parsed))
            .await?;
        return Ok(json_response(201, &created));
    };
    let print = fingerprint(&method, &path, &bytes);
    let (status, body) = ctx
        .state
        .store
        .write(move |tx| {
            if let Replay::Answer(first) = tx.idempotency_check(&caller, &key, &print)? {
                if replayable == Replayable::NoSecret {
                    return Err(StoreError::conflict(
                        Some("Idempotency-Key"),
                        format!("already issued for this Idempotency-Key ({}); secrets are not kept, so revoke it and issue another", first.body),
                    ));
                }
                return Ok((first.status, first.body));
            }
            let created = f(tx, &caller, parsed)?;
            let body = serde_json::to_string(&created).map_err(|e| StoreError::Internal(e.to_string()))?;
            let stored = match replayable {
                Replayable::Yes => body.clone(),
                Replayable::NoSecret => redact_secret(&body),
            };
            tx.idempotency_remember(&caller, &key, print, 201, stored)?;
            Ok((201, body))
        })
        .await?;
    Ok(json_bytes(status, body))
}

/// What is kept of an answer holding a secret: only its `id`.
fn redact_secret(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("id")
                .and_then(|id| id.as_str())
                .map(|id| format!("token {id}"))
        })
        .unwrap_or_else(|| "a token".into())
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

/// The `Idempotency-Key` header: 1 to 255 visible ASCII characters.
fn idempotency_key(req: &Request) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let bad = || {
        ApiError::new(
            ErrorCode::BadRequest,
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        )
        .with_field("Idempotency-Key")
    };
    let key = value.to_str().map_err(|_| bad())?;
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(Some(key.to_owned()))
}
