//! Every table of the store, declared once.
//!
//! Names are `key_value`-style; ids are ULIDs stored as `u128`, sequence
//! numbers and ordinals as `u64`, times as `i64` milliseconds. Key order is
//! numeric: redb writes integer keys little-endian but compares them by
//! decoding them to integers (its `Key::compare` for `u64`, `u128`, `i64`),
//! and compares tuple keys element by element, so ids sort by creation time,
//! `(conversation, ordinal)` by ordinal within a conversation and
//! `(activity ms, id)` by time (the test below holds redb to this).
//! `&str` and `&[u8]` keys compare bytewise. Records are JSON (`&[u8]`);
//! index tables map to `()`. Nothing outside the store module opens a table.

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

/// SHA-256 of a portal sign-in code → (user id, expires_at ms): single-use
/// codes of `POST /users/{id}/portal-link`, removed when redeemed.
pub(crate) const PORTAL_CODE: TableDefinition<&[u8], (u128, i64)> =
    TableDefinition::new("portal_code");

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

/// The search index (see `search/`): (token, first doc of the block) →
/// a block of postings.
pub(crate) const SEARCH_POSTING: TableDefinition<(&str, u64), &[u8]> =
    TableDefinition::new("search_posting");
/// token → how many documents hold it (BM25's document frequency; also
/// which completions a prefix has).
pub(crate) const SEARCH_TERM: TableDefinition<&str, u64> = TableDefinition::new("search_term");
/// doc number → `DocRecord` (message, conversation, customer, project and
/// the posting traits): what a search reads to confirm a candidate.
pub(crate) const SEARCH_DOC: TableDefinition<u64, &[u8]> = TableDefinition::new("search_doc");
/// (conversation id, doc number) → the posting traits (`flags | norm << 8`):
/// a conversation's documents, which drive a search confined to a few
/// conversations (a customer's own, a crew member's projects').
pub(crate) const SEARCH_CONVERSATION_DOC: TableDefinition<(u128, u64), u16> =
    TableDefinition::new("search_conversation_doc");

/// template id → `Template` JSON.
pub(crate) const TEMPLATE: TableDefinition<u128, &[u8]> = TableDefinition::new("template");
/// A template's name folded to lower case → template id: names are unique
/// ignoring case.
pub(crate) const TEMPLATE_NAME_TEMPLATE: TableDefinition<&str, u128> =
    TableDefinition::new("template_name_template");
// ---- Analytics: kept in step with messages, receipts and conversation
// changes, in the same transaction (see `analytics`). Only customer
// conversations count, and never a staff-only note. A scope is 0 for every
// customer together, a customer's id, or a staff member's id.

/// (scope, UTC hour start ms) → `HourCounters` bytes: messages by direction,
/// channel and quarter hour, attachments, outbound in-app and read.
pub(crate) const ANALYTICS_HOUR: TableDefinition<(u128, i64), &[u8]> =
    TableDefinition::new("analytics_hour");
/// (created ms, message id) → (customer id, sender id, `Facts` bits): every
/// message counted, for the partial hours at the edges of a range.
pub(crate) const ANALYTICS_MESSAGE: TableDefinition<(i64, u128), (u128, u128, u8)> =
    TableDefinition::new("analytics_message");
/// (UTC hour start ms, chunk) → bitmap of the customers (by their
/// `analytics_customer` number: bit n of chunk c is customer c × 2048 + n)
/// with a message in that hour. Bitmaps, so that counting the distinct
/// customers of a range reads a row per hour, not one per customer.
pub(crate) const ANALYTICS_ACTIVE: TableDefinition<(i64, u32), &[u8]> =
    TableDefinition::new("analytics_active");
/// customer id → their number for `analytics_active`, in order of first
/// contact from 0 (the next is meta `analytics_customers`).
pub(crate) const ANALYTICS_CUSTOMER: TableDefinition<u128, u32> =
    TableDefinition::new("analytics_customer");
