//! Messages: sending, listing, reading one.

use redb::ReadableTable;

use super::records::{
    cursor, decode, encode, preview, ConversationRecord, MessageRecord, Ordinals,
};
use super::tx::{Mode, Tables};
use super::{StoreError, Tx, View};
use commcenter::access::{self, Caller};
use commcenter::wire::{
    Channel, ConversationKind, ConversationStatus, Direction, EventData, Location, Message,
    MessageStatus, NewMessage, Page,
};
use commcenter::Id;

pub use commcenter::wire::{MAX_ATTACHMENTS, MAX_BODY_CHARS, MAX_SUBJECT_CHARS};

impl<M: Mode> Tables<M> {
    pub(super) fn find_message(&self, id: Id) -> Result<Option<MessageRecord>, StoreError> {
        match self.message.get(id.to_u128())? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }

    /// The message and its conversation if `caller` may see the message;
    /// otherwise `NotFound`.
    pub(super) fn visible_message(
        &self,
        caller: &Caller,
        id: Id,
    ) -> Result<(MessageRecord, ConversationRecord), StoreError> {
        let not_found = || StoreError::not_found("message", id);
        let message = self.find_message(id)?.ok_or_else(not_found)?;
        let conversation = self
            .find_conversation(message.conversation_id)?
            .ok_or_else(not_found)?;
        let sees_conversation = self.audience_includes(&conversation.audience(), caller)?;
        if access::may_see_message(caller, message.private, sees_conversation) {
            Ok((message, conversation))
        } else {
            Err(not_found())
        }
    }

    pub(super) fn message_to_wire(&self, m: &MessageRecord) -> Result<Message, StoreError> {
        Ok(Message {
            id: m.id,
            conversation_id: m.conversation_id,
            customer_id: m.customer_id,
            project_id: m.project_id,
            sender_id: m.sender_id,
            direction: m.direction,
            channel: m.channel,
            subject: m.subject.clone(),
            body: m.body.clone(),
            attachments: self.attachment_metas(&m.attachment_ids)?,
            template_id: m.template_id,
            location: m.location,
            private: m.private,
            status: m.status,
            error: m.error.clone(),
            created_at: m.created_at,
            delivered_at: m.delivered_at,
            read_at: m.read_at,
        })
    }
}

impl View {
    /// `GET /messages/{id}`.
    pub fn get_message(&self, caller: &Caller, id: Id) -> Result<Message, StoreError> {
        let (message, _) = self.visible_message(caller, id)?;
        self.message_to_wire(&message)
    }

    /// `GET /conversations/{id}/messages`: the newest `limit` messages before
    /// the cursor, oldest first; `next_cursor` pages to older ones.
    pub fn list_messages(
        &self,
        caller: &Caller,
        conversation_id: Id,
        limit: usize,
        before: Option<&str>,
    ) -> Result<Page<Message>, StoreError> {
        let conversation = self.visible_conversation(caller, conversation_id)?;
        let c = conversation.id.to_u128();
        let upper = before
            .map(cursor::decode_number)
            .transpose()?
            .unwrap_or(u64::MAX);
        let mut newest_first = Vec::new();
        let mut next_cursor = None;
        for row in self.conversation_message.range((c, 0)..(c, upper))?.rev() {
            let (_, id) = row?;
            let Some(message) = self.find_message(Id::from_u128(id.value()))? else {
                continue;
            };
            // The conversation is visible (checked above); notes may not be.
            if !access::may_see_message(caller, message.private, true) {
                continue;
            }
            if newest_first.len() == limit {
                next_cursor = newest_first
                    .last()
                    .map(|m: &MessageRecord| m.ord.all.to_string());
                break;
            }
            newest_first.push(message);
        }
        let items = newest_first
            .iter()
            .rev()
            .map(|m| self.message_to_wire(m))
            .collect::<Result<_, _>>()?;
        Ok(Page { items, next_cursor })
    }
}

