//! The console's state: plain data, changed only by `update`, read by `view`.

mod analytics;
mod customers;
mod editor;
mod form;
mod list;
pub mod path;
mod projects;
mod search;
mod thread;

use std::collections::{BTreeSet, HashMap};

use commcenter::wire::{Channel, Message, Presence, RenderedTemplate, Role, Template, User};
use commcenter::{Id, Timestamp};

pub use analytics::{Analytics, RANGES};
pub use customers::{CustomerPage, Customers};
pub use editor::Editor;
pub use form::{Field, Form, FormPurpose};
pub use list::{ConversationList, ListFilter, StatusFilter};
pub use projects::{CrewSpot, Projects};
pub use search::SearchState;
pub use thread::{Composer, Thread, TYPING_REPEAT_MS, TYPING_TTL_MS};

use crate::action::ConnState;
use crate::keymap::Focus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Conversations,
    Thread,
    Search,
    Customers,
    Projects,
    Analytics,
}

impl Screen {
    /// The top-level screens, in the order of their number keys.
    pub const TABS: [Screen; 4] = [
        Screen::Conversations,
        Screen::Customers,
        Screen::Projects,
        Screen::Analytics,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Screen::Conversations => "Conversations",
            Screen::Thread => "Conversation",
            Screen::Search => "Search",
            Screen::Customers => "Customers",
            Screen::Projects => "Projects",
            Screen::Analytics => "Analytics",
        }
    }
}

/// An overlay over the screen; it has the keyboard while it is open.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    Help,
    Assign(Picker),
    Tags(Editor),
    /// Templates to reply with.
    Templates(Picker),
    /// The selected message's attachments, to open or save one.
    Files {
        picker: Picker,
        save: bool,
    },
    Form(Form),
    /// How to give a customer their portal link: shown here, or sent by
    /// SMS or email (`channels[i]` for `picker.entries[i]`).
    PortalLink {
        picker: Picker,
        channels: Vec<Option<Channel>>,
    },
    /// A rendered template; Enter puts it in the reply editor.
    Preview(Box<TemplatePreview>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TemplatePreview {
    pub template: Template,
    pub rendered: RenderedTemplate,
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
    /// The top-level screen (number key) the current one belongs to.
    pub tab: Screen,
    /// Where `Esc` returns to from search.
    pub before_search: Screen,
    /// Where `Esc` returns to from a conversation.
    pub before_thread: Screen,
    pub popup: Option<Popup>,
    pub me: Option<User>,
    pub users: HashMap<Id, User>,
    /// Users asked for and not yet answered, so each is asked for once.
    pub users_requested: BTreeSet<Id>,
    /// Who is connected: loaded at start and on a resync, then kept by the
    /// WebSocket's `presence` frames.
    pub presence: HashMap<Id, Presence>,
    pub list: ConversationList,
    pub thread: Option<Thread>,
    pub search: SearchState,
    pub customers: Customers,
    pub projects: Projects,
    pub analytics: Analytics,
    /// Templates, once asked for (the `t` picker).
    pub templates: Option<Vec<Template>>,
    pub connection: ConnState,
    pub last_error: Option<String>,
    /// The outcome of the last action worth telling (a file saved, a link
    /// made); shown in the footer until the next one.
    pub notice: Option<String>,
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
            tab: Screen::Conversations,
            before_search: Screen::Conversations,
            before_thread: Screen::Conversations,
            popup: None,
            me: None,
            users: HashMap::new(),
            users_requested: BTreeSet::new(),
            presence: HashMap::new(),
            list: ConversationList::default(),
            thread: None,
            search: SearchState::default(),
            customers: Customers::default(),
            projects: Projects::default(),
            analytics: Analytics::default(),
            templates: None,
            connection: ConnState::Connecting,
            last_error: None,
            notice: None,
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
            Some(
                Popup::Assign(_)
                | Popup::Templates(_)
                | Popup::Files { .. }
                | Popup::PortalLink { .. },
            ) => Focus::Picker,
            Some(Popup::Tags(_) | Popup::Form(_)) => Focus::Prompt,
            Some(Popup::Preview(_)) => Focus::Preview,
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
            Screen::Customers if self.customers.detail.is_some() => Focus::Customer,
            Screen::Customers if self.customers.finding => Focus::Find,
            Screen::Customers => Focus::Customers,
            Screen::Projects => Focus::Projects,
            Screen::Analytics => Focus::Analytics,
        }
    }

    /// The selected message of the open conversation.
    pub fn selected_message(&self) -> Option<&Message> {
        let thread = self.thread.as_ref()?;
        thread.messages.get(thread.selected)
    }

    pub fn user_name(&self, id: Id) -> String {
        match self.users.get(&id) {
            Some(user) => user.name.clone(),
            None => "…".to_owned(),
        }
    }

    /// Whether `id` is connected now; `None` while presence is unknown.
    pub fn online(&self, id: Id) -> Option<bool> {
        self.presence.get(&id).map(|p| p.online)
    }

    /// When `id` was last connected: from presence, else their user record.
    pub fn last_seen(&self, id: Id) -> Option<Timestamp> {
        let known = self.presence.get(&id).and_then(|p| p.last_seen_at);
        known.or_else(|| self.users.get(&id).and_then(|u| u.last_seen_at))
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
