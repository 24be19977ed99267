//! `DELETE /users/{id}?erase=true`: a customer's personal data erased in one
//! transaction, so that an erasure is whole or not at all.
//!
//! Invariants:
//! - every message in the customer's conversations keeps its record (ids,
//!   times, channel, direction, status, ordinals), so counts and analytics
//!   stay; its subject, body, location, attachments and error are erased;
//! - the search index holds no erased word: each message is taken out of
//!   the index with its old text and indexed again with its erased one;
//! - a file the customer uploaded, or one erased messages carried, loses its
//!   record and blob rows unless a message outside the erasure still carries
//!   it; its bytes are deleted by the daemon after the commit
//!   ([`Erasure::blobs`]), or by the next start's sweep if that is missed;
//! - stored event frames about the customer's conversations are rewritten
//!   in place with the erased content (same `seq`), so a replay from 0
//!   shows no erased text and resuming clients see no gap.

use std::collections::BTreeSet;

use redb::ReadableTable;

use crate::events::StoredEvent;
use crate::idempotency::IdempotentAnswer;
use crate::records::{decode, encode, ConversationRecord, MessageRecord};
use crate::{StoreError, Tx};
use commcenter::access::{self, Audience, Caller};
use commcenter::wire::{ConversationKind, ErasureSummary, Event, EventData, MessageStatus, Role};
use commcenter::Id;

/// What an erased customer is called from then on.
pub const ERASED_NAME: &str = "Erased customer";
/// The error a queued message that will never be sent is left with.
const CANCELLED: &str = "cancelled: the customer's data was erased";

/// What an erasure did, and the blobs no file uses any more.
#[derive(Debug, Clone)]
pub struct Erasure {
    pub summary: ErasureSummary,
    /// Hex SHA-256 keys of the erased files' blobs, to delete if unused.
    pub blobs: Vec<String>,
}