impl Tx<'_> {
    /// `POST /conversations/{id}/messages`.
    pub fn send_message(
        &mut self,
        caller: &Caller,
        conversation_id: Id,
        mut new: NewMessage,
    ) -> Result<Message, StoreError> {
        let mut conversation = self.visible_conversation(caller, conversation_id)?;
        let channel = new.channel.unwrap_or(Channel::InApp);
        let private = new.private.unwrap_or(false);
        access::may_send(caller, channel, private)?;
        check_note_channel(channel, private)?;
        self.check_reachable(&conversation, channel)?;
        let text = self.message_text(caller, &conversation, channel, &mut new)?;
        let attachment_ids = new.attachments.unwrap_or_default();
        check_content(&text.body, text.subject.as_deref(), &attachment_ids)?;
        self.check_attachments(caller, &attachment_ids)?;
        let location = new
            .location
            .map(|l| valid_location(l, self.now))
            .transpose()?;

        let status = match channel {
            Channel::Sms | Channel::Email => MessageStatus::Queued,
            Channel::InApp | Channel::Phone => MessageStatus::Sent,
        };
        let draft = Draft {
            sender: *caller,
            channel,
            subject: text.subject,
            body: text.body,
            template_id: text.template_id,
            attachment_ids,
            location,
            private,
            status,
        };
        self.append_message(&mut conversation, draft)
    }

    /// Records a historic message as it happened at `at` (imports and the
    /// demo data set): the sender's role decides the direction, any channel
    /// may be used, and the message counts as sent.
    pub fn import_message(
        &mut self,
        conversation_id: Id,
        message: ImportedMessage,
    ) -> Result<Message, StoreError> {
        let mut conversation = self
            .find_conversation(conversation_id)?
            .ok_or_else(|| StoreError::not_found("conversation", conversation_id))?;
        let sender = self.user(message.sender_id)?;
        check_content(&message.body, message.subject.as_deref(), &[])?;
        self.now = message.at;
        let location = message
            .location
            .map(|l| valid_location(l, message.at))
            .transpose()?;
        let draft = Draft {
            sender: Caller {
                user_id: sender.id,
                role: sender.role,
                token_id: sender.id,
            },
            channel: message.channel,
            subject: message.subject,
            body: message.body,
            template_id: None,
            attachment_ids: Vec::new(),
            location,
            private: message.private,
            status: MessageStatus::Sent,
        };
        self.append_message(&mut conversation, draft)
    }

    /// Sets the time the rest of this write job stamps on what it writes
    /// (imports of history). The writer restores the batch's time afterwards.
    pub fn set_clock(&mut self, at: commcenter::Timestamp) {
        self.now = at;
    }

    /// Writes a validated message: the record, its place in the conversation,
    /// the conversation's tallies and activity, its event, and the sender's
    /// read marker (writing a message means having read up to it).
    fn append_message(
        &mut self,
        conversation: &mut ConversationRecord,
        draft: Draft,
    ) -> Result<Message, StoreError> {
        let old_activity = conversation.activity();
        let ord = next_ordinals(conversation, draft.private);
        let message = MessageRecord {
            id: self.new_id(),
            conversation_id: conversation.id,
            customer_id: conversation.customer_id,
            project_id: conversation.project_id,
            sender_id: draft.sender.user_id,
            direction: if draft.sender.is_staff() {
                Direction::Outbound
            } else {
                Direction::Inbound
            },
            channel: draft.channel,
            subject: draft.subject,
            body: draft.body,
            attachment_ids: draft.attachment_ids,
            template_id: draft.template_id,
            location: draft.location,
            private: draft.private,
            status: draft.status,
            error: None,
            created_at: self.now,
            delivered_at: None,
            read_at: None,
            ord,
        };
        self.put_message(&message)?;
        self.index_attachments(message.id, &message.attachment_ids)?;
        self.index_message(&message)?;
        self.insert(
            |t| &mut t.conversation_message,
            (conversation.id.to_u128(), ord.all),
            message.id.to_u128(),
        )?;
        let reopened = self.count_message(conversation, &message);
        self.put_conversation(conversation)?;
        self.reindex_activity(old_activity, conversation)?;
        let wire = self.message_to_wire(&message)?;
        self.emit(
            conversation.message_audience(message.private),
            EventData::MessageCreated {
                message: Box::new(wire.clone()),
            },
        )?;
        if reopened {
            self.emit_conversation(conversation)?;
        }
        self.mark_read(&draft.sender, conversation, ord)?;
        Ok(wire)
    }

    pub(super) fn put_message(&mut self, message: &MessageRecord) -> Result<(), StoreError> {
        let bytes = encode(message)?;
        self.insert(|t| &mut t.message, message.id.to_u128(), bytes.as_slice())
    }

    /// Adds a new message to its conversation's tallies. An inbound message
    /// reopens a closed or archived conversation; returns whether it did.
    fn count_message(
        &self,
        conversation: &mut ConversationRecord,
        message: &MessageRecord,
    ) -> bool {
        let preview = preview(&message.body, message.attachment_ids.len());
        let tallies = if message.private {
            vec![&mut conversation.all]
        } else {
            vec![&mut conversation.all, &mut conversation.public]
        };
        for tally in tallies {
            tally.count += 1;
            tally.last_at = Some(message.created_at);
            tally.preview.clone_from(&preview);
            tally.channels |= message.channel.bit();
        }
        conversation.updated_at = self.now;
        let reopen = message.direction == Direction::Inbound
            && conversation.status != ConversationStatus::Open;
        if reopen {
            conversation.status = ConversationStatus::Open;
        }
        reopen
    }

    /// SMS and email need somewhere to go: the customer's phone or email.
    fn check_reachable(
        &self,
        conversation: &ConversationRecord,
        channel: Channel,
    ) -> Result<(), StoreError> {
        if !matches!(channel, Channel::Sms | Channel::Email) {
            return Ok(());
        }
        if conversation.kind == ConversationKind::Project {
            return Err(StoreError::invalid(
                "channel",
                "a project conversation is the crew channel; send sms or email in the customer's conversation",
            ));
        }
        let customer = self.user(conversation.customer_id)?;
        match channel {
            Channel::Sms if customer.phone.is_none() => Err(StoreError::invalid(
                "channel",
                format!("customer {} has no phone number for sms", customer.id),
            )),
            Channel::Email if customer.email.is_none() => Err(StoreError::invalid(
                "channel",
                format!("customer {} has no email address", customer.id),
            )),
            _ => Ok(()),
        }
    }
}

