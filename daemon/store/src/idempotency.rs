//! Idempotency keys: a creating request repeated with the same key by the
//! same caller within 24 hours gets the first answer and creates nothing.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::records::{decode, encode};
use super::{StoreError, Tx};
use commcenter::access::Caller;
use commcenter::Timestamp;

/// How long an answer is kept for replay, in milliseconds.
pub const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// The first answer to a keyed request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IdempotentAnswer {
    /// Hex SHA-256 over method, path and body of the first request.
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
    pub created_at: Timestamp,
}

/// What to do with a keyed request.
#[derive(Debug)]
pub enum Replay {
    /// Not seen (or expired): run it and remember the answer.
    Fresh,
    /// Seen with the same request: send this answer again.
    Answer(IdempotentAnswer),
}

/// The fingerprint of a request: what must match for a replay.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    hex::encode(hasher.finalize())
}

impl Tx<'_> {
    /// Looks a key up. The same key with another request is a conflict.
    pub fn idempotency_check(
        &self,
        caller: &Caller,
        key: &str,
        fingerprint: &str,
    ) -> Result<Replay, StoreError> {
        let Some(value) = self.user_idempotency.get((caller.user_id.to_u128(), key))? else {
            return Ok(Replay::Fresh);
        };
        let answer: IdempotentAnswer = decode(value.value())?;
        if answer.created_at.plus_millis(IDEMPOTENCY_WINDOW_MS) <= self.now {
            return Ok(Replay::Fresh);
        }
        if answer.fingerprint != fingerprint {
            return Err(StoreError::conflict(
                Some("Idempotency-Key"),
                "this Idempotency-Key was used with a different request",
            ));
        }
        Ok(Replay::Answer(answer))
    }

    /// Remembers the answer to a keyed request, in the same transaction as
    /// what the request created.
    pub fn idempotency_remember(
        &mut self,
        caller: &Caller,
        key: &str,
        fingerprint: String,
        status: u16,
        body: String,
    ) -> Result<(), StoreError> {
        let answer = IdempotentAnswer {
            fingerprint,
            status,
            body,
            created_at: self.now,
        };
        let bytes = encode(&answer)?;
        let row = (caller.user_id.to_u128(), key);
        self.insert(|t| &mut t.user_idempotency, row, bytes.as_slice())
    }
}
