use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Channel;
use crate::{Id, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// Between the business and one customer.
    Customer,
    /// A project's crew channel: staff and the crew assigned to the project.
    Project,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    Open,
    Closed,
    Archived,
}

/// A conversation as one caller sees it: counts, preview and `unread_count`
/// leave out what the caller may not see (staff-only notes for customers and
/// crew).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Conversation {
    pub id: Id,
    pub kind: ConversationKind,
    pub customer_id: Id,
    pub project_id: Option<Id>,
    pub subject: Option<String>,
    pub status: ConversationStatus,
    pub assignee_id: Option<Id>,
    pub tags: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_message_at: Option<Timestamp>,
    pub last_message_preview: Option<String>,
    pub message_count: u64,
    pub unread_count: u64,
}

/// `POST /api/v1/conversations`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversation {
    pub customer_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// `PATCH /api/v1/conversations/{id}`: absent fields stay, `assignee_id: null`
/// unassigns.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ConversationStatus>,
    #[serde(
        default,
        deserialize_with = "super::double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub assignee_id: Option<Option<Id>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

/// `POST /api/v1/conversations/{id}/read`: `up_to` defaults to the newest message.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadUpTo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_to: Option<Id>,
}

/// The filters of `GET /api/v1/conversations` (its query parameters).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConversationFilter {
    pub status: Option<ConversationStatus>,
    pub customer_id: Option<Id>,
    pub project_id: Option<Id>,
    pub assignee_id: Option<Id>,
    pub kind: Option<ConversationKind>,
    pub channel: Option<Channel>,
}