/// (scope, inbound ms, inbound id) → (reply id, reply ms, replier id): the
/// response-time turns, the reply `None` while unanswered. Staff scopes hold
/// only the turns their replies ended.
pub(crate) const ANALYTICS_TURN: TableDefinition<(u128, i64, u128), TurnReply> =
    TableDefinition::new("analytics_turn");
/// (reply id, reply ms, replier id) of an analytics turn.
pub(crate) type TurnReply = (Option<u128>, Option<i64>, Option<u128>);
/// (scope, UTC hour start ms of the turns' inbound) → `TurnHistogram` bytes.
pub(crate) const ANALYTICS_TURN_HOUR: TableDefinition<(u128, i64), &[u8]> =
    TableDefinition::new("analytics_turn_hour");
/// conversation id → (inbound ms, inbound id): the turn waiting for a reply.
pub(crate) const ANALYTICS_OPEN_TURN: TableDefinition<u128, (i64, u128)> =
    TableDefinition::new("analytics_open_turn");
/// (scope, status: 0 open, 1 closed, 2 archived) → customer conversations now.
pub(crate) const ANALYTICS_STATUS: TableDefinition<(u128, u8), u64> =
    TableDefinition::new("analytics_status");
/// staff id → open customer conversations assigned to them now.
pub(crate) const ANALYTICS_ASSIGNED_OPEN: TableDefinition<u128, u64> =
    TableDefinition::new("analytics_assigned_open");
/// staff user id → (): the staff members the agents' figures list (a role
/// never changes, so this is written once, with the user).
pub(crate) const ANALYTICS_STAFF: TableDefinition<u128, ()> =
    TableDefinition::new("analytics_staff");
/// scope (0 or a customer) → (first message ms, last message ms).
pub(crate) const ANALYTICS_CONTACT: TableDefinition<u128, (i64, i64)> =
    TableDefinition::new("analytics_contact");
/// message id → `OutboxEntry` JSON: an `sms` or `email` message waiting to
/// be delivered, written with the message and removed once it is `sent` or
/// `failed`. Ids are time-ordered, so the table is the queue in send order.
pub(crate) const OUTBOX: TableDefinition<u128, &[u8]> = TableDefinition::new("outbox");
/// `"sms:{MessageSid}"` or `"email:{Message-ID}"` → message id: inbound
/// messages by the provider's id, so that a webhook's retry stores nothing new.
pub(crate) const PROVIDER_MESSAGE: TableDefinition<&str, u128> =
    TableDefinition::new("provider_message");

#[cfg(test)]
mod tests {
    use redb::{Database, ReadableDatabase, TableDefinition};

    /// The store's lists rely on numeric key order. Little-endian bytes
    /// compared bytewise would put 256 (`00 01 …`) before 1 (`01 00 …`) and
    /// -1 after 1; redb must compare the numbers.
    #[test]
    fn redb_orders_integer_and_tuple_keys_by_value() {
        const IDS: TableDefinition<u128, ()> = TableDefinition::new("ids");
        const PAIRS: TableDefinition<(i64, u128), ()> = TableDefinition::new("pairs");
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("order.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut ids = txn.open_table(IDS).unwrap();
            let mut pairs = txn.open_table(PAIRS).unwrap();
            for n in [256u128, 1, u128::MAX, 1 << 64] {
                ids.insert(n, ()).unwrap();
            }
            for key in [(1i64, 2u128), (-1, 9), (256, 0), (1, 1)] {
                pairs.insert(key, ()).unwrap();
            }
        }
        txn.commit().unwrap();
        let read = db.begin_read().unwrap();
        let ids: Vec<u128> = read
            .open_table(IDS)
            .unwrap()
            .range::<u128>(..)
            .unwrap()
            .map(|row| row.unwrap().0.value())
            .collect();
        assert_eq!(ids, [1, 256, 1 << 64, u128::MAX]);
        let pairs: Vec<(i64, u128)> = read
            .open_table(PAIRS)
            .unwrap()
            .range::<(i64, u128)>(..)
            .unwrap()
            .map(|row| row.unwrap().0.value())
            .collect();
        assert_eq!(pairs, [(-1, 9), (1, 1), (1, 2), (256, 0)]);
    }
}
