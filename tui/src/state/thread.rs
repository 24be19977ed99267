//! An open conversation: its messages (oldest first), the selection, the
//! reply editor and who is typing.

use std::cell::Cell;
use std::collections::HashMap;

use commcenter::wire::{Channel, Conversation, FileMeta, Message, MessageStatus, ReceiptState};
use commcenter::{Id, Timestamp};

use super::Editor;

/// How long a `typing: start` is believed without a refresh (ms).
pub const TYPING_TTL_MS: i64 = 6_000;
/// How often a `typing: start` is repeated while typing (ms): within the
/// TTL, so others' indicators stay on.
pub const TYPING_REPEAT_MS: i64 = 3_000;

#[derive(Debug, Clone)]
pub struct Thread {
    pub conversation: Conversation,
    /// Oldest first, unique by id.
    pub messages: Vec<Message>,
    /// Cursor to the page of older messages, `None` once all are loaded.
    pub older: Option<String>,
    pub loading: bool,
    pub loading_older: bool,
    /// Index into `messages` of the selected one.
    pub selected: usize,
    /// Message to select once it is loaded (opened from search).
    pub focus: Option<Id>,
    /// First message on screen; the view adjusts it.
    pub top: Cell<usize>,
    pub composer: Option<Composer>,
    /// Who is typing, and until when the indicator stays without a refresh.
    pub typing: HashMap<Id, Timestamp>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Composer {
    pub editor: Editor,
    pub channel: Channel,
    /// A staff-only note rather than a reply.
    pub private: bool,
    pub sending: bool,
    /// When a `typing: start` was last sent, to send one every few
    /// seconds rather than one per key.
    pub typing_sent: Option<Timestamp>,
    /// Files uploaded for this reply, sent with it.
    pub attachments: Vec<FileMeta>,
    /// Uploads under way.
    pub uploading: usize,
    /// The subject a template gave (email).
    pub subject: Option<String>,
    /// The template the text came from, and the only channel it may go on.
    pub template: Option<(Id, Option<Channel>)>,
}

impl Composer {
    pub fn reply(channel: Channel) -> Composer {
        Composer {
            editor: Editor::default(),
            channel,
            private: false,
            sending: false,
            typing_sent: None,
            attachments: Vec::new(),
            uploading: 0,
            subject: None,
            template: None,
        }
    }

    /// Something to send: text or at least one file, and no upload pending.
    pub fn ready(&self) -> bool {
        (!self.editor.is_blank() || !self.attachments.is_empty()) && self.uploading == 0
    }

    /// The channel is fixed when a template allows only one.
    pub fn channel_locked(&self) -> bool {
        self.private || self.template.is_some_and(|(_, only)| only.is_some())
    }

    pub fn note() -> Composer {
        Composer {
            private: true,
            ..Composer::reply(Channel::InApp)
        }
    }
}

impl Thread {
    pub fn new(conversation: Conversation, focus: Option<Id>) -> Thread {
        Thread {
            conversation,
            messages: Vec::new(),
            older: None,
            loading: true,
            loading_older: false,
            selected: 0,
            focus,
            top: Cell::new(0),
            composer: None,
            typing: HashMap::new(),
        }
    }

    pub fn id(&self) -> Id {
        self.conversation.id
    }

    pub fn at_bottom(&self) -> bool {
        self.messages.is_empty() || self.selected + 1 >= self.messages.len()
    }

    /// Replaces the messages with the newest page, selecting the focus
    /// message if it is there, else the newest.
    pub fn set_newest(&mut self, page: Vec<Message>, older: Option<String>) {
        self.messages = page;
        self.older = older;
        self.loading = false;
        self.selected = self.messages.len().saturating_sub(1);
        self.top.set(self.selected);
        self.take_focus();
    }

    /// Puts an older page above what is shown, keeping the selection on the
    /// same message.
    pub fn prepend(&mut self, page: Vec<Message>, older: Option<String>) {
        let fresh: Vec<Message> = page
            .into_iter()
            .filter(|m| !self.messages.iter().any(|x| x.id == m.id))
            .collect();
        let added = fresh.len();
        self.messages.splice(0..0, fresh);
        self.older = older;
        self.loading_older = false;
        self.selected += added;
        self.top.set(self.top.get() + added);
        self.take_focus();
    }

    fn take_focus(&mut self) {
        let Some(focus) = self.focus else { return };
        if let Some(i) = self.messages.iter().position(|m| m.id == focus) {
            self.selected = i;
            self.top.set(i);
            self.focus = None;
        }
    }

    /// Adds or replaces a message. New ones go in time order; the selection
    /// follows the newest when it was already there.
    pub fn upsert(&mut self, message: Message) {
        if let Some(slot) = self.messages.iter_mut().find(|m| m.id == message.id) {
            *slot = message;
            return;
        }
        let follow = self.at_bottom();
        let at = self
            .messages
            .partition_point(|m| (m.created_at, m.id) <= (message.created_at, message.id));
        self.messages.insert(at, message);
        if follow {
            self.selected = self.messages.len() - 1;
        } else if at <= self.selected {
            self.selected += 1;
        }
    }

    /// A receipt moves a message's status forward, never back.
    pub fn apply_receipt(&mut self, message_id: Id, state: ReceiptState) {
        let Some(m) = self.messages.iter_mut().find(|m| m.id == message_id) else {
            return;
        };
        let reached = match state {
            ReceiptState::Delivered => MessageStatus::Delivered,
            ReceiptState::Read => MessageStatus::Read,
        };
        if m.status != MessageStatus::Failed && m.status < reached {
            m.status = reached;
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.messages.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn newest_id(&self) -> Option<Id> {
        self.messages.last().map(|m| m.id)
    }

    /// Drops typing indicators that were not refreshed in time.
    pub fn expire_typing(&mut self, now: Timestamp) {
        self.typing.retain(|_, until| *until > now);
    }
}
