//! The event log: every state change as a stored, numbered frame.

use serde::{Deserialize, Serialize};

use super::records::decode;
use super::{StoreError, View};
use commcenter::access::{Audience, Caller};
use commcenter::wire::EventData;
use commcenter::Timestamp;

/// One committed event: its `seq`, who may see it, and its WebSocket frame,
/// serialized once at commit so that live delivery and replay send the same
/// bytes. The frame is always serde's encoding of [`Frame`]; text from
/// users (bodies, subjects, error messages) is never pasted into it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredEvent {
    pub seq: u64,
    pub at: Timestamp,
    pub audience: Audience,
    /// `{"type", "seq", "data"}` as JSON text.
    pub frame: String,
}

/// `{"type", "seq", "data"}`: the wire's [`commcenter::wire::Event`], borrowed.
#[derive(Serialize)]
struct Frame<'a> {
    seq: u64,
    #[serde(flatten)]
    data: &'a EventData,
}

impl StoredEvent {
    /// The event with its frame. An event that does not serialize fails the
    /// write that made it (nothing is committed) rather than putting a frame
    /// in the log that does not say what changed.
    pub(super) fn new(
        seq: u64,
        at: Timestamp,
        audience: Audience,
        data: &EventData,
    ) -> Result<Self, StoreError> {
        let frame = serde_json::to_string(&Frame { seq, data }).map_err(|e| {
            StoreError::Internal(format!("event {} does not serialize: {e}", data.kind()))
        })?;
        Ok(StoredEvent {
            seq,
            at,
            audience,
            frame,
        })
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
        for row in self.event.range(since.saturating_add(1)..)? {
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
        Ok(self.event.first()?.map(|(k, _)| k.value()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commcenter::wire::{Channel, Direction, Event, Message, MessageStatus};
    use commcenter::Id;

    /// Text as hostile to hand-built JSON as it gets: quotes, backslashes,
    /// newlines, a control character, a `}` that would close an object.
    const HOSTILE: &str = "smtp said \"550 no\"\\ \n\r\t\u{1}}{\"type\":\"pwned\"} ☃";

    fn failed_message() -> Message {
        let at = Timestamp::from_millis(1_764_000_000_000);
        Message {
            id: Id::generate(at.millis()),
            conversation_id: Id::generate(at.millis()),
            customer_id: Id::generate(at.millis()),
            project_id: None,
            sender_id: Id::generate(at.millis()),
            direction: Direction::Outbound,
            channel: Channel::Email,
            subject: Some(HOSTILE.into()),
            body: HOSTILE.into(),
            attachments: Vec::new(),
            template_id: None,
            location: None,
            private: false,
            status: MessageStatus::Failed,
            error: Some(HOSTILE.into()),
            created_at: at,
            delivered_at: None,
            read_at: None,
            attempts: 5,
            provider_id: None,
        }
    }

    #[test]
    fn a_frame_with_an_error_text_full_of_quotes_parses_back() {
        let data = EventData::MessageUpdated {
            message: Box::new(failed_message()),
        };
        let audience = Audience::Staff;
        let event = StoredEvent::new(7, Timestamp::from_millis(1), audience, &data).unwrap();
        let parsed: Event = serde_json::from_str(&event.frame).unwrap();
        assert_eq!(parsed, Event { seq: 7, data });
        let EventData::MessageUpdated { message } = parsed.data else {
            unreachable!()
        };
        assert_eq!(message.error.as_deref(), Some(HOSTILE));
    }

    #[test]
    fn a_stored_event_reads_back_with_the_same_frame() {
        let data = EventData::MessageCreated {
            message: Box::new(failed_message()),
        };
        let audience = Audience::Customer {
            customer_id: Id::generate(1),
        };
        let event = StoredEvent::new(1, Timestamp::from_millis(1), audience, &data).unwrap();
        let stored = super::super::records::encode(&event).unwrap();
        let read: StoredEvent = decode(&stored).unwrap();
        assert_eq!(read, event);
    }
}
