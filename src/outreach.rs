//! Steps the CLI and the console both take when staff reach out to a
//! customer: find the conversation to write in (or open one), and word the
//! message that carries a portal link. Built on [`Client`] only.

use crate::client::{Client, ClientError};
use crate::wire::{
    Channel, ConversationFilter, ConversationKind, ConversationStatus, NewConversation, NewMessage,
    PortalLink, User,
};
use crate::Id;

/// The subject of a conversation opened only to send a portal link.
pub const PORTAL_SUBJECT: &str = "Your messages with us";

/// Where a message to a customer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    pub conversation_id: Id,
    /// True when no open conversation existed and this one was created.
    pub created: bool,
}

/// The customer's most recently active open conversation, or a new one.
/// A new one is created under `KEY:conversation`, so that a retried command
/// opens it only once.
pub async fn open_conversation(
    client: &Client,
    customer: Id,
    subject: Option<String>,
    key: Option<&str>,
) -> Result<Opened, ClientError> {
    let filter = ConversationFilter {
        status: Some(ConversationStatus::Open),
        customer_id: Some(customer),
        kind: Some(ConversationKind::Customer),
        ..Default::default()
    };
    let page = client
        .list_conversations_page(&filter, Some(1), None)
        .await?;
    if let Some(open) = page.items.first() {
        return Ok(Opened {
            conversation_id: open.id,
            created: false,
        });
    }
    let new = NewConversation {
        customer_id: customer,
        subject,
    };
    let key = key.map(|k| format!("{k}:conversation"));
    let created = client
        .create_conversation_keyed(&new, key.as_deref())
        .await?;
    Ok(Opened {
        conversation_id: created.id,
        created: true,
    })
}

/// The message that gives `user` their link, by SMS or email.
pub fn portal_link_message(user: &User, link: &PortalLink, channel: Channel) -> NewMessage {
    let first_name = user.name.split_whitespace().next().unwrap_or(&user.name);
    let body = format!(
        "Hello {first_name}, you can read and answer our messages here: {} \
         (the link works once and until {}).",
        link.url,
        link.expires_at.to_string().get(..10).unwrap_or_default()
    );
    NewMessage {
        channel: Some(channel),
        body: Some(body),
        subject: (channel == Channel::Email).then(|| "Your link to our messages".to_owned()),
        ..NewMessage::default()
    }
}

/// Sends `link` to `user` in their open conversation (a new one if none is
/// open); the sent message's id.
pub async fn send_portal_link(
    client: &Client,
    user: &User,
    link: &PortalLink,
    channel: Channel,
) -> Result<Id, ClientError> {
    let opened = open_conversation(client, user.id, Some(PORTAL_SUBJECT.to_owned()), None).await?;
    let message = portal_link_message(user, link, channel);
    Ok(client
        .send_message(opened.conversation_id, &message)
        .await?
        .id)
}
