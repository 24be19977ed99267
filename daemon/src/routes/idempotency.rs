//! Creating requests with an `Idempotency-Key` (API.md): the one write
//! wrapper every creating `POST` goes through, whatever its body. A JSON
//! create ([`super::create`]) fingerprints its body; an upload fingerprints
//! the files it received. The key's first answer is stored in the same
//! transaction as what it created, so a repeat gets that answer and creates
//! nothing, even after a crash or a restart.

use commcenter::access::Caller;
use commcenter::wire::ErrorCode;
use commcenter_store::{fingerprint, IdempotentAnswer, Replay, StoreError, Tx};
use http::{HeaderMap, Method, Uri};

use super::Ctx;
use crate::error::ApiError;

/// Whether an idempotent repeat may be answered with the stored first answer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Replayable {
    Yes,
    /// The answer holds a secret that is never stored (a token): a repeat is
    /// refused with 409 instead of replayed.
    NoSecret,
}

/// A keyed request: its key and the fingerprint of what it asks for.
pub struct Idempotency {
    key: String,
    print: String,
}

impl Idempotency {
    /// `key` for the request `method uri` whose content is `content`: its
    /// body, or what an upload received (multipart framing differs between
    /// identical requests, so an upload fingerprints its files instead).
    pub fn new(key: String, method: &Method, uri: &Uri, content: &[u8]) -> Idempotency {
        let target = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
        let print = fingerprint(method.as_str(), target, content);
        Idempotency { key, print }
    }
}

/// The `Idempotency-Key` header: 1 to 255 visible ASCII characters.
pub fn key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
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

/// Runs `create` in one write transaction; it answers `(status, JSON body)`.
/// With a key, the key is checked first (nothing is written on a conflict or
/// a replay) and its answer is remembered in the same transaction.
pub async fn write_once<F>(
    ctx: &Ctx,
    caller: Caller,
    idempotency: Option<Idempotency>,
    replayable: Replayable,
    create: F,
) -> Result<(u16, String), StoreError>
where
    F: FnOnce(&mut Tx<'_>, &Caller) -> Result<(u16, String), StoreError> + Send + 'static,
{
    ctx.state
        .store
        .write(move |tx| {
            let Some(Idempotency { key, print }) = idempotency else {
                return create(tx, &caller);
            };
            if let Replay::Answer(first) = tx.idempotency_check(&caller, &key, &print)? {
                return replay(first, replayable);
            }
            let (status, body) = create(tx, &caller)?;
            let kept = match replayable {
                Replayable::Yes => body.clone(),
                Replayable::NoSecret => redact_secret(&body),
            };
            tx.idempotency_remember(&caller, &key, print, status, kept)?;
            Ok((status, body))
        })
        .await
}

/// For a keyed request whose work is not a store write (a backup): the
/// first answer if the key was used for this request, `None` if it is
/// fresh, 409 if it was used for another request.
pub async fn replay_of(
    ctx: &Ctx,
    caller: Caller,
    keyed: &Idempotency,
) -> Result<Option<(u16, String)>, StoreError> {
    let (key, print) = (keyed.key.clone(), keyed.print.clone());
    ctx.state
        .store
        .write(
            move |tx| match tx.idempotency_check(&caller, &key, &print)? {
                Replay::Answer(first) => Ok(Some((first.status, first.body))),
                Replay::Fresh => Ok(None),
            },
        )
        .await
}

/// Remembers the answer to a keyed request checked with [`replay_of`].
pub async fn remember(
    ctx: &Ctx,
    caller: Caller,
    keyed: Idempotency,
    status: u16,
    body: String,
) -> Result<(), StoreError> {
    let Idempotency { key, print } = keyed;
    ctx.state
        .store
        .write(move |tx| tx.idempotency_remember(&caller, &key, print, status, body))
        .await
}

/// The answer to a repeat: the first answer again, or 409 if it held a
/// secret that was not kept.
fn replay(first: IdempotentAnswer, replayable: Replayable) -> Result<(u16, String), StoreError> {
    match replayable {
        Replayable::Yes => Ok((first.status, first.body)),
        Replayable::NoSecret => Err(StoreError::conflict(
            Some("Idempotency-Key"),
            format!(
                "already issued for this Idempotency-Key ({}); secrets are not kept, \
                 so revoke it and issue another",
                first.body
            ),
        )),
    }
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

/// `value` as the JSON body of an answer.
pub fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_answer_is_kept_as_its_id_only() {
        let body = r#"{"id":"01TOKEN","secret":"cct_s3cr3t"}"#;
        assert_eq!(redact_secret(body), "token 01TOKEN");
    }

    #[test]
    fn the_query_is_part_of_the_fingerprint() {
        let with = |uri: &str| {
            Idempotency::new("k".into(), &Method::POST, &uri.parse().unwrap(), b"x").print
        };
        assert_eq!(with("/api/v1/files"), with("/api/v1/files"));
        assert_ne!(with("/api/v1/files?name=a"), with("/api/v1/files?name=b"));
    }
}
