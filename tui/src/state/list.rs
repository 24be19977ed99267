//! The conversation list: what the daemon returned for the filter, kept in
//! most-recent-activity order as live events arrive.

use std::cell::Cell;
use std::collections::HashMap;

use commcenter::wire::{Channel, Conversation, ConversationFilter, ConversationStatus};
use commcenter::{Id, Timestamp};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StatusFilter {
    #[default]
    Open,
    Closed,
    Archived,
    All,
}

impl StatusFilter {
    pub fn next(self) -> StatusFilter {
        match self {
            StatusFilter::Open => StatusFilter::Closed,
            StatusFilter::Closed => StatusFilter::Archived,
            StatusFilter::Archived => StatusFilter::All,
            StatusFilter::All => StatusFilter::Open,
        }
    }

    pub fn status(self) -> Option<ConversationStatus> {
        match self {
            StatusFilter::Open => Some(ConversationStatus::Open),
            StatusFilter::Closed => Some(ConversationStatus::Closed),
            StatusFilter::Archived => Some(ConversationStatus::Archived),
            StatusFilter::All => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StatusFilter::Open => "open",
            StatusFilter::Closed => "closed",
            StatusFilter::Archived => "archived",
            StatusFilter::All => "any status",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub status: StatusFilter,
    pub channel: Option<Channel>,
    pub mine: bool,
    pub unread: bool,
}

impl ListFilter {
    /// The part of the filter the daemon applies (`unread` is applied here:
    /// the API has no such parameter).
    pub fn to_api(&self, me: Option<Id>) -> ConversationFilter {
        ConversationFilter {
            status: self.status.status(),
            channel: self.channel,
            assignee_id: if self.mine { me } else { None },
            ..ConversationFilter::default()
        }
    }

    /// Whether a conversation the daemon sent live belongs in the list
    /// (the channel filter is checked against the message that moved it).
    pub fn admits(&self, c: &Conversation, me: Option<Id>) -> bool {
        let status = self.status.status().is_none_or(|s| s == c.status);
        let mine = !self.mine || (me.is_some() && c.assignee_id == me);
        let unread = !self.unread || c.unread_count > 0;
        status && mine && unread
    }
}

#[derive(Debug, Clone, Default)]
pub struct ConversationList {
    pub items: Vec<Conversation>,
    pub filter: ListFilter,
    pub loading: bool,
    /// Cursor to the next page of the list, `None` once all are loaded.
    pub more: Option<String>,
    pub loading_more: bool,
    /// The selected conversation, kept by id so that reordering keeps it.
    pub selected: Option<Id>,
    /// The channel of the latest message seen per conversation (the
    /// conversation record does not carry one).
    pub last_channel: HashMap<Id, Channel>,
    /// First row on screen; the view adjusts it to keep the selection visible.
    pub offset: Cell<usize>,
}

impl ConversationList {
    /// The conversations shown, in order.
    pub fn visible(&self) -> Vec<&Conversation> {
        self.items
            .iter()
            .filter(|c| !self.filter.unread || c.unread_count > 0)
            .collect()
    }

    pub fn selected_index(&self) -> usize {
        let visible = self.visible();
        self.selected
            .and_then(|id| visible.iter().position(|c| c.id == id))
            .unwrap_or(0)
    }

    pub fn selected_conversation(&self) -> Option<&Conversation> {
        let visible = self.visible();
        visible.get(self.selected_index()).copied()
    }

    /// Moves the selection by `delta` rows, clamped to the list.
    pub fn move_by(&mut self, delta: isize) {
        let visible = self.visible();
        if visible.is_empty() {
            return;
        }
        let last = visible.len() - 1;
        let index = self.selected_index().saturating_add_signed(delta).min(last);
        self.selected = Some(visible[index].id);
    }

    pub fn select_first(&mut self) {
        self.selected = self.visible().first().map(|c| c.id);
    }

    pub fn select_last(&mut self) {
        self.selected = self.visible().last().map(|c| c.id);
    }

    pub fn replace(&mut self, items: Vec<Conversation>) {
        self.items = items;
        self.sort();
        let keeps = self
            .selected
            .is_some_and(|id| self.visible().iter().any(|c| c.id == id));
        if !keeps {
            self.select_first();
        }
    }

    /// Inserts or replaces `c`, and moves it to its place by activity.
    pub fn upsert(&mut self, c: Conversation) {
        match self.items.iter_mut().find(|x| x.id == c.id) {
            Some(slot) => *slot = c,
            None => self.items.push(c),
        }
        self.sort();
        if self.selected.is_none() {
            self.select_first();
        }
    }

    /// Adds a further page (entries already known by a live event are
    /// replaced by the daemon's record).
    pub fn extend(&mut self, items: Vec<Conversation>) {
        for c in items {
            match self.items.iter_mut().find(|x| x.id == c.id) {
                Some(slot) => *slot = c,
                None => self.items.push(c),
            }
        }
        self.sort();
    }

    pub fn remove(&mut self, id: Id) {
        self.items.retain(|c| c.id != id);
        if self.selected == Some(id) {
            self.select_first();
        }
    }

    pub fn get_mut(&mut self, id: Id) -> Option<&mut Conversation> {
        self.items.iter_mut().find(|c| c.id == id)
    }

    /// Most recent activity first, as the API orders them; ids break ties
    /// (newest first, as the daemon's index does).
    fn sort(&mut self) {
        self.items
            .sort_by_key(|c| std::cmp::Reverse((activity(c), c.id)));
    }
}

/// The daemon's order: the newest message, or the creation for a
/// conversation without one (a status change does not move it).
pub fn activity(c: &Conversation) -> Timestamp {
    c.last_message_at.unwrap_or(c.created_at)
}