/// A validated message about to be written.
struct Draft {
    sender: Caller,
    channel: Channel,
    subject: Option<String>,
    body: String,
    template_id: Option<Id>,
    attachment_ids: Vec<Id>,
    location: Option<Location>,
    private: bool,
    status: MessageStatus,
}

/// A message from history, for [`Tx::import_message`].
#[derive(Debug, Clone)]
pub struct ImportedMessage {
    pub sender_id: Id,
    pub channel: Channel,
    pub subject: Option<String>,
    pub body: String,
    pub private: bool,
    pub location: Option<Location>,
    pub at: commcenter::Timestamp,
}

/// A note stays inside: it is never sent by SMS or email. (Who may write a
/// note at all is [`access::may_send`]'s.)
fn check_note_channel(channel: Channel, private: bool) -> Result<(), StoreError> {
    if private && matches!(channel, Channel::Sms | Channel::Email) {
        return Err(StoreError::invalid(
            "private",
            "a private note is never sent by sms or email",
        ));
    }
    Ok(())
}

fn check_content(body: &str, subject: Option<&str>, attachments: &[Id]) -> Result<(), StoreError> {
    if body.trim().is_empty() && attachments.is_empty() {
        return Err(StoreError::invalid(
            "body",
            "a message needs a body or an attachment",
        ));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(StoreError::invalid(
            "body",
            format!("body must be at most {MAX_BODY_CHARS} characters"),
        ));
    }
    if subject.is_some_and(|s| s.chars().count() > MAX_SUBJECT_CHARS) {
        return Err(StoreError::invalid(
            "subject",
            format!("subject must be at most {MAX_SUBJECT_CHARS} characters"),
        ));
    }
    check_no_control_chars("body", body)?;
    check_no_control_chars("subject", subject.unwrap_or(""))?;
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(StoreError::invalid(
            "attachments",
            format!("at most {MAX_ATTACHMENTS} attachments"),
        ));
    }
    Ok(())
}

/// Text may hold tabs and line breaks but no other control character: a NUL
/// (`\u0000`) or an escape sequence has no place in a message, cannot go by
/// SMS or email, and could rewrite a staff member's terminal.
pub(super) fn check_no_control_chars(field: &'static str, text: &str) -> Result<(), StoreError> {
    match text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        Some(c) => Err(StoreError::invalid(
            field,
            format!(
                "{field} must not contain the control character U+{:04X}",
                u32::from(c)
            ),
        )),
        None => Ok(()),
    }
}

/// The largest `accuracy_m` taken: 100 km, coarser than any cell-tower fix.
const MAX_ACCURACY_M: f64 = 100_000.0;

/// Coordinates in range, accuracy from 0 to [`MAX_ACCURACY_M`];
/// `recorded_at` defaults to now.
fn valid_location(mut l: Location, now: commcenter::Timestamp) -> Result<Location, StoreError> {
    if !l.lat.is_finite() || !(-90.0..=90.0).contains(&l.lat) {
        return Err(StoreError::invalid(
            "location.lat",
            "lat must be between -90 and 90",
        ));
    }
    if !l.lon.is_finite() || !(-180.0..=180.0).contains(&l.lon) {
        return Err(StoreError::invalid(
            "location.lon",
            "lon must be between -180 and 180",
        ));
    }
    if l.accuracy_m
        .is_some_and(|a| !(0.0..=MAX_ACCURACY_M).contains(&a))
    {
        return Err(StoreError::invalid(
            "location.accuracy_m",
            "accuracy_m must be a number of metres from 0 to 100000",
        ));
    }
    l.recorded_at.get_or_insert(now);
    Ok(l)
}

fn next_ordinals(c: &ConversationRecord, private: bool) -> Ordinals {
    Ordinals {
        all: c.all.count + 1,
        public: c.public.count + u64::from(!private),
    }
}
