use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::FileMeta;
use crate::{Id, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    InApp,
    Sms,
    Email,
    Phone,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Channel::InApp, Channel::Sms, Channel::Email, Channel::Phone];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::InApp => "in_app",
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Phone => "phone",
        }
    }

    /// A bit for sets of channels kept as masks. Stored on disk (a
    /// conversation's tallies), so each channel keeps its bit for good,
    /// whatever the order of the variants: a new channel takes a new bit.
    pub fn bit(self) -> u8 {
        match self {
            Channel::InApp => 0b0001,
            Channel::Sms => 0b0010,
            Channel::Email => 0b0100,
            Channel::Phone => 0b1000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Sent by a customer or crew member.
    Inbound,
    /// Sent by staff.
    Outbound,
}

/// Ordered: a receipt only ever moves a message forward (`Sent` < `Delivered` < `Read`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Queued,
    Sent,
    Delivered,
    Read,
    Failed,
}

/// The longest message body, in characters (Unicode scalar values).
pub const MAX_BODY_CHARS: usize = 32_000;
/// The longest subject, in characters (as for an e-mail header line).
pub const MAX_SUBJECT_CHARS: usize = 998;
/// The most files one message may carry.
pub const MAX_ATTACHMENTS: usize = 20;

/// Where a message was sent from: degrees WGS 84, accuracy in metres.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    #[schemars(range(min = -90, max = 90))]
    pub lat: f64,
    #[schemars(range(min = -180, max = 180))]
    pub lon: f64,
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub accuracy_m: Option<f64>,
    #[serde(default)]
    pub recorded_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Message {
    pub id: Id,
    pub conversation_id: Id,
    pub customer_id: Id,
    pub project_id: Option<Id>,
    pub sender_id: Id,
    pub direction: Direction,
    pub channel: Channel,
    pub subject: Option<String>,
    pub body: String,
    pub attachments: Vec<FileMeta>,
    pub template_id: Option<Id>,
    pub location: Option<Location>,
    pub private: bool,
    pub status: MessageStatus,
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    pub read_at: Option<Timestamp>,
    /// Delivery attempts the outbox made (`sms` and `email`; 0 otherwise).
    /// (Read as 0 from a daemon older than the outbox.)
    #[serde(default)]
    pub attempts: u32,
    /// The provider's id once sent: the SMS provider's message id, or the
    /// email's `Message-ID`.
    #[serde(default)]
    pub provider_id: Option<String>,
}

/// `POST /api/v1/conversations/{id}/messages`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_BODY_CHARS))]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SUBJECT_CHARS))]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_ATTACHMENTS))]
    pub attachments: Option<Vec<Id>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptState {
    Delivered,
    Read,
}

/// `GET /api/v1/messages/{id}/receipts` and the answer to delivered/read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Receipts {
    pub message_id: Id,
    pub status: MessageStatus,
    pub recipients: Vec<RecipientReceipt>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct RecipientReceipt {
    pub user_id: Id,
    pub delivered_at: Option<Timestamp>,
    pub read_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stores written by earlier builds hold these masks: changing a bit
    /// would make their conversations match the wrong `channel` filter.
    #[test]
    fn channel_bits_are_pinned() {
        assert_eq!(Channel::InApp.bit(), 1);
        assert_eq!(Channel::Sms.bit(), 2);
        assert_eq!(Channel::Email.bit(), 4);
        assert_eq!(Channel::Phone.bit(), 8);
    }

    #[test]
    fn every_channel_has_its_own_bit() {
        let mut seen = 0u8;
        for channel in Channel::ALL {
            let bit = channel.bit();
            assert_eq!(bit.count_ones(), 1, "{channel:?}");
            assert_eq!(seen & bit, 0, "{channel:?} shares a bit");
            seen |= bit;
        }
    }
}