impl Tx<'_> {
    /// `DELETE /users/{id}?erase=true` (admin): erases a customer's personal
    /// data. Without `erase` the request is refused (400); a staff or crew
    /// user is 422.
    pub fn erase_customer(
        &mut self,
        caller: &Caller,
        id: Id,
        erase: bool,
    ) -> Result<Erasure, StoreError> {
        access::may_handle_personal_data(caller)?;
        if !erase {
            return Err(StoreError::BadRequest {
                message: "deleting a user erases their personal data: say so with ?erase=true"
                    .into(),
                field: Some("erase"),
            });
        }
        let mut user = self.user(id)?;
        if user.role != Role::Customer {
            return Err(StoreError::invalid(
                "id",
                "only a customer's data can be erased; staff and crew users are not",
            ));
        }
        let logged_through = self.last_seq;
        user.name = ERASED_NAME.into();
        user.email = None;
        user.phone = None;
        self.put_user(&user)?;
        let mut summary = ErasureSummary {
            user_id: id,
            erased_conversations: 0,
            erased_messages: 0,
            erased_files: 0,
            revoked_tokens: self.revoke_all_tokens(id)?,
            removed_portal_codes: self.remove_portal_codes(id)?,
            cancelled_deliveries: 0,
            removed_idempotency_answers: self.remove_idempotency_answers(id)?,
            rewritten_events: 0,
        };
        let mut erased = ErasedSet::default();
        for conversation in self.conversations_of_customer(id)? {
            let Some(record) = self.find_conversation(conversation)? else {
                continue;
            };
            if record.kind == ConversationKind::Customer {
                self.erase_conversation(record, &mut erased, &mut summary)?;
            }
        }
        let blobs = self.erase_files(id, &mut erased, &mut summary)?;
        summary.rewritten_events = self.rewrite_events(id, &erased, logged_through)?;
        self.announce(&erased)?;
        Ok(Erasure { summary, blobs })
    }

    fn revoke_all_tokens(&mut self, user: Id) -> Result<u64, StoreError> {
        let key = user.to_u128();
        let mut tokens = Vec::new();
        for row in self.user_token.range((key, 0)..=(key, u128::MAX))? {
            tokens.push(Id::from_u128(row?.0.value().1));
        }
        let mut revoked = 0;
        for token in tokens {
            match self.token_record(token)? {
                Some(record) if record.revoked_at.is_none() => {
                    self.revoke(record)?;
                    revoked += 1;
                }
                _ => {}
            }
        }
        // Unredeemed WebSocket tickets of those tokens go too.
        let mut tickets = Vec::new();
        for row in self.ws_ticket.iter()? {
            let (hash, value) = row?;
            let token = Id::from_u128(value.value().0);
            if self.token_record(token)?.is_some_and(|t| t.user_id == user) {
                tickets.push(hash.value().to_vec());
            }
        }
        for hash in tickets {
            self.remove(|t| &mut t.ws_ticket, hash.as_slice())?;
        }
        Ok(revoked)
    }

    /// Removes the user's unredeemed portal sign-in codes.
    fn remove_portal_codes(&mut self, user: Id) -> Result<u64, StoreError> {
        let mut codes = Vec::new();
        for row in self.portal_code.iter()? {
            let (hash, value) = row?;
            if value.value().0 == user.to_u128() {
                codes.push(hash.value().to_vec());
            }
        }
        for hash in &codes {
            self.remove(|t| &mut t.portal_code, hash.as_slice())?;
        }
        Ok(codes.len() as u64)
    }

    /// Removes the user's own idempotency answers, and any other caller's
    /// answer that names the user (a message sent to them, their
    /// conversation, their record): answers hold bodies and profiles.
    fn remove_idempotency_answers(&mut self, user: Id) -> Result<u64, StoreError> {
        let named = user.to_string();
        let mut doomed = Vec::new();
        for row in self.user_idempotency.iter()? {
            let (key, value) = row?;
            let (owner, idempotency_key) = key.value();
            let answer: IdempotentAnswer = decode(value.value())?;
            if owner == user.to_u128() || answer.body.contains(&named) {
                doomed.push((owner, idempotency_key.to_owned()));
            }
        }
        for (owner, key) in &doomed {
            self.remove(|t| &mut t.user_idempotency, (*owner, key.as_str()))?;
        }
        Ok(doomed.len() as u64)
    }

    /// Erases a conversation's subject and previews and every message in it.
    fn erase_conversation(
        &mut self,
        mut record: ConversationRecord,
        erased: &mut ErasedSet,
        summary: &mut ErasureSummary,
    ) -> Result<(), StoreError> {
        for message in self.message_ids_of(record.id)? {
            if let Some(message) = self.find_message(message)? {
                summary.cancelled_deliveries += u64::from(self.erase_message(message, erased)?);
                summary.erased_messages += 1;
            }
        }
        record.subject = None;
        record.all.preview = None;
        record.public.preview = None;
        self.put_conversation(&record)?;
        erased.conversations.insert(record.id, record);
        summary.erased_conversations += 1;
        Ok(())
    }

    /// Erases one message's content, out of the index and back in with the
    /// erased text; a queued delivery is cancelled (answers whether it was).
    fn erase_message(
        &mut self,
        mut message: MessageRecord,
        erased: &mut ErasedSet,
    ) -> Result<bool, StoreError> {
        self.unindex_message(&message)?;
        let cancelled = self
            .remove(|t| &mut t.outbox, message.id.to_u128())?
            .is_some();
        for file in std::mem::take(&mut message.attachment_ids) {
            let key = (file.to_u128(), message.id.to_u128());
            self.remove(|t| &mut t.file_message, key)?;
            erased.files.insert(file);
        }
        message.subject = None;
        message.body = String::new();
        message.location = None;
        message.error = None;
        if cancelled {
            message.status = MessageStatus::Failed;
            message.error = Some(CANCELLED.into());
        }
        self.put_message(&message)?;
        self.index_message(&message)?;
        erased.messages.insert(message.id, message);
        Ok(cancelled)
    }

    /// Removes the records of the files the customer uploaded or erased
    /// messages carried, unless a message outside the erasure carries them;
    /// answers the blobs they used.
    fn erase_files(
        &mut self,
        customer: Id,
        erased: &mut ErasedSet,
        summary: &mut ErasureSummary,
    ) -> Result<Vec<String>, StoreError> {
        for row in self.file.iter()? {
            let file: crate::files::FileRecord = decode(row?.1.value())?;
            if file.uploaded_by == customer {
                erased.files.insert(file.id);
            }
        }
        let mut blobs = BTreeSet::new();
        for id in std::mem::take(&mut erased.files) {
            if self.carried_elsewhere(id)? {
                continue;
            }
            let Some(file) = self.find_file(id)? else {
                continue;
            };
            let f = id.to_u128();
            self.remove(|t| &mut t.file, f)?;
            for blob in file.blobs() {
                self.remove(|t| &mut t.blob_file, (blob, f))?;
                blobs.insert(blob.to_owned());
            }
            summary.erased_files += 1;
        }
        Ok(blobs.into_iter().collect())
    }

    /// Whether any message still carries the file (the erased ones no longer do).
    fn carried_elsewhere(&self, file: Id) -> Result<bool, StoreError> {
        let f = file.to_u128();
        Ok(self
            .file_message
            .range((f, 0)..=(f, u128::MAX))?
            .next()
            .transpose()?
            .is_some())
    }

    /// Rewrites the stored frames (up to `through`) about the erased
    /// conversations and messages with their erased content; answers how many.
    fn rewrite_events(
        &mut self,
        customer: Id,
        erased: &ErasedSet,
        through: u64,
    ) -> Result<u64, StoreError> {
        let mut rewritten = Vec::new();
        for row in self.event.range(..=through)? {
            let event: StoredEvent = decode(row?.1.value())?;
            let concerned = match event.audience {
                Audience::Customer { customer_id } => customer_id == customer,
                // Staff-only notes in the customer's conversations.
                Audience::Staff => true,
                Audience::Crew { .. } | Audience::Project { .. } => false,
            };
            if !concerned {
                continue;
            }
            let frame: Event = serde_json::from_str(&event.frame)
                .map_err(|e| StoreError::Corrupt(format!("event {}: {e}", event.seq)))?;
            if let Some(data) = erased.erase(frame.data) {
                rewritten.push(StoredEvent::new(
                    event.seq,
                    event.at,
                    event.audience,
                    &data,
                )?);
            }
        }
        for event in &rewritten {
            let bytes = encode(event)?;
            self.insert(|t| &mut t.event, event.seq, bytes.as_slice())?;
        }
        Ok(rewritten.len() as u64)
    }

    /// Tells live clients: each erased message, then each conversation.
    fn announce(&mut self, erased: &ErasedSet) -> Result<(), StoreError> {
        for message in erased.messages.values() {
            let Some(conversation) = erased.conversations.get(&message.conversation_id) else {
                continue;
            };
            let audience = conversation.message_audience(message.private);
            let wire = self.message_to_wire(message)?;
            self.emit(
                audience,
                EventData::MessageUpdated {
                    message: Box::new(wire),
                },
            )?;
        }
        for conversation in erased.conversations.values() {
            self.emit_conversation(conversation)?;
        }
        Ok(())
    }
}

