//! Keeping the figures up to date: called by the writes of messages,
//! receipts and conversations, inside their transaction.

use redb::ReadableTable;

use super::counters::{Facts, HourCounters, TurnHistogram};
use super::{hour_of, ALL};
use crate::records::{ConversationRecord, MessageRecord};
use crate::{StoreError, Tx};
use commcenter::wire::{ConversationKind, ConversationStatus, Direction, MessageStatus, User};

/// Whether a message counts: one in a customer conversation that is not a
/// staff-only note.
fn counts(conversation: &ConversationRecord, message: &MessageRecord) -> bool {
    conversation.kind == ConversationKind::Customer && !message.private
}

/// The stored index of a status in `analytics_status` (never reorder).
pub(super) fn status_index(status: ConversationStatus) -> u8 {
    match status {
        ConversationStatus::Open => 0,
        ConversationStatus::Closed => 1,
        ConversationStatus::Archived => 2,
    }
}

impl Tx<'_> {
    /// Counts a message just written: its facts, hour counters, activity,
    /// contact times and response-time turn.
    pub(crate) fn analytics_message(
        &mut self,
        conversation: &ConversationRecord,
        message: &MessageRecord,
    ) -> Result<(), StoreError> {
        if !counts(conversation, message) {
            return Ok(());
        }
        let ms = message.created_at.millis();
        let facts = Facts::new(
            message.direction,
            message.channel,
            !message.attachment_ids.is_empty(),
            message.status == MessageStatus::Read,
        );
        let customer = conversation.customer_id.to_u128();
        let sender = message.sender_id.to_u128();
        let key = (ms, message.id.to_u128());
        self.insert(
            |t| &mut t.analytics_message,
            key,
            (customer, sender, facts.0),
        )?;
        self.update_hour(ALL, ms, |c| c.add(ms, facts, 1))?;
        self.update_hour(customer, ms, |c| c.add(ms, facts, 1))?;
        if facts.outbound() {
            self.update_hour(sender, ms, |c| c.add(ms, facts, 1))?;
        }
        self.mark_active(hour_of(ms), customer)?;
        self.touch_contact(ALL, ms)?;
        self.touch_contact(customer, ms)?;
        match message.direction {
            Direction::Inbound => self.start_turn(conversation, message),
            Direction::Outbound => self.end_turn(conversation, message),
        }
    }

    /// Counts an outbound in-app message reaching `read` (called once, when
    /// its status moves there).
    pub(crate) fn analytics_read(
        &mut self,
        conversation: &ConversationRecord,
        message: &MessageRecord,
    ) -> Result<(), StoreError> {
        if !counts(conversation, message) {
            return Ok(());
        }
        let ms = message.created_at.millis();
        let key = (ms, message.id.to_u128());
        let Some((customer, sender, bits)) = self.analytics_message.get(key)?.map(|v| v.value())
        else {
            return Ok(());
        };
        let facts = Facts(bits);
        if !facts.outbound_in_app() || facts.with_read() == facts {
            return Ok(());
        }
        let read = facts.with_read().0;
        self.insert(|t| &mut t.analytics_message, key, (customer, sender, read))?;
        self.update_hour(ALL, ms, |c| c.outbound_in_app_read += 1)?;
        self.update_hour(customer, ms, |c| c.outbound_in_app_read += 1)?;
        self.update_hour(sender, ms, |c| c.outbound_in_app_read += 1)
    }

    /// Lists a new staff member for the agents' figures.
    pub(crate) fn analytics_user(&mut self, user: &User) -> Result<(), StoreError> {
        if !user.role.is_staff() {
            return Ok(());
        }
        self.insert(|t| &mut t.analytics_staff, user.id.to_u128(), ())
    }

    /// Moves a conversation between the status counts and the assigned-open
    /// counts after it was created (`old` None) or changed.
    pub(crate) fn analytics_conversation(
        &mut self,
        old: Option<&ConversationRecord>,
        new: &ConversationRecord,
    ) -> Result<(), StoreError> {
        if new.kind != ConversationKind::Customer {
            return Ok(());
        }
        let old_state = old.map(|o| (o.status, open_assignee(o)));
        if old_state == Some((new.status, open_assignee(new))) {
            return Ok(());
        }
        let customer = new.customer_id.to_u128();
        if let Some((status, assignee)) = old_state {
            self.add_status(customer, status, -1)?;
            if let Some(staff) = assignee {
                self.add_assigned_open(staff, -1)?;
            }
        }
        self.add_status(customer, new.status, 1)?;
        if let Some(staff) = open_assignee(new) {
            self.add_assigned_open(staff, 1)?;
        }
        Ok(())
    }

    fn update_hour(
        &mut self,
        scope: u128,
        ms: i64,
        change: impl FnOnce(&mut HourCounters),
    ) -> Result<(), StoreError> {
        let key = (scope, hour_of(ms));
        let mut counters = match self.analytics_hour.get(key)? {
            Some(v) => HourCounters::decode(v.value())?,
            None => HourCounters::default(),
        };
        change(&mut counters);
        self.insert(|t| &mut t.analytics_hour, key, counters.encode().as_slice())
    }

    fn update_turn_hour(
        &mut self,
        scope: u128,
        inbound_ms: i64,
        change: impl FnOnce(&mut TurnHistogram),
    ) -> Result<(), StoreError> {
        let key = (scope, hour_of(inbound_ms));
        let mut histogram = match self.analytics_turn_hour.get(key)? {
            Some(v) => TurnHistogram::decode(v.value())?,
            None => TurnHistogram::default(),
        };
        change(&mut histogram);
        self.insert(
            |t| &mut t.analytics_turn_hour,
            key,
            histogram.encode().as_slice(),
        )
    }

    fn touch_contact(&mut self, scope: u128, ms: i64) -> Result<(), StoreError> {
        let (first, last) = self
            .analytics_contact
            .get(scope)?
            .map(|v| v.value())
            .unwrap_or((ms, ms));
        self.insert(
            |t| &mut t.analytics_contact,
            scope,
            (first.min(ms), last.max(ms)),
        )
    }

    /// An inbound message starts a turn unless one is already waiting.
    fn start_turn(
        &mut self,
        conversation: &ConversationRecord,
        message: &MessageRecord,
    ) -> Result<(), StoreError> {
        let c = conversation.id.to_u128();
        if self.analytics_open_turn.get(c)?.is_some() {
            return Ok(());
        }
        let (ms, id) = (message.created_at.millis(), message.id.to_u128());
        self.insert(|t| &mut t.analytics_open_turn, c, (ms, id))?;
        for scope in [ALL, conversation.customer_id.to_u128()] {
            self.insert(
                |t| &mut t.analytics_turn,
                (scope, ms, id),
                (None, None, None),
            )?;
            self.update_turn_hour(scope, ms, |h| h.unanswered += 1)?;
        }
        Ok(())
    }

    /// An outbound message ends the waiting turn, if there is one, and the
    /// turn counts for its sender.
    fn end_turn(
        &mut self,
        conversation: &ConversationRecord,
        message: &MessageRecord,
    ) -> Result<(), StoreError> {
        let waiting = self
            .remove(|t| &mut t.analytics_open_turn, conversation.id.to_u128())?
            .map(|v| v.value());
        let Some((inbound_ms, inbound_id)) = waiting else {
            return Ok(());
        };
        let reply_ms = message.created_at.millis();
        let wait_ms = reply_ms.saturating_sub(inbound_ms).max(0) as u64;
        let sender = message.sender_id.to_u128();
        let reply = (Some(message.id.to_u128()), Some(reply_ms), Some(sender));
        for scope in [ALL, conversation.customer_id.to_u128()] {
            self.insert(
                |t| &mut t.analytics_turn,
                (scope, inbound_ms, inbound_id),
                reply,
            )?;
            self.update_turn_hour(scope, inbound_ms, |h| {
                h.unanswered = h.unanswered.saturating_sub(1);
                h.add_answered(wait_ms);
            })?;
        }
        self.insert(
            |t| &mut t.analytics_turn,
            (sender, inbound_ms, inbound_id),
            reply,
        )?;
        self.update_turn_hour(sender, inbound_ms, |h| h.add_answered(wait_ms))
    }

    fn add_status(
        &mut self,
        customer: u128,
        status: ConversationStatus,
        delta: i64,
    ) -> Result<(), StoreError> {
        for scope in [ALL, customer] {
            let key = (scope, status_index(status));
            let now = self.analytics_status.get(key)?.map_or(0, |v| v.value());
            self.insert(
                |t| &mut t.analytics_status,
                key,
                now.saturating_add_signed(delta),
            )?;
        }
        Ok(())
    }

    fn add_assigned_open(&mut self, staff: u128, delta: i64) -> Result<(), StoreError> {
        let now = self
            .analytics_assigned_open
            .get(staff)?
            .map_or(0, |v| v.value());
        self.insert(
            |t| &mut t.analytics_assigned_open,
            staff,
            now.saturating_add_signed(delta),
        )
    }
}

/// The staff member an open conversation is assigned to.
fn open_assignee(c: &ConversationRecord) -> Option<u128> {
    (c.status == ConversationStatus::Open)
        .then_some(c.assignee_id)
        .flatten()
        .map(|id| id.to_u128())
}
