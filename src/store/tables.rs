//! Every table of the store, declared once.
//!
//! Names are `key_value`-style; ids are ULIDs stored as `u128` and sequence
//! numbers and ordinals as `u64`, whose big-endian key encoding keeps their
//! order. Records are JSON (`&[u8]`); index tables map to `()`.
//! Nothing outside the store module opens a table.

use redb::TableDefinition;

/// `"schema_version"`, `"epoch"`, `"last_seq"` → value bytes.
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// user id → `User` JSON.
pub(crate) const USER: TableDefinition<u128, &[u8]> = TableDefinition::new("user");

/// token id → `TokenRecord` JSON.
pub(crate) const TOKEN: TableDefinition<u128, &[u8]> = TableDefinition::new("token");
/// SHA-256 of the token secret → token id.
pub(crate) const TOKEN_HASH_TOKEN: TableDefinition<&[u8], u128> =
    TableDefinition::new("token_hash_token");
/// (user id, token id) → (): a user's tokens.
pub(crate) const USER_TOKEN: TableDefinition<(u128, u128), ()> = TableDefinition::new("user_token");

/// project id → `Project` JSON.
pub(crate) const PROJECT: TableDefinition<u128, &[u8]> = TableDefinition::new("project");
/// (customer id, project id) → (): a customer's projects.
pub(crate) const CUSTOMER_PROJECT: TableDefinition<(u128, u128), ()> =
    TableDefinition::new("customer_project");
/// (crew user id, project id) → (): the projects a crew member is assigned to.
pub(crate) const CREW_PROJECT: TableDefinition<(u128, u128), ()> =
    TableDefinition::new("crew_project");

/// conversation id → `ConversationRecord` JSON.
pub(crate) const CONVERSATION: TableDefinition<u128, &[u8]> = TableDefinition::new("conversation");
/// (last activity ms, conversation id) → (): conversations by recent activity.
pub(crate) const ACTIVITY_CONVERSATION: TableDefinition<(i64, u128), ()> =
    TableDefinition::new("activity_conversation");
/// (customer id, conversation id) → (): a customer's conversations.
pub(crate) const CUSTOMER_CONVERSATION: TableDefinition<(u128, u128), ()> =
    TableDefinition::new("customer_conversation");

/// message id → `MessageRecord` JSON.
pub(crate) const MESSAGE: TableDefinition<u128, &[u8]> = TableDefinition::new("message");
/// (conversation id, ordinal) → message id: a conversation's messages in order.
pub(crate) const CONVERSATION_MESSAGE: TableDefinition<(u128, u64), u128> =
    TableDefinition::new("conversation_message");
/// (message id, user id) → (delivered_at ms, read_at ms).
pub(crate) const MESSAGE_RECEIPT: TableDefinition<(u128, u128), (Option<i64>, Option<i64>)> =
    TableDefinition::new("message_receipt");
/// (conversation id, user id) → `ReadMarker` (ordinals read up to).
pub(crate) const CONVERSATION_READ_MARKER: TableDefinition<(u128, u128), (u64, u64)> =
    TableDefinition::new("conversation_read_marker");

/// seq → `StoredEvent` JSON: the event log, in commit order.
pub(crate) const EVENT: TableDefinition<u64, &[u8]> = TableDefinition::new("event");

/// (user id, idempotency key) → `IdempotentAnswer` JSON.
pub(crate) const USER_IDEMPOTENCY: TableDefinition<(u128, &str), &[u8]> =
    TableDefinition::new("user_idempotency");

/// SHA-256 of a WebSocket ticket → (token id, expires_at ms): single-use
/// credentials for `GET /api/v1/ws?ticket=`, removed when redeemed.
pub(crate) const WS_TICKET: TableDefinition<&[u8], (u128, i64)> = TableDefinition::new("ws_ticket");

/// file id → `FileRecord` JSON.
pub(crate) const FILE: TableDefinition<u128, &[u8]> = TableDefinition::new("file");
/// (blob SHA-256 hex, file id) → (): the files using a blob (as their bytes
/// or thumbnail). A blob no row names is garbage; one that is named is never
/// deleted, however many files share it.
pub(crate) const BLOB_FILE: TableDefinition<(&str, u128), ()> = TableDefinition::new("blob_file");
/// (file id, message id) → (): the messages carrying a file, written with
/// the message; their audiences may read the file.
pub(crate) const FILE_MESSAGE: TableDefinition<(u128, u128), ()> =
    TableDefinition::new("file_message");