/// What an erasure has erased so far.
#[derive(Default)]
struct ErasedSet {
    conversations: std::collections::BTreeMap<Id, ConversationRecord>,
    messages: std::collections::BTreeMap<Id, MessageRecord>,
    /// Files to consider for removal.
    files: BTreeSet<Id>,
}

impl ErasedSet {
    /// An event's data with the erased content, if it is about the erasure.
    fn erase(&self, data: EventData) -> Option<EventData> {
        match data {
            EventData::MessageCreated { message } if self.messages.contains_key(&message.id) => {
                Some(EventData::MessageCreated {
                    message: Box::new(erased_message(*message)),
                })
            }
            EventData::MessageUpdated { message } if self.messages.contains_key(&message.id) => {
                Some(EventData::MessageUpdated {
                    message: Box::new(erased_message(*message)),
                })
            }
            EventData::ConversationUpdated { mut conversation }
                if self.conversations.contains_key(&conversation.id) =>
            {
                conversation.subject = None;
                conversation.last_message_preview = None;
                Some(EventData::ConversationUpdated { conversation })
            }
            _ => None,
        }
    }
}

/// A message as a frame shows it once erased: what happened, not what was said.
fn erased_message(mut message: commcenter::wire::Message) -> commcenter::wire::Message {
    message.subject = None;
    message.body = String::new();
    message.attachments = Vec::new();
    message.location = None;
    message.error = None;
    message
}
