//! The one `Action` enum: everything that can change the console's state,
//! whether it comes from a key, the mouse, the clock or the worker.
//!
//! Keys become actions through the keymap (`keymap.rs`); the worker's results
//! come back as actions too, so `update` is the only place state changes.

use std::collections::BTreeMap;

use commcenter::wire::{
    AnalyticsOverview, Channel, Conversation, ConversationFilter, ConversationPatch,
    CustomerAnalytics, EventData, FileMeta, Message, NewMessage, NewUser, Page, Presence, Project,
    RenderedTemplate, SearchHit, Template, TypingState, User,
};
use commcenter::{Id, Timestamp};
use crossterm::event::{KeyEvent, MouseEvent};

// A few actions a second go through a channel: their size does not matter,
// and boxing the worker's answers would only add noise at every match.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    // Commands a key can name (the keymap's vocabulary).
    Quit,
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Reply,
    Note,
    Search,
    Help,
    Send,
    Newline,
    NextChannel,
    CycleStatusFilter,
    CycleChannelFilter,
    ToggleMine,
    ToggleUnread,
    ToggleBell,
    CloseConversation,
    ReopenConversation,
    ArchiveConversation,
    /// Queue the selected failed SMS or email again.
    RetryMessage,
    Assign,
    Tag,
    Refresh,
    /// Show a top-level screen (the number keys).
    GoTo(crate::state::Screen),
    /// Reply from a template: pick one, fill its variables, preview.
    Template,
    /// Attach a local file to a reply.
    Attach,
    /// Open the selected message's attachment with the desktop's viewer.
    OpenFile,
    /// Save the selected message's attachment.
    SaveFile,
    /// Find customers by name, phone or email.
    Find,
    NewCustomer,
    /// Make a portal link for the customer on screen.
    PortalLink,
    /// Analytics over another range of days.
    CycleRange,
    /// Tab in a form: complete a path, or go to the next field.
    Complete,
    // Raw input the keymap does not name: typed text in a focused editor.
    Key(KeyEvent),
    /// Pasted text (bracketed paste), so a pasted line break is not Enter.
    Paste(String),
    Mouse(MouseEvent),
    Resize,
    Tick(Timestamp),
    // What the worker reports.
    Loaded(Loaded),
    Live(Live),
    Connection(ConnState),
    Failed(String),
}

/// Answers to the worker's requests.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    Me(User),
    Users(Vec<User>),
    /// Who is connected, and when the others were last seen.
    Presence(Vec<Presence>),
    User(User),
    Conversations(Page<Conversation>),
    /// The next page of the list, for the same filter.
    MoreConversations(Page<Conversation>),
    Conversation(Conversation),
    Messages {
        conversation_id: Id,
        page: Page<Message>,
        /// True for an older page added above what is shown.
        older: bool,
        /// The message to select once loaded (a search hit).
        focus: Option<Id>,
    },
    Sent(Message),
    /// A failed message queued again.
    Retried(Message),
    /// The channel of each conversation's newest message, for the list's
    /// channel column (the conversation record does not say).
    RecentChannels(Vec<(Id, Channel)>),
    SearchResults {
        generation: u64,
        hits: Vec<SearchHit>,
    },
    Customers {
        generation: u64,
        users: Vec<User>,
    },
    CustomerCreated(User),
    CustomerConversations {
        customer_id: Id,
        items: Vec<Conversation>,
    },
    CustomerFigures(Box<CustomerAnalytics>),
    PortalLink {
        user_id: Id,
        url: String,
        expires_at: Timestamp,
        /// The channel it was sent on, when it was sent.
        sent: Option<Channel>,
    },
    Projects(Vec<Project>),
    /// The newest messages of a project's crew channel, to find where each
    /// crew member last was.
    CrewMessages {
        project_id: Id,
        messages: Vec<Message>,
    },
    Analytics {
        days: u32,
        overview: Box<AnalyticsOverview>,
        /// Every customer's figures, most engaged first.
        top: Vec<CustomerAnalytics>,
    },
    Templates(Vec<Template>),
    Rendered {
        template: Box<Template>,
        rendered: RenderedTemplate,
    },
    Uploaded {
        conversation_id: Id,
        file: Box<FileMeta>,
    },
    FileSaved {
        name: String,
        path: String,
    },
    FileOpened {
        name: String,
        path: String,
    },
}

/// What arrives over the WebSocket.
#[derive(Debug, Clone, PartialEq)]
pub enum Live {
    Event(EventData),
    Typing {
        conversation_id: Id,
        user_id: Id,
        state: TypingState,
    },
    /// A user came online or went offline.
    Presence(Presence),
    /// History was lost (or this is a fresh connection): reload what is shown.
    Resync,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Connected,
    Reconnecting,
    Offline,
}

impl ConnState {
    pub fn label(self) -> &'static str {
        match self {
            ConnState::Connecting => "connecting",
            ConnState::Connected => "connected",
            ConnState::Reconnecting => "reconnecting",
            ConnState::Offline => "offline",
        }
    }
}

/// Requests for the worker, which owns the network.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    FetchMe,
    LoadUsers,
    LoadPresence,
    FetchUser(Id),
    FetchConversation(Id),
    LoadConversations(ConversationFilter),
    LoadMoreConversations {
        filter: ConversationFilter,
        cursor: String,
    },
    LoadRecentChannels,
    LoadThread {
        conversation_id: Id,
        focus: Option<Id>,
    },
    LoadOlder {
        conversation_id: Id,
        cursor: String,
        focus: Option<Id>,
    },
    Send {
        conversation_id: Id,
        message: NewMessage,
    },
    Patch {
        conversation_id: Id,
        patch: ConversationPatch,
    },
    /// `POST /messages/{id}/retry`.
    Retry(Id),
    MarkRead {
        conversation_id: Id,
        up_to: Id,
    },
    Search {
        generation: u64,
        query: String,
    },
    /// Tells the conversation's participants that the caller is typing.
    Typing {
        conversation_id: Id,
        state: TypingState,
    },
    FindCustomers {
        generation: u64,
        query: String,
    },
    CreateCustomer(NewUser),
    LoadCustomerConversations(Id),
    LoadCustomerFigures(Id),
    /// Make a portal link for a customer; send it on `send` when given.
    PortalLink {
        user_id: Id,
        send: Option<Channel>,
    },
    LoadProjects,
    LoadCrewMessages {
        project_id: Id,
        conversation_id: Id,
    },
    /// The overview and every customer's figures since `since` (a date).
    LoadAnalytics {
        days: u32,
        since: String,
    },
    LoadTemplates,
    RenderTemplate {
        template: Box<Template>,
        conversation_id: Id,
        variables: BTreeMap<String, String>,
    },
    /// Uploads a local file for the reply being written.
    Upload {
        conversation_id: Id,
        path: String,
    },
    SaveFile {
        file: Box<FileMeta>,
        path: String,
    },
    /// Downloads to a temporary file and hands it to `xdg-open`.
    OpenFile(Box<FileMeta>),
}

/// What `update` asks of the outside world.
#[allow(clippy::large_enum_variant)] // As for `Action`.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Request(Command),
    Bell,
}
