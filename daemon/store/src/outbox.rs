//! The outbox: `sms` and `email` messages waiting for delivery, and what the
//! delivery worker records about each attempt.
//!
//! An entry is written in the transaction that writes its message (see
//! `append_message`), so a queued message always has one, and the table in
//! key order is the queue in send order (ids are time-ordered). The worker
//! reads the queue ([`View::outbox`]), delivers outside any transaction and
//! records the outcome ([`Tx::record_delivery`]); an entry is removed only
//! when its message becomes `sent` or `failed`. A crash between delivering
//! and recording leaves the entry, so the message is delivered again after a
//! restart: at least once, under identities derived from the message id, so
//! that a channel which de-duplicates shows it once.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::records::{decode, encode, MessageRecord};
use super::{StoreError, Tx, View};
use commcenter::access::{self, Caller};
use commcenter::wire::{Channel, EventData, FileMeta, Message, MessageStatus};
use commcenter::{Id, Timestamp};

/// The queue's bookkeeping for one message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct OutboxEntry {
    /// Attempts since the message was (re)queued: the retry budget counts these.
    pub tries: u32,
    /// When the message was (re)queued: the maximum age counts from here.
    pub queued_at: Timestamp,
    /// Not to be attempted before this (the backoff after a transient error).
    pub not_before: Timestamp,
}

/// One queued message, with what its delivery needs.
#[derive(Debug, Clone)]
pub struct OutboxJob {
    pub message_id: Id,
    pub conversation_id: Id,
    pub channel: Channel,
    /// The customer's phone number (`sms`) or email address (`email`); `None`
    /// when it was removed after the message was queued.
    pub to: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    pub attachments: Vec<OutboxAttachment>,
    pub tries: u32,
    pub queued_at: Timestamp,
    pub not_before: Timestamp,
}

/// A file a queued message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxAttachment {
    pub file_id: Id,
    pub name: String,
    pub content_type: String,
    /// The blob's key in the blob store.
    pub sha256: String,
    /// Bytes.
    pub size: u64,
}

/// What one delivery attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Accepted by the provider, which named it `provider_id`.
    Sent { provider_id: String },
    /// A transient error: try again from `not_before`.
    Retry {
        error: String,
        not_before: Timestamp,
    },
    /// A permanent error, or the retry budget is spent.
    Failed { error: String },
}

impl View {
    /// A file as a media link serves it (the link's signature is the
    /// authority, so no caller is checked).
    pub fn media_file(&self, id: Id) -> Result<FileMeta, StoreError> {
        self.find_file(id)?
            .map(|f| f.to_wire())
            .ok_or_else(|| StoreError::not_found("file", id))
    }

    /// The first `limit` queued messages, oldest first.
    pub fn outbox(&self, limit: usize) -> Result<Vec<OutboxJob>, StoreError> {
        let mut jobs = Vec::new();
        for row in self.outbox.iter()? {
            if jobs.len() == limit {
                break;
            }
            let (key, value) = row?;
            let entry: OutboxEntry = decode(value.value())?;
            if let Some(message) = self.find_message(Id::from_u128(key.value()))? {
                jobs.push(self.outbox_job(&message, &entry)?);
            }
        }
        Ok(jobs)
    }

    /// How many messages wait in the outbox, per channel (channels with
    /// none are left out). Reads every queued message, so its cost grows
    /// with the queue; for `/metrics`, where the queue is normally short.
    pub fn outbox_depth(&self) -> Result<Vec<(Channel, u64)>, StoreError> {
        let mut depth: Vec<(Channel, u64)> = Vec::new();
        for row in self.outbox.iter()? {
            let (key, _) = row?;
            let Some(message) = self.find_message(Id::from_u128(key.value()))? else {
                continue;
            };
            match depth.iter_mut().find(|(c, _)| *c == message.channel) {
                Some((_, n)) => *n += 1,
                None => depth.push((message.channel, 1)),
            }
        }
        Ok(depth)
    }

