//! Delivery and read receipts, and the read markers behind unread counts.
//!
//! A receipt is per (message, recipient). A message's `status` is the
//! furthest state reached by a recipient on the other side of the
//! conversation (the customer or crew for staff messages, staff for theirs;
//! any staff member for a private note), so a colleague reading an agent's
//! reply does not show it as read by the customer. Queued and failed
//! messages keep their status: that is the outbox's to change.

use redb::ReadableTable;

use super::records::{ConversationRecord, MessageRecord, Ordinals};
use super::{StoreError, Tx, View};
use commcenter::access::{self, Caller};
use commcenter::wire::{EventData, MessageStatus, ReceiptState, Receipts, RecipientReceipt};
use commcenter::{Id, Timestamp};

impl View {
    /// `GET /messages/{id}/receipts`.
    pub fn receipts(&self, caller: &Caller, message_id: Id) -> Result<Receipts, StoreError> {
        let (message, _) = self.visible_message(caller, message_id)?;
        receipts_of(&self.message_receipt, &message)
    }
}

fn receipts_of(
    table: &impl ReadableTable<(u128, u128), super::tx::ReceiptTimes>,
    message: &MessageRecord,
) -> Result<Receipts, StoreError> {
    let m = message.id.to_u128();
    let mut recipients = Vec::new();
    for row in table.range((m, 0)..=(m, u128::MAX))? {
        let (key, value) = row?;
        let (delivered, read) = value.value();
        recipients.push(RecipientReceipt {
            user_id: Id::from_u128(key.value().1),
            delivered_at: delivered.map(Timestamp::from_millis),
            read_at: read.map(Timestamp::from_millis),
        });
    }
    Ok(Receipts {
        message_id: message.id,
        status: message.status,
        recipients,
    })
}

impl Tx<'_> {
    /// `POST /messages/{id}/delivered` and `/read`, by a participant who is not
    /// the sender. Reading a message also reads every earlier one in its
    /// conversation (the read marker only moves forward).
    pub fn acknowledge(
        &mut self,
        caller: &Caller,
        message_id: Id,
        state: ReceiptState,
    ) -> Result<Receipts, StoreError> {
        let (mut message, conversation) = self.visible_message(caller, message_id)?;
        access::may_acknowledge(caller, message.sender_id)?;
        match state {
            ReceiptState::Delivered => {
                self.record_receipt(caller, &conversation, &mut message, state)?;
            }
            ReceiptState::Read => {
                self.mark_read(caller, &conversation, message.ord)?;
                message = self
                    .find_message(message_id)?
                    .ok_or_else(|| StoreError::not_found("message", message_id))?;
            }
        }
        receipts_of(&self.message_receipt, &message)
    }

    /// Moves `caller`'s read marker in `conversation` forward to `target`,
    /// writing a read receipt for every message passed that someone else sent
    /// and the caller may see.
    pub(super) fn mark_read(
        &mut self,
        caller: &Caller,
        conversation: &ConversationRecord,
        target: Ordinals,
    ) -> Result<(), StoreError> {
        let marker = self.read_marker(conversation.id, caller.user_id)?;
        if target.all <= marker.all {
            return Ok(());
        }
        let c = conversation.id.to_u128();
        let mut passed = Vec::new();
        for row in self
            .conversation_message
            .range((c, marker.all + 1)..=(c, target.all))?
        {
            passed.push(row?.1.value());
        }
        for id in passed {
            let Some(mut message) = self.find_message(Id::from_u128(id))? else {
                continue;
            };
            if access::receipts_on_read(caller, message.sender_id, message.private) {
                self.record_receipt(caller, conversation, &mut message, ReceiptState::Read)?;
            }
        }
        self.insert(
            |t| &mut t.conversation_read_marker,
            (c, caller.user_id.to_u128()),
            (target.all, target.public.max(marker.public)),
        )
    }

    /// Records that `reader` reached `state` for `message`: the receipt row,
    /// its event, and the message's status when that moves. Repeats change
    /// nothing and emit nothing.
    fn record_receipt(
        &mut self,
        reader: &Caller,
        conversation: &ConversationRecord,
        message: &mut MessageRecord,
        state: ReceiptState,
    ) -> Result<(), StoreError> {
        let key = (message.id.to_u128(), reader.user_id.to_u128());
        let (delivered, read) = self
            .message_receipt
            .get(key)?
            .map(|v| v.value())
            .unwrap_or((None, None));
        let now = self.now.millis();
        let (new_delivered, new_read) = match state {
            ReceiptState::Delivered => (delivered.or(Some(now)), read),
            ReceiptState::Read => (delivered.or(Some(now)), read.or(Some(now))),
        };
        if (new_delivered, new_read) == (delivered, read) {
            return Ok(());
        }
        self.insert(|t| &mut t.message_receipt, key, (new_delivered, new_read))?;
        let audience = conversation.message_audience(message.private);
        self.emit(
            audience,
            EventData::Receipt {
                message_id: message.id,
                user_id: reader.user_id,
                state,
                at: self.now,
            },
        )?;
        if counts_toward_status(reader, message) && self.advance_status(message, state) {
            self.put_message(message)?;
            if message.status == MessageStatus::Read {
                self.analytics_read(conversation, message)?;
            }
            let wire = self.message_to_wire(message)?;
            self.emit(
                audience,
                EventData::MessageUpdated {
                    message: Box::new(wire),
                },
            )?;
        }
        Ok(())
    }

    /// Moves a sent or delivered message's status forward; returns whether it moved.
    fn advance_status(&self, message: &mut MessageRecord, state: ReceiptState) -> bool {
        let reached = match state {
            ReceiptState::Delivered => MessageStatus::Delivered,
            ReceiptState::Read => MessageStatus::Read,
        };
        let movable = matches!(
            message.status,
            MessageStatus::Sent | MessageStatus::Delivered
        );
        if !movable || reached <= message.status {
            return false;
        }
        message.status = reached;
        message.delivered_at.get_or_insert(self.now);
        if reached == MessageStatus::Read {
            message.read_at.get_or_insert(self.now);
        }
        true
    }
}

/// Whether a receipt by `reader` can move the message's status: the reader
/// is on the other side from the sender, or the message is a staff note.
fn counts_toward_status(reader: &Caller, message: &MessageRecord) -> bool {
    use commcenter::wire::Direction;
    message.private
        || match message.direction {
            Direction::Outbound => !reader.is_staff(),
            Direction::Inbound => reader.is_staff(),
        }
}
