//! Inbound SMS and email: a customer's message arriving by webhook.
//!
//! The sender's phone number or email address finds the customer (an
//! unknown sender becomes a new customer; staff are never matched, so a
//! webhook cannot speak as staff). The message lands in the conversation an
//! email replies to, when that is the customer's, else in their most recently
//! active open conversation, else in a new one. The provider's message id is
//! recorded with the message, so a webhook's retry stores nothing new.

use redb::ReadableTable;

use super::files::NewFile;
use super::messages::{check_content, Draft};
use super::records::{decode, ConversationRecord};
use super::{StoreError, Tx};
use commcenter::access::Caller;
use commcenter::wire::{
    Channel, ConversationKind, ConversationStatus, Message, MessageStatus, NewUser, Role, User,
};
use commcenter::Id;

/// A message a provider's webhook delivered.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    /// `Sms` or `Email`.
    pub channel: Channel,
    /// The sender's phone number or email address.
    pub from: String,
    /// The provider's id of the message (`MessageSid`, `Message-ID`).
    pub provider_id: String,
    pub subject: Option<String>,
    pub body: String,
    /// Attachments whose blobs the daemon has stored; recorded as uploaded
    /// by the sender.
    pub files: Vec<NewFile>,
    /// The `Message-ID` an email answers.
    pub in_reply_to: Option<String>,
}

impl Tx<'_> {
    /// Stores an inbound message; answers it and whether it is new (`false`:
    /// a retry of a message already stored, which is answered unchanged).
    pub fn receive_inbound(
        &mut self,
        inbound: InboundMessage,
    ) -> Result<(Message, bool), StoreError> {
        let key = provider_key(inbound.channel, &inbound.provider_id);
        if let Some(id) = self.provider_message.get(key.as_str())?.map(|v| v.value()) {
            if let Some(message) = self.find_message(Id::from_u128(id))? {
                return Ok((self.message_to_wire(&message)?, false));
            }
        }
        // Validated before anything is written; the files have no ids yet,
        // and only their number matters here.
        let file_slots = vec![Id::from_u128(0); inbound.files.len()];
        check_content(&inbound.body, inbound.subject.as_deref(), &file_slots)?;
        let customer = self.customer_by_contact(inbound.channel, &inbound.from)?;
        let sender = Caller {
            user_id: customer.id,
            role: Role::Customer,
            token_id: customer.id,
        };
        let mut conversation = self.inbound_conversation(&customer, &inbound)?;
        let attachment_ids = self
            .create_files(&sender, inbound.files)?
            .into_iter()
            .map(|f| f.id)
            .collect();
        let draft = Draft {
            sender,
            channel: inbound.channel,
            subject: inbound.subject,
            body: inbound.body,
            template_id: None,
            attachment_ids,
            location: None,
            private: false,
            status: MessageStatus::Sent,
        };
        let message = self.append_message(&mut conversation, draft)?;
        self.insert(
            |t| &mut t.provider_message,
            key.as_str(),
            message.id.to_u128(),
        )?;
        Ok((message, true))
    }

    /// The customer with this phone number (same digits) or email address
    /// (ignoring case), or a new customer named after it.
    fn customer_by_contact(&mut self, channel: Channel, from: &str) -> Result<User, StoreError> {
        let wanted = contact_key(channel, from);
        for row in self.user.iter()? {
            let user: User = decode(row?.1.value())?;
            let contact = match channel {
                Channel::Sms => user.phone.as_deref(),
                _ => user.email.as_deref(),
            };
            let matches = contact.is_some_and(|c| contact_key(channel, c) == wanted);
            if user.role == Role::Customer && matches {
                return Ok(user);
            }
        }
        let (phone, email) = match channel {
            Channel::Sms => (Some(from.to_owned()), None),
            _ => (None, Some(from.to_owned())),
        };
        self.insert_user(NewUser {
            name: from.trim().to_owned(),
            role: Role::Customer,
            email,
            phone,
        })
        .map_err(|e| match e {
            StoreError::Invalid { message, .. } => StoreError::invalid("from", message),
            other => other,
        })
    }

    /// Where an inbound message from `customer` goes: the conversation the
    /// email replies to (when it is theirs), their most recently active open
    /// conversation, or a new one.
    fn inbound_conversation(
        &mut self,
        customer: &User,
        inbound: &InboundMessage,
    ) -> Result<ConversationRecord, StoreError> {
        let replied = match inbound.in_reply_to.as_deref() {
            Some(reference) => self.conversation_of_reference(reference)?,
            None => None,
        };
        if let Some(c) =
            replied.filter(|c| c.customer_id == customer.id && c.kind == ConversationKind::Customer)
        {
            return Ok(c);
        }
        if let Some(open) = self.latest_open_conversation(customer.id)? {
            return Ok(open);
        }
        self.insert_conversation(ConversationKind::Customer, customer.id, None, None)
    }

    /// The conversation of the message a `Message-ID` names: one we sent
    /// (`<{message id}@…>`) or one that came in by email.
    fn conversation_of_reference(
        &self,
        reference: &str,
    ) -> Result<Option<ConversationRecord>, StoreError> {
        let reference = reference.trim();
        let ours = reference
            .trim_start_matches('<')
            .split('@')
            .next()
            .and_then(|local| local.parse::<Id>().ok());
        let theirs = self
            .provider_message
            .get(provider_key(Channel::Email, reference).as_str())?
            .map(|v| Id::from_u128(v.value()));
        for id in [ours, theirs].into_iter().flatten() {
            if let Some(message) = self.find_message(id)? {
                return self.find_conversation(message.conversation_id);
            }
        }
        Ok(None)
    }

    fn latest_open_conversation(
        &self,
        customer: Id,
    ) -> Result<Option<ConversationRecord>, StoreError> {
        let c = customer.to_u128();
        let mut latest: Option<ConversationRecord> = None;
        for row in self.customer_conversation.range((c, 0)..=(c, u128::MAX))? {
            let id = Id::from_u128(row?.0.value().1);
            let Some(found) = self.find_conversation(id)? else {
                continue;
            };
            let open = found.status == ConversationStatus::Open
                && found.kind == ConversationKind::Customer;
            if open
                && latest
                    .as_ref()
                    .is_none_or(|l| found.activity() >= l.activity())
            {
                latest = Some(found);
            }
        }
        Ok(latest)
    }
}

fn provider_key(channel: Channel, provider_id: &str) -> String {
    format!("{}:{}", channel.as_str(), provider_id.trim())
}

/// A phone number's digits, or an email address in lower case.
fn contact_key(channel: Channel, contact: &str) -> String {
    match channel {
        Channel::Sms => contact.chars().filter(char::is_ascii_digit).collect(),
        _ => contact.trim().to_lowercase(),
    }
}
