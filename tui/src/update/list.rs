//! Keys and answers for the conversation list.

use commcenter::wire::{Channel, Conversation, Page};

use super::{open_thread, want_user};
use crate::action::{Action, Command, Effect};
use crate::state::App;

pub(super) fn on(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    let page = page_step(app);
    match action {
        Action::Down => app.list.move_by(1),
        Action::Up => app.list.move_by(-1),
        Action::PageDown => app.list.move_by(page),
        Action::PageUp => app.list.move_by(-page),
        Action::Top => app.list.select_first(),
        Action::Bottom => app.list.select_last(),
        Action::Open => {
            if let Some(c) = app.list.selected_conversation().cloned() {
                open_thread(app, c, None, fx);
            }
        }
        Action::CycleStatusFilter => {
            app.list.filter.status = app.list.filter.status.next();
            refilter(app, fx);
        }
        Action::CycleChannelFilter => {
            app.list.filter.channel = next_channel(app.list.filter.channel);
            refilter(app, fx);
        }
        Action::ToggleMine => {
            app.list.filter.mine = !app.list.filter.mine;
            refilter(app, fx);
        }
        Action::ToggleUnread => {
            // Applied here, not by the daemon: no request.
            app.list.filter.unread = !app.list.filter.unread;
            let keeps = app.list.selected_conversation().map(|c| c.id) == app.list.selected;
            if !keeps {
                app.list.select_first();
            }
        }
        _ => {}
    }
    load_more_near_the_end(app, fx);
}

/// Rows from the end of the list at which the next page is asked for, so
/// it is usually there before the selection reaches the end.
const PREFETCH_ROWS: usize = 20;

fn load_more_near_the_end(app: &mut App, fx: &mut Vec<Effect>) {
    let list = &app.list;
    let near_end = list.selected_index() + PREFETCH_ROWS >= list.visible().len();
    if !near_end || list.loading_more || list.loading {
        return;
    }
    let Some(cursor) = list.more.clone() else {
        return;
    };
    app.list.loading_more = true;
    fx.push(Effect::Request(Command::LoadMoreConversations {
        filter: app.list.filter.to_api(app.my_id()),
        cursor,
    }));
}

fn page_step(app: &App) -> isize {
    isize::try_from(app.page_rows.max(1)).unwrap_or(1)
}

/// Any channel, then each channel in turn.
fn next_channel(current: Option<Channel>) -> Option<Channel> {
    match current {
        None => Some(Channel::ALL[0]),
        Some(c) => {
            let i = Channel::ALL.iter().position(|x| *x == c).unwrap_or(0);
            Channel::ALL.get(i + 1).copied()
        }
    }
}

fn refilter(app: &mut App, fx: &mut Vec<Effect>) {
    app.list.loading = true;
    fx.push(Effect::Request(Command::LoadConversations(
        app.list.filter.to_api(app.my_id()),
    )));
}

pub(super) fn loaded(app: &mut App, page: Page<Conversation>, fx: &mut Vec<Effect>) {
    app.list.loading = false;
    app.list.loading_more = false;
    want_people(app, &page.items, fx);
    app.list.more = page.next_cursor;
    app.list.replace(page.items);
}

pub(super) fn more_loaded(app: &mut App, page: Page<Conversation>, fx: &mut Vec<Effect>) {
    app.list.loading_more = false;
    want_people(app, &page.items, fx);
    app.list.more = page.next_cursor;
    app.list.extend(page.items);
}

fn want_people(app: &mut App, items: &[Conversation], fx: &mut Vec<Effect>) {
    for c in items {
        want_user(app, c.customer_id, fx);
        if let Some(assignee) = c.assignee_id {
            want_user(app, assignee, fx);
        }
    }
}

/// The daemon's record of one conversation, for the caller (after a change
/// or a fetch): it replaces the list's entry and the open thread's.
pub(super) fn conversation_loaded(app: &mut App, c: Conversation, fx: &mut Vec<Effect>) {
    want_user(app, c.customer_id, fx);
    if let Some(thread) = &mut app.thread {
        if thread.id() == c.id {
            thread.conversation = c.clone();
        }
    }
    if app.list.filter.admits(&c, app.my_id()) {
        app.list.upsert(c);
    } else {
        app.list.remove(c.id);
    }
}
