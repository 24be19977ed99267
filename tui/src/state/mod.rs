//! The console's state: plain data, changed only by `update`, read by `view`.

mod editor;
mod list;
mod search;
mod thread;

use std::collections::{BTreeSet, HashMap};

use commcenter::wire::{Role, User};
use commcenter::{Id, Timestamp};

pub use editor::Editor;
pub use list::{ConversationList, ListFilter, StatusFilter};
pub use search::SearchState;
pub use thread::{Composer, Thread, TYPING_REPEAT_MS, TYPING_TTL_MS};

use crate::action::ConnState;
use crate::keymap::Focus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Conversations,
    Thread,
    Search,
}

/// An overlay over the screen; it has the keyboard while it is open.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    Help,
    Assign(Picker),
    Tags(Editor),
}

/// A list to choose one entry from.
#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    pub title: String,
    pub entries: Vec<(String, Option<Id>)>,
    pub selected: usize,
}

#[derive(Debug, Clone)]
pub struct App {
    pub screen: Screen,
    /// Where `Esc` returns to from search.
    pub before_search: Screen,
    pub popup: Option<Popup>,
    pub me: Option<User>,
    pub users: HashMap<Id, User>,
    /// Users asked for and not yet answered, so each is asked for once.
    pub users_requested: BTreeSet<Id>,
    pub list: ConversationList,
    pub thread: Option<Thread>,
    pub search: SearchState,
    pub connection: ConnState,
    pub last_error: Option<String>,
    /// Conversations with an inbound message that arrived while they were
    /// not on screen; cleared when opened.
    pub notifications: BTreeSet<Id>,
    pub bell: bool,
    pub now: Timestamp,
    /// The staff member's time zone, fixed at start.
    pub zone: chrono::FixedOffset,
    /// Rows of the scrolling area at the last draw, for page up and down.
    pub page_rows: usize,
    pub quit: bool,
}

impl App {
    pub fn new(now: Timestamp, bell: bool) -> App {
        App {
            screen: Screen::Conversations,
            before_search: Screen::Conversations,
            popup: None,
            me: None,
            users: HashMap::new(),
            users_requested: BTreeSet::new(),
            list: ConversationList::default(),
            thread: None,
            search: SearchState::default(),
            connection: ConnState::Connecting,
            last_error: None,
            notifications: BTreeSet::new(),
            bell,
            now,
            zone: chrono::FixedOffset::east_opt(0).expect("UTC"),
            page_rows: 10,
            quit: false,
        }
    }

    /// What has the keyboard.
    pub fn focus(&self) -> Focus {
        match &self.popup {
            Some(Popup::Help) => Focus::Help,
            Some(Popup::Assign(_)) => Focus::Picker,
            Some(Popup::Tags(_)) => Focus::Prompt,
            None => self.screen_focus(),
        }
    }

    /// What has the keyboard under any popup.
    pub fn screen_focus(&self) -> Focus {
        match self.screen {
            Screen::Conversations => Focus::Conversations,
            Screen::Search => Focus::Search,
            Screen::Thread if self.thread.as_ref().is_some_and(|t| t.composer.is_some()) => {
                Focus::Composer
            }
            Screen::Thread => Focus::Thread,
        }
    }

    pub fn user_name(&self, id: Id) -> String {
        match self.users.get(&id) {
            Some(user) => user.name.clone(),
            None => "…".to_owned(),
        }
    }

    pub fn role_of(&self, id: Id) -> Option<Role> {
        self.users.get(&id).map(|u| u.role)
    }

    pub fn clock(&self) -> crate::view::Clock {
        crate::view::Clock {
            now: self.now,
            zone: self.zone,
        }
    }

    pub fn my_id(&self) -> Option<Id> {
        self.me.as_ref().map(|u| u.id)
    }
}
