//! Events from the WebSocket: the list reorders, the open thread grows,
//! receipts move ticks forward, and messages elsewhere raise a notification.

use commcenter::wire::{Conversation, Direction, EventData, Message, TypingState};

use super::{reload, want_user};
use crate::action::{Command, Effect, Live};
use crate::state::{App, Screen, TYPING_TTL_MS};

pub(super) fn apply(app: &mut App, live: Live, fx: &mut Vec<Effect>) {
    match live {
        Live::Event(EventData::MessageCreated { message }) => message_created(app, *message, fx),
        Live::Event(EventData::MessageUpdated { message }) => {
            if let Some(thread) = &mut app.thread {
                if thread.id() == message.conversation_id {
                    thread.upsert(*message);
                }
            }
        }
        Live::Event(EventData::Receipt {
            message_id, state, ..
        }) => {
            if let Some(thread) = &mut app.thread {
                thread.apply_receipt(message_id, state);
            }
        }
        Live::Event(EventData::ConversationUpdated { conversation }) => {
            conversation_updated(app, *conversation, fx);
        }
        Live::Event(EventData::ProjectUpdated { .. }) => {}
        Live::Typing {
            conversation_id,
            user_id,
            state,
        } => {
            let me = app.my_id();
            let now = app.now;
            let Some(thread) = &mut app.thread else {
                return;
            };
            if thread.id() != conversation_id || me == Some(user_id) {
                return;
            }
            match state {
                TypingState::Start => {
                    thread
                        .typing
                        .insert(user_id, now.plus_millis(TYPING_TTL_MS));
                }
                TypingState::Stop => {
                    thread.typing.remove(&user_id);
                }
            }
            want_user(app, user_id, fx);
        }
        Live::Presence(presence) => {
            app.presence.insert(presence.user_id, presence);
        }
        Live::Resync => reload(app, fx),
    }
}

/// The thread on screen, if any.
fn shown_thread(app: &App) -> Option<commcenter::Id> {
    match app.screen {
        Screen::Thread => app.thread.as_ref().map(|t| t.id()),
        _ => None,
    }
}

pub(super) fn message_created(app: &mut App, message: Message, fx: &mut Vec<Effect>) {
    want_user(app, message.sender_id, fx);
    app.projects.note_location(&message);
    let conversation_id = message.conversation_id;
    let on_screen = shown_thread(app) == Some(conversation_id);
    let from_me = app.my_id() == Some(message.sender_id);
    bump_list_entry(app, &message, !on_screen && !from_me, fx);
    if let Some(thread) = &mut app.thread {
        if thread.id() == conversation_id {
            thread.upsert(message.clone());
            if on_screen && !from_me && thread.at_bottom() {
                fx.push(Effect::Request(Command::MarkRead {
                    conversation_id,
                    up_to: message.id,
                }));
            }
        }
    }
    if message.direction == Direction::Inbound && !on_screen && !from_me {
        app.notifications.insert(conversation_id);
        if app.bell {
            fx.push(Effect::Bell);
        }
    }
}

/// Moves the message's conversation to the top with the new preview and
/// time; one the list does not hold yet is fetched for the caller's view.
fn bump_list_entry(app: &mut App, message: &Message, unread: bool, fx: &mut Vec<Effect>) {
    app.list
        .last_channel
        .insert(message.conversation_id, message.channel);
    let Some(entry) = app.list.get_mut(message.conversation_id) else {
        fx.push(Effect::Request(Command::FetchConversation(
            message.conversation_id,
        )));
        return;
    };
    entry.last_message_at = Some(message.created_at);
    entry.updated_at = entry.updated_at.max(message.created_at);
    if !message.private {
        entry.last_message_preview = Some(preview(&message.body));
    }
    entry.message_count += 1;
    if unread {
        entry.unread_count += 1;
    }
    let entry = entry.clone();
    app.list.upsert(entry);
}

fn preview(body: &str) -> String {
    body.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The event's record is the customer's view with `unread_count` 0 (one
/// frame goes to every participant), so the caller's own counts are kept.
fn conversation_updated(app: &mut App, mut c: Conversation, fx: &mut Vec<Effect>) {
    let known = app.list.items.iter().find(|x| x.id == c.id).or(app
        .thread
        .as_ref()
        .map(|t| &t.conversation)
        .filter(|t| t.id == c.id));
    match known {
        Some(old) => {
            c.unread_count = old.unread_count;
            c.message_count = c.message_count.max(old.message_count);
            super::list::conversation_loaded(app, c, fx);
        }
        None => fx.push(Effect::Request(Command::FetchConversation(c.id))),
    }
}
