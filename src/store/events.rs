//! The event log: every state change as a stored, numbered frame.

use serde::{Deserialize, Serialize};

use super::records::decode;
use super::{StoreError, View};
use crate::access::{Audience, Caller};
use crate::wire::EventData;
use crate::Timestamp;

/// One committed event: its `seq`, who may see it, and its WebSocket frame,
/// serialized once at commit so that live delivery and replay send the same
/// bytes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredEvent {
    pub seq: u64,
    pub at: Timestamp,
    pub audience: Audience,
    /// `{"type", "seq", "data"}` as JSON text.
    pub frame: String,
}

#[derive(Serialize)]
struct Frame<'a> {
    seq: u64,
    #[serde(flatten)]
    data: &'a EventData,
}

impl StoredEvent {
    pub(super) fn new(seq: u64, at: Timestamp, audience: Audience, data: &EventData) -> Self {
        let frame = serde_json::to_string(&Frame { seq, data }).unwrap_or_else(|e| {
            format!(r#"{{"type":"error","data":{{"code":"internal","message":"{e}"}}}}"#)
        });
        StoredEvent {
            seq,
            at,
            audience,
            frame,
        }
    }
}

impl View {
    /// Up to `limit` stored events after `since` that `caller` may see, in
    /// order, and the last `seq` examined (so a caller can continue from it
    /// even when nothing in the range was theirs).
    pub fn events_after(
        &self,
        caller: &Caller,
        since: u64,
        limit: usize,
    ) -> Result<(Vec<StoredEvent>, u64), StoreError> {
        let mut out = Vec::new();
        let mut last = since;
        for row in self.t.event.range(since.saturating_add(1)..)? {
            let (seq, value) = row?;
            last = seq.value();
            let event: StoredEvent = decode(value.value())?;
            if self.audience_includes(&event.audience, caller)? {
                out.push(event);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok((out, last))
    }

    /// The oldest `seq` still in the log, if any.
    pub fn first_event_seq(&self) -> Result<Option<u64>, StoreError> {
        use redb::ReadableTable;
        Ok(self.t.event.first()?.map(|(k, _)| k.value()))
    }
}
