//! How domain records are kept in the tables, and the helpers to read and
//! write them.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::StoreError;
use commcenter::access::{self, Audience, Caller};
use commcenter::wire::{
    Channel, Conversation, ConversationFilter, ConversationKind, ConversationStatus, Direction,
    Location, MessageStatus,
};
use commcenter::{Id, Timestamp};

pub(super) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Internal(format!("encode: {e}")))
}

pub(super) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A token as stored: the secret only as its SHA-256.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct TokenRecord {
    pub id: Id,
    pub user_id: Id,
    /// Hex SHA-256 of the secret.
    pub hash: String,
    pub label: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl TokenRecord {
    pub fn hash_bytes(&self) -> Result<[u8; 32], StoreError> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(&self.hash, &mut out)
            .map_err(|_| StoreError::Corrupt(format!("token {} hash", self.id)))?;
        Ok(out)
    }
}

/// Count, time and preview of the newest message, kept twice per
/// conversation: over all messages (what staff see) and over the messages
/// that are not staff-only notes (what customers and crew see).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Tally {
    pub count: u64,
    pub last_at: Option<Timestamp>,
    pub preview: Option<String>,
    /// `Channel::bit`s of the channels used.
    pub channels: u8,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ConversationRecord {
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
    pub all: Tally,
    pub public: Tally,
}

impl ConversationRecord {
    /// Who takes part: staff and the customer, or staff and the project's crew.
    pub fn audience(&self) -> Audience {
        match (self.kind, self.project_id) {
            (ConversationKind::Project, Some(project_id)) => Audience::Crew { project_id },
            _ => Audience::Customer {
                customer_id: self.customer_id,
            },
        }
    }

    /// The tally the caller may see.
    pub fn tally_for(&self, caller: &Caller) -> &Tally {
        if access::may_see_private_notes(caller) {
            &self.all
        } else {
            &self.public
        }
    }

    /// The time the conversation last changed for the activity order.
    pub fn activity(&self) -> i64 {
        self.all.last_at.unwrap_or(self.created_at).millis()
    }

    pub fn to_wire(&self, caller: &Caller, unread_count: u64) -> Conversation {
        let tally = self.tally_for(caller);
        Conversation {
            id: self.id,
            kind: self.kind,
            customer_id: self.customer_id,
            project_id: self.project_id,
            subject: self.subject.clone(),
            status: self.status,
            assignee_id: self.assignee_id,
            tags: self.tags.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            last_message_at: tally.last_at,
            last_message_preview: tally.preview.clone(),
            message_count: tally.count,
            unread_count,
        }
    }
}

/// A message's place in its conversation: its 1-based number among all
/// messages and among those that are not staff-only notes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Ordinals {
    pub all: u64,
    pub public: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct MessageRecord {
    pub id: Id,
    pub conversation_id: Id,
    pub customer_id: Id,
    pub project_id: Option<Id>,
    pub sender_id: Id,
    pub direction: Direction,
    pub channel: Channel,
    pub subject: Option<String>,
    pub body: String,
    pub attachment_ids: Vec<Id>,
    pub template_id: Option<Id>,
    pub location: Option<Location>,
    pub private: bool,
    pub status: MessageStatus,
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    pub read_at: Option<Timestamp>,
    pub ord: Ordinals,
    /// Delivery attempts by the outbox (0 for messages it never sends).
    #[serde(default)]
    pub attempts: u32,
    /// The SMS provider's message id or the email's `Message-ID`, once sent.
    #[serde(default)]
    pub provider_id: Option<String>,
}

/// Whether a conversation passes `GET /conversations`' filters.
pub(super) fn filter_matches(
    f: &ConversationFilter,
    c: &ConversationRecord,
    tally: &Tally,
) -> bool {
    f.status.is_none_or(|s| c.status == s)
        && f.customer_id.is_none_or(|id| c.customer_id == id)
        && f.project_id.is_none_or(|id| c.project_id == Some(id))
        && f.assignee_id.is_none_or(|id| c.assignee_id == Some(id))
        && f.kind.is_none_or(|k| c.kind == k)
        && f.channel.is_none_or(|ch| tally.channels & ch.bit() != 0)
}

/// The first 140 characters of a body, for conversation lists.
pub(super) fn preview(body: &str, attachments: usize) -> Option<String> {
    let text: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return (attachments > 0).then(|| format!("[{attachments} attachment(s)]"));
    }
    let mut chars = text.chars();
    let cut: String = chars.by_ref().take(140).collect();
    Some(if chars.next().is_some() {
        format!("{cut}…")
    } else {
        cut
    })
}

/// Cursors are opaque to clients; inside they are `<number>.<id>` or `<number>`.
pub(super) mod cursor {
    use super::StoreError;
    use commcenter::Id;

    pub fn encode_pair(n: i64, id: Id) -> String {
        format!("{n}.{id}")
    }

