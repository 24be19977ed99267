//! `update`: the one function that changes state. It takes an action, changes
//! `App`, and returns the effects (requests for the worker, a bell) for the
//! run loop to carry out, so it never waits and tests can drive it directly.

mod analytics;
mod customers;
mod files;
mod list;
mod live;
mod popup;
mod projects;
mod search;
mod thread;

use commcenter::wire::{Conversation, ConversationKind, ConversationStatus, Message};
use commcenter::Id;
use crossterm::event::MouseEventKind;

use crate::action::{Action, Command, ConnState, Effect, Loaded};
use crate::keymap::{self, Focus};
use crate::state::{App, Popup, Screen, Thread};

/// Rows a mouse wheel notch scrolls.
const WHEEL_ROWS: usize = 3;

pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let mut fx = Vec::new();
    step(app, action, &mut fx);
    fx
}

/// What the console asks for as it starts.
pub fn start(app: &App) -> Vec<Effect> {
    vec![
        Effect::Request(Command::FetchMe),
        Effect::Request(Command::LoadUsers),
        Effect::Request(Command::LoadPresence),
        Effect::Request(Command::LoadRecentChannels),
        Effect::Request(Command::LoadConversations(
            app.list.filter.to_api(app.my_id()),
        )),
    ]
}

fn step(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    match action {
        Action::Key(key) => match keymap::dispatch(app.focus(), &key) {
            Some(Action::Key(key)) => text_input(app, key, fx),
            Some(named) => step(app, named, fx),
            None => {}
        },
        Action::Paste(text) => paste(app, &text),
        Action::Mouse(mouse) => wheel(app, mouse.kind, fx),
        Action::Resize => {}
        Action::Tick(now) => {
            app.now = now;
            if let Some(thread) = &mut app.thread {
                thread.expire_typing(now);
            }
        }
        Action::Loaded(loaded) => {
            let before = app.notice.clone();
            on_loaded(app, loaded, fx);
            // A new outcome replaces the error of an earlier attempt.
            if app.notice.is_some() && app.notice != before {
                app.last_error = None;
            }
        }
        Action::Live(live) => live::apply(app, live, fx),
        Action::Connection(state) => {
            // An error from while the connection was down is stale once it
            // is back.
            if state == ConnState::Connected && app.connection != ConnState::Connected {
                app.last_error = None;
            }
            app.connection = state;
        }
        Action::Failed(error) => failed(app, error),
        Action::Help => app.popup = Some(Popup::Help),
        Action::Search => search::open(app),
        Action::ToggleBell => app.bell = !app.bell,
        Action::Refresh => reload(app, fx),
        Action::GoTo(screen) => go_to(app, screen, fx),
        Action::Quit if at_top(app) => app.quit = true,
        Action::Quit => step(app, Action::Back, fx),
        other => by_focus(app, other, fx),
    }
}

fn by_focus(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    match app.focus() {
        Focus::Conversations => list::on(app, action, fx),
        Focus::Thread | Focus::Composer => thread::on(app, action, fx),
        Focus::Search => search::on(app, action, fx),
        Focus::Customers | Focus::Find | Focus::Customer => customers::on(app, action, fx),
        Focus::Projects => projects::on(app, action, fx),
        Focus::Analytics => analytics::on(app, action, fx),
        Focus::Help | Focus::Picker | Focus::Prompt | Focus::Preview => {
            popup::on(app, action, fx);
        }
        Focus::Global => {}
    }
}

/// True on a top-level screen with nothing over it, where `q` quits.
fn at_top(app: &App) -> bool {
    app.popup.is_none()
        && match app.screen {
            Screen::Conversations | Screen::Projects | Screen::Analytics => true,
            Screen::Customers => app.customers.detail.is_none(),
            Screen::Thread | Screen::Search => false,
        }
}

