use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Conversation, Message, Project, ReceiptState};
use crate::{Id, Timestamp};

/// A stored event's payload. Serialized as `{"type": "...", "data": {...}}`,
/// which is the server-to-client WebSocket frame once `seq` is added.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum EventData {
    #[serde(rename = "message.created")]
    MessageCreated { message: Box<Message> },
    #[serde(rename = "message.updated")]
    MessageUpdated { message: Box<Message> },
    #[serde(rename = "receipt")]
    Receipt {
        message_id: Id,
        user_id: Id,
        state: ReceiptState,
        at: Timestamp,
    },
    #[serde(rename = "conversation.updated")]
    ConversationUpdated { conversation: Box<Conversation> },
    #[serde(rename = "project.updated")]
    ProjectUpdated { project: Box<Project> },
}

impl EventData {
    /// The frame type, as on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            EventData::MessageCreated { .. } => "message.created",
            EventData::MessageUpdated { .. } => "message.updated",
            EventData::Receipt { .. } => "receipt",
            EventData::ConversationUpdated { .. } => "conversation.updated",
            EventData::ProjectUpdated { .. } => "project.updated",
        }
    }
}

/// A stored event: its place in the global order and its payload.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Event {
    pub seq: u64,
    #[serde(flatten)]
    pub data: EventData,
}
