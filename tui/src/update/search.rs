//! Search as you type; Enter opens the conversation at the hit.

use commcenter::wire::SearchHit;
use crossterm::event::KeyEvent;

use super::{conversation_of, open_thread, want_user};
use crate::action::{Action, Command, Effect};
use crate::state::{App, Screen};

pub(super) fn open(app: &mut App) {
    if app.screen != Screen::Search {
        app.before_search = app.screen;
        app.screen = Screen::Search;
    }
    app.popup = None;
}

pub(super) fn edit(app: &mut App, key: KeyEvent, fx: &mut Vec<Effect>) {
    let before = app.search.editor.text().to_owned();
    app.search.editor.handle(&key);
    if app.search.editor.text() == before {
        return;
    }
    app.search.generation += 1;
    if app.search.editor.is_blank() {
        app.search.hits.clear();
        app.search.shown = app.search.generation;
        return;
    }
    fx.push(Effect::Request(Command::Search {
        generation: app.search.generation,
        query: app.search.editor.text().trim().to_owned(),
    }));
}

pub(super) fn on(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    match action {
        Action::Down => app.search.move_by(1),
        Action::Up => app.search.move_by(-1),
        Action::Open => {
            if let Some(hit) = app.search.hits.get(app.search.selected).cloned() {
                open_hit(app, hit, fx);
            }
        }
        Action::Back => {
            let back_to_thread = app.before_search == Screen::Thread && app.thread.is_some();
            app.screen = if back_to_thread {
                Screen::Thread
            } else {
                Screen::Conversations
            };
        }
        _ => {}
    }
}

fn open_hit(app: &mut App, hit: SearchHit, fx: &mut Vec<Effect>) {
    let message = hit.message;
    let known = app
        .list
        .items
        .iter()
        .find(|c| c.id == message.conversation_id)
        .cloned();
    let conversation = match known {
        Some(c) => c,
        None => {
            fx.push(Effect::Request(Command::FetchConversation(
                message.conversation_id,
            )));
            conversation_of(&message)
        }
    };
    open_thread(app, conversation, Some(message.id), fx);
}

pub(super) fn results(app: &mut App, generation: u64, hits: Vec<SearchHit>, fx: &mut Vec<Effect>) {
    if generation != app.search.generation {
        return;
    }
    for hit in &hits {
        want_user(app, hit.message.customer_id, fx);
        want_user(app, hit.message.sender_id, fx);
    }
    app.search.hits = hits;
    app.search.shown = generation;
    app.search.selected = 0;
    app.search.offset.set(0);
}
