//! `GET /users/{id}/export`: every record about one user, from one read
//! transaction, so the document is a consistent snapshot.
//!
//! Built in memory: a customer's records (their conversations' messages,
//! receipts and file descriptions, never the files' bytes) are small. For
//! staff, whose messages span every conversation, the message and receipt
//! tables are scanned whole; that is the one unbounded case, and rare.

use std::collections::{BTreeMap, BTreeSet};

use redb::ReadableTable;

use crate::outbox::OutboxEntry;
use crate::records::{decode, MessageRecord};
use crate::{StoreError, View};
use commcenter::access::{self, Caller};
use commcenter::wire::{
    Channel, Direction, ExportedDelivery, ExportedFile, ExportedReceipt, Message, User, UserExport,
};
use commcenter::{Id, Timestamp};

impl View {
    /// `GET /users/{id}/export` (admin).
    pub fn export_user(&self, caller: &Caller, id: Id) -> Result<UserExport, StoreError> {
        access::may_handle_personal_data(caller)?;
        let user = self.user(id)?;
        let tokens = self.list_tokens(caller, id)?;
        let projects = self.projects_of(&user)?;
        let mut conversation_ids: BTreeSet<Id> =
            self.conversations_of_customer(id)?.into_iter().collect();
        if user.role == commcenter::wire::Role::Crew {
            conversation_ids.extend(projects.iter().map(|p| p.conversation_id));
        }
        let mut conversations = Vec::new();
        let mut records = BTreeMap::new();
        for conversation in &conversation_ids {
            let Some(record) = self.find_conversation(*conversation)? else {
                continue;
            };
            for message in self.message_ids_of(record.id)? {
                if let Some(m) = self.find_message(message)? {
                    records.insert(m.id, m);
                }
            }
            conversations.push(record.to_wire(caller, 0));
        }
        if user.role.is_staff() {
            self.messages_sent_by(id, &mut records)?;
        }
        let receipts = self.receipts_for(&user, &records)?;
        Ok(UserExport {
            exported_at: Timestamp::now(),
            files: self.files_for(id, &records)?,
            deliveries: self.deliveries_of(&records)?,
            messages: self.messages_to_wire(&records)?,
            receipts,
            conversations,
            projects,
            tokens,
            user,
        })
    }

    /// Adds every message `sender` sent to `records` (a scan of all messages).
    fn messages_sent_by(
        &self,
        sender: Id,
        records: &mut BTreeMap<Id, MessageRecord>,
    ) -> Result<(), StoreError> {
        for row in self.message.iter()? {
            let message: MessageRecord = decode(row?.1.value())?;
            if message.sender_id == sender {
                records.insert(message.id, message);
            }
        }
        Ok(())
    }

    fn messages_to_wire(
        &self,
        records: &BTreeMap<Id, MessageRecord>,
    ) -> Result<Vec<Message>, StoreError> {
        records.values().map(|m| self.message_to_wire(m)).collect()
    }

    /// Receipts on `records`, and (for staff, whose receipts are anywhere)
    /// every receipt the user made.
    fn receipts_for(
        &self,
        user: &User,
        records: &BTreeMap<Id, MessageRecord>,
    ) -> Result<Vec<ExportedReceipt>, StoreError> {
        let mut receipts = Vec::new();
        let mut push = |key: (u128, u128), (delivered, read): (Option<i64>, Option<i64>)| {
            receipts.push(ExportedReceipt {
                message_id: Id::from_u128(key.0),
                user_id: Id::from_u128(key.1),
                delivered_at: delivered.map(Timestamp::from_millis),
                read_at: read.map(Timestamp::from_millis),
            })
        };
        for id in records.keys() {
            let m = id.to_u128();
            for row in self.message_receipt.range((m, 0)..=(m, u128::MAX))? {
                let (key, times) = row?;
                push(key.value(), times.value());
            }
        }
        if user.role.is_staff() {
            for row in self.message_receipt.iter()? {
                let (key, times) = row?;
                let key = key.value();
                if key.1 == user.id.to_u128() && !records.contains_key(&Id::from_u128(key.0)) {
                    push(key, times.value());
                }
            }
        }
        Ok(receipts)
    }

    /// The files the user uploaded (a scan of all file records) and the
    /// files `records` carry, each with its download link.
    fn files_for(
        &self,
        uploader: Id,
        records: &BTreeMap<Id, MessageRecord>,
    ) -> Result<Vec<ExportedFile>, StoreError> {
        let mut ids: BTreeSet<Id> = records
            .values()
            .flat_map(|m| m.attachment_ids.iter().copied())
            .collect();
        for row in self.file.iter()? {
            let file: crate::files::FileRecord = decode(row?.1.value())?;
            if file.uploaded_by == uploader {
                ids.insert(file.id);
            }
        }
        let mut files = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(file) = self.find_file(id)? {
                files.push(ExportedFile {
                    url: format!("/api/v1/files/{id}"),
                    file: file.to_wire(),
                });
            }
        }
        Ok(files)
    }

    /// The outbox state of the `sms` and `email` messages among `records`.
    fn deliveries_of(
        &self,
        records: &BTreeMap<Id, MessageRecord>,
    ) -> Result<Vec<ExportedDelivery>, StoreError> {
        let mut deliveries = Vec::new();
        for m in records.values() {
            let outbound = m.direction == Direction::Outbound;
            if !outbound || !matches!(m.channel, Channel::Sms | Channel::Email) {
                continue;
            }
            let entry: Option<OutboxEntry> = match self.outbox.get(m.id.to_u128())? {
                Some(v) => Some(decode(v.value())?),
                None => None,
            };
            deliveries.push(ExportedDelivery {
                message_id: m.id,
                channel: m.channel,
                status: m.status,
                attempts: m.attempts,
                provider_id: m.provider_id.clone(),
                error: m.error.clone(),
                queued: entry.is_some(),
                not_before: entry.map(|e| e.not_before),
            });
        }
        Ok(deliveries)
    }
}