    pub fn decode_pair(cursor: &str) -> Result<(i64, Id), StoreError> {
        let bad = || StoreError::BadRequest {
            message: format!("`{cursor}` is not a cursor of this list"),
            field: Some("cursor"),
        };
        let (n, id) = cursor.split_once('.').ok_or_else(bad)?;
        Ok((
            n.parse().map_err(|_| bad())?,
            id.parse().map_err(|_| bad())?,
        ))
    }

    pub fn decode_number(cursor: &str) -> Result<u64, StoreError> {
        cursor.parse().map_err(|_| StoreError::BadRequest {
            message: format!("`{cursor}` is not a cursor of this list"),
            field: Some("cursor"),
        })
    }

    pub fn decode_id(cursor: &str) -> Result<Id, StoreError> {
        cursor.parse().map_err(|_| StoreError::BadRequest {
            message: format!("`{cursor}` is not a cursor of this list"),
            field: Some("cursor"),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use commcenter::wire::Role;

    const AT: &str = "2026-11-26T05:15:20.123Z";

    fn id(n: u128) -> Id {
        Id::from_u128(n)
    }

    /// The names a store holds for enums and fields: renaming a variant or a
    /// field would leave earlier stores unreadable (every enum here is kept
    /// by name, never by number; `Tally::channels` is a `Channel::bit` mask).
    #[test]
    fn a_conversation_record_keeps_its_stored_form() {
        let at = Timestamp::parse(AT).unwrap();
        let tally = Tally {
            count: 2,
            last_at: Some(at),
            preview: Some("hi".into()),
            channels: Channel::Sms.bit() | Channel::Phone.bit(),
        };
        let record = ConversationRecord {
            id: id(1),
            kind: ConversationKind::Project,
            customer_id: id(2),
            project_id: Some(id(3)),
            subject: None,
            status: ConversationStatus::Archived,
            assignee_id: None,
            tags: vec!["roof".into()],
            created_at: at,
            updated_at: at,
            all: tally.clone(),
            public: tally,
        };
        let tally = json!({"count": 2, "last_at": AT, "preview": "hi", "channels": 10});
        let stored = json!({
            "id": id(1), "kind": "project", "customer_id": id(2), "project_id": id(3),
            "subject": null, "status": "archived", "assignee_id": null, "tags": ["roof"],
            "created_at": AT, "updated_at": AT, "all": tally, "public": tally,
        });
        assert_eq!(serde_json::to_value(&record).unwrap(), stored);
        let read: ConversationRecord = decode(stored.to_string().as_bytes()).unwrap();
        assert_eq!(read.all.channels, 10);
        assert_eq!(read.audience(), Audience::Crew { project_id: id(3) });
    }

    #[test]
    fn a_message_record_keeps_its_stored_form() {
        let at = Timestamp::parse(AT).unwrap();
        let record = MessageRecord {
            id: id(1),
            conversation_id: id(2),
            customer_id: id(3),
            project_id: None,
            sender_id: id(4),
            direction: Direction::Outbound,
            channel: Channel::InApp,
            subject: None,
            body: "hi".into(),
            attachment_ids: vec![id(5)],
            template_id: None,
            location: None,
            private: true,
            status: MessageStatus::Delivered,
            error: None,
            created_at: at,
            delivered_at: Some(at),
            read_at: None,
            ord: Ordinals { all: 3, public: 2 },
            attempts: 2,
            provider_id: Some("SM1".into()),
        };
        let stored = json!({
            "id": id(1), "conversation_id": id(2), "customer_id": id(3), "project_id": null,
            "sender_id": id(4), "direction": "outbound", "channel": "in_app", "subject": null,
            "body": "hi", "attachment_ids": [id(5)], "template_id": null, "location": null,
            "private": true, "status": "delivered", "error": null, "created_at": AT,
            "delivered_at": AT, "read_at": null, "ord": {"all": 3, "public": 2},
            "attempts": 2, "provider_id": "SM1",
        });
        assert_eq!(serde_json::to_value(&record).unwrap(), stored);
    }

    #[test]
    fn audiences_and_roles_keep_their_stored_names() {
        let audiences = [
            (Audience::Staff, json!({"to": "staff"})),
            (
                Audience::Customer { customer_id: id(1) },
                json!({"to": "customer", "customer_id": id(1)}),
            ),
            (
                Audience::Crew { project_id: id(2) },
                json!({"to": "crew", "project_id": id(2)}),
            ),
            (
                Audience::Project {
                    project_id: id(2),
                    customer_id: id(1),
                },
                json!({"to": "project", "project_id": id(2), "customer_id": id(1)}),
            ),
        ];
        for (audience, stored) in audiences {
            assert_eq!(serde_json::to_value(audience).unwrap(), stored);
        }
        let roles = [Role::Admin, Role::Agent, Role::Crew, Role::Customer];
        let names: Vec<_> = roles.map(|r| serde_json::to_value(r).unwrap()).into();
        assert_eq!(
            names,
            [
                json!("admin"),
                json!("agent"),
                json!("crew"),
                json!("customer")
            ]
        );
    }
}
