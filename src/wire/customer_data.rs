//! Customer data: everything stored about a user as one document
//! (`GET /users/{id}/export`), and what erasing a customer did
//! (`DELETE /users/{id}?erase=true`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::wire::{
    Channel, Conversation, FileMeta, Message, MessageStatus, Project, TokenInfo, User,
};
use crate::{Id, Timestamp};

/// `GET /api/v1/users/{id}/export`: every record about one user, read in one
/// snapshot of the store. Files are described and linked, not embedded.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct UserExport {
    pub exported_at: Timestamp,
    pub user: User,
    /// The user's tokens, without secrets.
    pub tokens: Vec<TokenInfo>,
    /// A customer's own projects, or the projects a crew member is assigned to.
    pub projects: Vec<Project>,
    /// The conversations where the user is the customer, and for crew the
    /// project conversations they take part in; as staff see them.
    pub conversations: Vec<Conversation>,
    /// Every message in those conversations (staff-only notes included,
    /// marked `private`), then every message the user sent elsewhere; in
    /// time order.
    pub messages: Vec<Message>,
    /// Receipts on those messages, and every receipt the user made.
    pub receipts: Vec<ExportedReceipt>,
    /// Files the user uploaded or that those messages carry.
    pub files: Vec<ExportedFile>,
    /// Delivery state of the `sms` and `email` messages among `messages`.
    pub deliveries: Vec<ExportedDelivery>,
}

/// One recipient's receipt of one message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct ExportedReceipt {
    pub message_id: Id,
    pub user_id: Id,
    pub delivered_at: Option<Timestamp>,
    pub read_at: Option<Timestamp>,
}

/// A file's description and where to download it (`/api/v1/files/{id}`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct ExportedFile {
    pub file: FileMeta,
    pub url: String,
}

/// Where an `sms` or `email` message is in the outbox.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct ExportedDelivery {
    pub message_id: Id,
    pub channel: Channel,
    pub status: MessageStatus,
    pub attempts: u32,
    pub provider_id: Option<String>,
    pub error: Option<String>,
    /// Whether the message still waits in the outbox.
    pub queued: bool,
    /// Not to be attempted before this, while queued.
    pub not_before: Option<Timestamp>,
}

/// `DELETE /api/v1/users/{id}?erase=true`: what the erasure did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct ErasureSummary {
    pub user_id: Id,
    /// Conversations whose subject and previews were erased.
    pub erased_conversations: u64,
    /// Messages whose body, subject, location, attachments and error were erased.
    pub erased_messages: u64,
    /// File records removed (their bytes are deleted unless another file shares them).
    pub erased_files: u64,
    pub revoked_tokens: u64,
    pub removed_portal_codes: u64,
    /// Queued `sms`/`email` messages that will not be sent (now `failed`).
    pub cancelled_deliveries: u64,
    /// Idempotency answers removed (the user's own, and any naming the user).
    pub removed_idempotency_answers: u64,
    /// Stored event frames rewritten with the erased content.
    pub rewritten_events: u64,
}