/// Shows a top-level screen, loading what it shows the first time.
fn go_to(app: &mut App, screen: Screen, fx: &mut Vec<Effect>) {
    app.popup = None;
    app.screen = screen;
    app.tab = screen;
    match screen {
        Screen::Customers => {
            // A page opened from analytics belongs to analytics.
            if app
                .customers
                .detail
                .as_ref()
                .is_some_and(|d| d.back_to != Screen::Customers)
            {
                app.customers.detail = None;
            }
            if !app.customers.loaded && !app.customers.loading {
                customers::find(app, fx);
            }
        }
        Screen::Projects => projects::load(app, fx),
        Screen::Analytics if app.analytics.overview.is_none() && !app.analytics.loading => {
            analytics::load(app, fx);
        }
        _ => {}
    }
}

fn text_input(app: &mut App, key: crossterm::event::KeyEvent, fx: &mut Vec<Effect>) {
    match app.focus() {
        Focus::Composer => thread::edit(app, key, fx),
        Focus::Search => search::edit(app, key, fx),
        Focus::Find => customers::edit(app, key, fx),
        Focus::Prompt => match &mut app.popup {
            Some(Popup::Tags(editor)) => {
                editor.handle(&key);
            }
            Some(Popup::Form(form)) => {
                form.editor_mut().handle(&key);
            }
            _ => {}
        },
        _ => {}
    }
}

fn paste(app: &mut App, text: &str) {
    match app.focus() {
        Focus::Composer => {
            if let Some(composer) = app.thread.as_mut().and_then(|t| t.composer.as_mut()) {
                composer.editor.insert_str(text);
            }
        }
        Focus::Prompt => match &mut app.popup {
            Some(Popup::Tags(editor)) => editor.insert_str(&text.replace('\n', " ")),
            Some(Popup::Form(form)) => form.editor_mut().insert_str(&text.replace('\n', " ")),
            _ => {}
        },
        Focus::Find => app.customers.query.insert_str(&text.replace('\n', " ")),
        _ => {}
    }
}

fn wheel(app: &mut App, kind: MouseEventKind, fx: &mut Vec<Effect>) {
    let action = match kind {
        MouseEventKind::ScrollDown => Action::Down,
        MouseEventKind::ScrollUp => Action::Up,
        _ => return,
    };
    if app.popup.is_some() {
        return;
    }
    for _ in 0..WHEEL_ROWS {
        by_focus(app, action.clone(), fx);
    }
}

fn failed(app: &mut App, error: String) {
    app.last_error = Some(error);
    app.notice = None;
    app.list.loading = false;
    app.customers.loading = false;
    app.projects.loading = false;
    app.analytics.loading = false;
    if let Some(thread) = &mut app.thread {
        thread.loading = false;
        thread.loading_older = false;
        if let Some(composer) = &mut thread.composer {
            composer.sending = false;
            // An upload that failed will not arrive: let the reply go without it.
            composer.uploading = composer.uploading.saturating_sub(1);
        }
    }
}

fn on_loaded(app: &mut App, loaded: Loaded, fx: &mut Vec<Effect>) {
    match loaded {
        Loaded::Me(user) => {
            app.users.insert(user.id, user.clone());
            app.me = Some(user);
        }
        Loaded::Users(users) => {
            for user in users {
                app.users.insert(user.id, user);
            }
        }
        Loaded::User(user) => {
            app.users.insert(user.id, user);
        }
        Loaded::Presence(all) => {
            app.presence = all.into_iter().map(|p| (p.user_id, p)).collect();
        }
        Loaded::Conversations(page) => list::loaded(app, page, fx),
        Loaded::MoreConversations(page) => list::more_loaded(app, page, fx),
        Loaded::Conversation(c) => list::conversation_loaded(app, c, fx),
        Loaded::Messages {
            conversation_id,
            page,
            older,
            focus: _,
        } => thread::loaded(app, conversation_id, page, older, fx),
        Loaded::Sent(message) => thread::sent(app, message, fx),
        Loaded::Retried(message) => thread::retried(app, message),
        Loaded::RecentChannels(channels) => {
            for (conversation_id, channel) in channels {
                // A live message seen meanwhile is newer: keep it.
                app.list
                    .last_channel
                    .entry(conversation_id)
                    .or_insert(channel);
            }
        }
        Loaded::SearchResults { generation, hits } => search::results(app, generation, hits, fx),
        Loaded::Customers { generation, users } => {
            customers::loaded(app, generation, users);
        }
        Loaded::CustomerCreated(user) => customers::created(app, user, fx),
        Loaded::CustomerConversations { customer_id, items } => {
            customers::conversations_loaded(app, customer_id, items, fx);
        }
        Loaded::CustomerFigures(figures) => customers::figures_loaded(app, *figures),
        Loaded::PortalLink {
            user_id,
            url,
            expires_at,
            sent,
        } => customers::portal_link(app, user_id, url, expires_at, sent),
        Loaded::Projects(items) => projects::loaded(app, items, fx),
        Loaded::CrewMessages {
            project_id,
            messages,
        } => projects::crew_loaded(app, project_id, &messages),
        Loaded::Analytics {
            days,
            overview,
            top,
        } => analytics::loaded(app, days, *overview, top, fx),
        Loaded::Templates(templates) => thread::templates_loaded(app, templates),
        Loaded::Rendered { template, rendered } => {
            app.popup = Some(Popup::Preview(Box::new(crate::state::TemplatePreview {
                template: *template,
                rendered,
            })));
        }
        Loaded::Uploaded {
            conversation_id,
            file,
        } => files::uploaded(app, conversation_id, *file),
        Loaded::FileSaved { name, path } => {
            app.notice = Some(format!("saved {name} to {path}"));
        }
        Loaded::FileOpened { name, path } => {
            app.notice = Some(format!("opened {name} ({path})"));
        }
    }
}