    fn outbox_job(
        &self,
        message: &MessageRecord,
        entry: &OutboxEntry,
    ) -> Result<OutboxJob, StoreError> {
        let customer = self.find_user(message.customer_id)?;
        let to = customer.and_then(|c| match message.channel {
            Channel::Sms => c.phone,
            _ => c.email,
        });
        let mut attachments = Vec::with_capacity(message.attachment_ids.len());
        for id in &message.attachment_ids {
            if let Some(file) = self.find_file(*id)? {
                attachments.push(OutboxAttachment {
                    file_id: *id,
                    name: file.file.name,
                    content_type: file.file.content_type,
                    sha256: file.file.sha256,
                    size: file.file.size,
                });
            }
        }
        Ok(OutboxJob {
            message_id: message.id,
            conversation_id: message.conversation_id,
            channel: message.channel,
            to,
            subject: message.subject.clone(),
            body: message.body.clone(),
            attachments,
            tries: entry.tries,
            queued_at: entry.queued_at,
            not_before: entry.not_before,
        })
    }
}

impl Tx<'_> {
    /// Puts a message written as `queued` in the outbox (in its transaction).
    pub(super) fn enqueue(&mut self, message: &MessageRecord) -> Result<(), StoreError> {
        let entry = OutboxEntry {
            tries: 0,
            queued_at: self.now,
            not_before: self.now,
        };
        let bytes = encode(&entry)?;
        self.insert(|t| &mut t.outbox, message.id.to_u128(), bytes.as_slice())
    }

    fn outbox_entry(&self, id: Id) -> Result<Option<OutboxEntry>, StoreError> {
        match self.outbox.get(id.to_u128())? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }

    /// Records one delivery attempt of a queued message: its attempts, and
    /// `sent` (with the provider's id) or `failed` (with the error), which
    /// take it out of the queue, or the error and the time of the next try.
    /// Each is a `message.updated` event. A message no longer queued (sent
    /// or failed by an earlier attempt) is left alone: `None`.
    pub fn record_delivery(
        &mut self,
        id: Id,
        outcome: DeliveryOutcome,
    ) -> Result<Option<Message>, StoreError> {
        let (Some(mut entry), Some(mut message)) = (self.outbox_entry(id)?, self.find_message(id)?)
        else {
            return Ok(None);
        };
        message.attempts = message.attempts.saturating_add(1);
        match outcome {
            DeliveryOutcome::Sent { provider_id } => {
                message.status = MessageStatus::Sent;
                message.provider_id = Some(provider_id);
                message.error = None;
                self.remove(|t| &mut t.outbox, id.to_u128())?;
            }
            DeliveryOutcome::Failed { error } => {
                message.status = MessageStatus::Failed;
                message.error = Some(error);
                self.remove(|t| &mut t.outbox, id.to_u128())?;
            }
            DeliveryOutcome::Retry { error, not_before } => {
                entry.tries = entry.tries.saturating_add(1);
                entry.not_before = not_before;
                message.error = Some(error);
                let bytes = encode(&entry)?;
                self.insert(|t| &mut t.outbox, id.to_u128(), bytes.as_slice())?;
            }
        }
        self.put_message(&message)?;
        self.emit_message_updated(&message).map(Some)
    }

    /// `POST /messages/{id}/retry` (staff): a `failed` message is queued
    /// again with a fresh retry budget; any other status is a conflict.
    pub fn retry_delivery(&mut self, caller: &Caller, id: Id) -> Result<Message, StoreError> {
        let (mut message, _) = self.visible_message(caller, id)?;
        access::may_retry_delivery(caller)?;
        if message.status != MessageStatus::Failed {
            return Err(StoreError::conflict(
                None,
                format!(
                    "message {id} is {}: only a failed message can be retried",
                    serde_json::to_value(message.status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                ),
            ));
        }
        message.status = MessageStatus::Queued;
        message.error = None;
        self.enqueue(&message)?;
        self.put_message(&message)?;
        self.emit_message_updated(&message)
    }

    fn emit_message_updated(&mut self, message: &MessageRecord) -> Result<Message, StoreError> {
        let conversation = self
            .find_conversation(message.conversation_id)?
            .ok_or_else(|| StoreError::not_found("conversation", message.conversation_id))?;
        let wire = self.message_to_wire(message)?;
        self.emit(
            conversation.message_audience(message.private),
            EventData::MessageUpdated {
                message: Box::new(wire.clone()),
            },
        )?;
        Ok(wire)
    }
}
