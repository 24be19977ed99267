//! The inbound email webhook's body (`POST /api/v1/inbound/email`). The
//! inbound SMS webhook is a Twilio-style form, not JSON.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An email that arrived for us, as the mail gateway posts it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundEmail {
    /// The sender's address: finds the customer (an unknown one becomes a new customer).
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub subject: Option<String>,
    /// The plain-text body.
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub attachments: Vec<InboundAttachment>,
    /// The email's `Message-ID`: a repeat of one already stored stores nothing new.
    pub message_id: String,
    /// The `Message-ID` it answers: threads it into that message's conversation.
    #[serde(default)]
    pub in_reply_to: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundAttachment {
    pub name: String,
    pub content_type: String,
    /// The bytes, standard base64.
    pub content_base64: String,
}