/// Loads again what is on screen (after a resync or on request).
fn reload(app: &mut App, fx: &mut Vec<Effect>) {
    match app.screen {
        Screen::Customers => customers::reload(app, fx),
        Screen::Projects => {
            app.projects.spots_requested.clear();
            projects::load(app, fx);
        }
        Screen::Analytics => analytics::load(app, fx),
        _ => {}
    }
    app.list.loading = true;
    // Frames missed while disconnected: ask again who is online.
    fx.push(Effect::Request(Command::LoadPresence));
    fx.push(Effect::Request(Command::LoadConversations(
        app.list.filter.to_api(app.my_id()),
    )));
    fx.push(Effect::Request(Command::LoadRecentChannels));
    if let Some(thread) = &mut app.thread {
        let focus = thread.messages.get(thread.selected).map(|m| m.id);
        thread.focus = focus;
        fx.push(Effect::Request(Command::LoadThread {
            conversation_id: thread.id(),
            focus,
        }));
    }
}

/// Asks for a user the console has not seen yet, once.
fn want_user(app: &mut App, id: Id, fx: &mut Vec<Effect>) {
    if !app.users.contains_key(&id) && app.users_requested.insert(id) {
        fx.push(Effect::Request(Command::FetchUser(id)));
    }
}

/// Opens `conversation`'s thread, at `focus` when given.
fn open_thread(app: &mut App, conversation: Conversation, focus: Option<Id>, fx: &mut Vec<Effect>) {
    let id = conversation.id;
    want_user(app, conversation.customer_id, fx);
    app.notifications.remove(&id);
    app.thread = Some(Thread::new(conversation, focus));
    app.before_thread = match app.screen {
        Screen::Thread | Screen::Search => app.tab,
        other => other,
    };
    app.screen = Screen::Thread;
    fx.push(Effect::Request(Command::LoadThread {
        conversation_id: id,
        focus,
    }));
}

/// A stand-in for a conversation known only from one of its messages, until
/// the daemon's record arrives.
fn conversation_of(message: &Message) -> Conversation {
    Conversation {
        id: message.conversation_id,
        kind: if message.project_id.is_some() {
            ConversationKind::Project
        } else {
            ConversationKind::Customer
        },
        customer_id: message.customer_id,
        project_id: message.project_id,
        subject: None,
        status: ConversationStatus::Open,
        assignee_id: None,
        tags: Vec::new(),
        created_at: message.created_at,
        updated_at: message.created_at,
        last_message_at: Some(message.created_at),
        last_message_preview: None,
        message_count: 0,
        unread_count: 0,
    }
}

#[cfg(test)]
mod screen_tests;
#[cfg(test)]
mod tests;
