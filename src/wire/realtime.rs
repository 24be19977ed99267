//! The WebSocket API (`GET /api/v1/ws`): frames that are not stored events,
//! what clients send, tickets and presence.
//!
//! Stored events (`message.created`, `receipt`, …) are [`super::Event`];
//! the frames here have no `seq` because they are not in the event log.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Id, Timestamp};

/// `start` or `stop` of a typing indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TypingState {
    Start,
    Stop,
}

/// A server-to-client frame that is not a stored event:
/// `{"type": "...", "data": {...}}`, or `{"type": "..."}` for those without data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum LiveFrame {
    /// Always the first frame. `seq` is the newest event already accounted
    /// for: with `?since=`, the events after `since` up to the present follow
    /// (replay); without it, every event after `seq` follows live.
    Hello {
        user_id: Id,
        seq: u64,
        epoch: String,
        heartbeat_s: u64,
    },
    Typing {
        conversation_id: Id,
        user_id: Id,
        state: TypingState,
    },
    Presence(Presence),
    /// The `since`/`epoch` asked for cannot be replayed: the client reloads
    /// its state over HTTP. The connection stays open and live from `hello.seq`.
    ResyncRequired,
    Pong,
    Error {
        code: String,
        message: String,
    },
}

/// A client-to-server frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    Typing {
        conversation_id: Id,
        state: TypingState,
    },
    Delivered {
        message_id: Id,
    },
    Read {
        message_id: Id,
    },
    /// A struct variant, so that unknown fields are refused here too.
    Ping {},
}

/// Whether a user is connected, and when they were last seen.
/// For an online user `last_seen_at` is the time of the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Presence {
    pub user_id: Id,
    pub online: bool,
    pub last_seen_at: Option<Timestamp>,
}

/// `POST /api/v1/ws/ticket` takes an empty object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWsTicket {}

/// A single-use credential for `GET /api/v1/ws?ticket=`, for browsers, which
/// cannot set headers on a WebSocket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WsTicket {
    pub ticket: String,
    pub expires_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_without_data_are_bare_types() {
        let text = serde_json::to_string(&LiveFrame::Pong).unwrap();
        assert_eq!(text, r#"{"type":"pong"}"#);
        let text = serde_json::to_string(&LiveFrame::ResyncRequired).unwrap();
        assert_eq!(text, r#"{"type":"resync_required"}"#);
    }

    #[test]
    fn client_frames_reject_unknown_fields() {
        let ping: ClientFrame = serde_json::from_str(r#"{"type":"ping"}"#).unwrap();
        assert_eq!(ping, ClientFrame::Ping {});
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"ping","x":1}"#).is_err());
        let bad = r#"{"type":"read","message_id":"01J0000000000000000000000","y":2}"#;
        assert!(serde_json::from_str::<ClientFrame>(bad).is_err());
    }
}
