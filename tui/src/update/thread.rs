//! Keys and answers for an open conversation and its reply editor.

use commcenter::wire::{
    Channel, ConversationPatch, ConversationStatus, Direction, Message, MessageStatus, NewMessage,
    Page, Role, Template, TypingState,
};
use commcenter::Id;

use super::want_user;
use crate::action::{Action, Command, Effect};
use crate::state::{
    App, Composer, Editor, Form, FormPurpose, Picker, Popup, Screen, TemplatePreview, Thread,
    TYPING_REPEAT_MS,
};

pub(super) fn on(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    if app.thread.as_ref().is_some_and(|t| t.composer.is_some()) {
        return composer(app, action, fx);
    }
    let page = isize::try_from((app.page_rows / 4).max(1)).unwrap_or(1);
    let Some(thread) = &mut app.thread else {
        return;
    };
    match action {
        Action::Down => thread.move_by(1),
        Action::Up => thread.move_by(-1),
        Action::PageDown => thread.move_by(page),
        Action::PageUp => thread.move_by(-page),
        Action::Top => thread.selected = 0,
        Action::Bottom => thread.selected = thread.messages.len().saturating_sub(1),
        Action::Reply => thread.composer = Some(Composer::reply(reply_channel(thread))),
        Action::Note => thread.composer = Some(Composer::note()),
        Action::CloseConversation => set_status(thread, ConversationStatus::Closed, fx),
        Action::ReopenConversation => set_status(thread, ConversationStatus::Open, fx),
        Action::ArchiveConversation => set_status(thread, ConversationStatus::Archived, fx),
        Action::RetryMessage => {
            // Only a failed message can be queued again (the daemon says 409 otherwise).
            if let Some(m) = thread.messages.get(thread.selected) {
                if m.status == MessageStatus::Failed {
                    fx.push(Effect::Request(Command::Retry(m.id)));
                }
            }
        }
        Action::Tag => {
            let tags = thread.conversation.tags.join(", ");
            app.popup = Some(Popup::Tags(Editor::with_text(&tags)));
        }
        Action::Assign => app.popup = Some(Popup::Assign(assign_picker(app))),
        Action::Template => {
            fx.push(Effect::Request(Command::LoadTemplates));
            app.notice = Some("loading templates…".to_owned());
        }
        Action::Attach => app.popup = Some(Popup::Form(super::files::attach_form())),
        Action::OpenFile => super::files::pick(app, false, fx),
        Action::SaveFile => super::files::pick(app, true, fx),
        Action::Back => {
            app.thread = None;
            app.screen = match app.before_thread {
                Screen::Thread | Screen::Search => Screen::Conversations,
                other => other,
            };
        }
        _ => {}
    }
    load_older_at_top(app, fx);
}

/// Reaching the oldest loaded message asks for the page before it.
fn load_older_at_top(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(thread) = &mut app.thread else {
        return;
    };
    if thread.selected > 0 || thread.loading_older {
        return;
    }
    if let Some(cursor) = thread.older.clone() {
        thread.loading_older = true;
        fx.push(Effect::Request(Command::LoadOlder {
            conversation_id: thread.id(),
            cursor,
            focus: None,
        }));
    }
}

/// A reply goes out on the channel the customer last wrote on.
fn reply_channel(thread: &Thread) -> Channel {
    thread
        .messages
        .iter()
        .rev()
        .find(|m| m.direction == Direction::Inbound)
        .map_or(Channel::InApp, |m| m.channel)
}

fn set_status(thread: &Thread, status: ConversationStatus, fx: &mut Vec<Effect>) {
    patch(
        thread.id(),
        ConversationPatch {
            status: Some(status),
            ..ConversationPatch::default()
        },
        fx,
    );
}

pub(super) fn patch(conversation_id: Id, patch: ConversationPatch, fx: &mut Vec<Effect>) {
    fx.push(Effect::Request(Command::Patch {
        conversation_id,
        patch,
    }));
}

/// Staff to assign to, by name, after "nobody"; the current assignee selected.
fn assign_picker(app: &App) -> Picker {
    let mut staff: Vec<_> = app
        .users
        .values()
        .filter(|u| matches!(u.role, Role::Admin | Role::Agent))
        .map(|u| (u.name.clone(), Some(u.id)))
        .collect();
    staff.sort();
    let mut entries = vec![("Nobody".to_owned(), None)];
    entries.extend(staff);
    let current = app.thread.as_ref().and_then(|t| t.conversation.assignee_id);
    let selected = entries.iter().position(|e| e.1 == current).unwrap_or(0);
    Picker {
        title: "Assign to".to_owned(),
        entries,
        selected,
    }
}

fn composer(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    let Some(thread) = &mut app.thread else {
        return;
    };
    let id = thread.id();
    let Some(composer) = &mut thread.composer else {
        return;
    };
    match action {
        Action::Send if composer.ready() && !composer.sending => {
            composer.sending = true;
            stop_typing(id, composer, fx);
            fx.push(Effect::Request(Command::Send {
                conversation_id: id,
                message: new_message(composer),
            }));
        }
        Action::Newline => composer.editor.insert('\n'),
        Action::Attach => app.popup = Some(Popup::Form(super::files::attach_form())),
        Action::NextChannel if !composer.channel_locked() => {
            let i = Channel::ALL.iter().position(|c| *c == composer.channel);
            composer.channel = Channel::ALL[(i.unwrap_or(0) + 1) % Channel::ALL.len()];
        }
        Action::Back => {
            stop_typing(id, composer, fx);
            thread.composer = None;
        }
        _ => {}
    }
}

/// Applies an editing key to the reply editor and tells the conversation
/// the caller is typing (never for a private note: the customer would see
/// that staff are writing something).
pub(super) fn edit(app: &mut App, key: crossterm::event::KeyEvent, fx: &mut Vec<Effect>) {
    let now = app.now;
    let Some(thread) = &mut app.thread else {
        return;
    };
    let id = thread.id();
    let Some(composer) = &mut thread.composer else {
        return;
    };
    if !composer.editor.handle(&key) || composer.private || composer.editor.is_blank() {
        return;
    }
    let due = composer
        .typing_sent
        .is_none_or(|at| now.millis() - at.millis() >= TYPING_REPEAT_MS);
    if due {
        composer.typing_sent = Some(now);
        fx.push(Effect::Request(Command::Typing {
            conversation_id: id,
            state: TypingState::Start,
        }));
    }
}

fn stop_typing(conversation_id: Id, composer: &mut Composer, fx: &mut Vec<Effect>) {
    if composer.typing_sent.take().is_some() {
        fx.push(Effect::Request(Command::Typing {
            conversation_id,
            state: TypingState::Stop,
        }));
    }
}

fn new_message(composer: &Composer) -> NewMessage {
    let body = composer.editor.text().trim_end();
    NewMessage {
        channel: Some(composer.channel),
        body: (!body.trim().is_empty()).then(|| body.to_owned()),
        subject: composer.subject.clone(),
        attachments: (!composer.attachments.is_empty())
            .then(|| composer.attachments.iter().map(|f| f.id).collect()),
        template_id: composer.template.map(|(id, _)| id),
        private: composer.private.then_some(true),
        ..NewMessage::default()
    }
}

/// The templates arrived: offer them if the conversation is still waiting.
pub(super) fn templates_loaded(app: &mut App, templates: Vec<Template>) {
    let waiting = app.notice.as_deref() == Some("loading templates…");
    if waiting {
        app.notice = None;
    }
    let offer = waiting && app.screen == Screen::Thread && app.popup.is_none();
    if offer {
        let entries = templates
            .iter()
            .map(|t| {
                let only = t.channel.map_or(String::new(), |c| {
                    format!(" ({})", crate::view::channel_name(c))
                });
                (format!("{}{only}", t.name), Some(t.id))
            })
            .collect();
        app.popup = Some(Popup::Templates(Picker {
            title: "Reply from a template".to_owned(),
            entries,
            selected: 0,
        }));
    }
    app.templates = Some(templates);
}

/// A template was chosen: ask for its own variables, or render it now.
pub(super) fn template_chosen(app: &mut App, template_id: Id, fx: &mut Vec<Effect>) {
    let Some(template) = app
        .templates
        .as_ref()
        .and_then(|all| all.iter().find(|t| t.id == template_id))
        .cloned()
    else {
        return;
    };
    let names: Vec<&str> = template
        .variables
        .iter()
        .filter_map(|v| v.strip_prefix("var."))
        .collect();
    if names.is_empty() {
        app.popup = None;
        render(app, template, Default::default(), fx);
        return;
    }
    let title = format!("{}: fill in (Tab next, Enter previews)", template.name);
    let form = Form::new(
        &title,
        &names,
        FormPurpose::TemplateVariables(Box::new(template.clone())),
    );
    app.popup = Some(Popup::Form(form));
}

pub(super) fn render(
    app: &mut App,
    template: Template,
    variables: std::collections::BTreeMap<String, String>,
    fx: &mut Vec<Effect>,
) {
    let Some(thread) = &app.thread else {
        return;
    };
    fx.push(Effect::Request(Command::RenderTemplate {
        template: Box::new(template),
        conversation_id: thread.id(),
        variables,
    }));
}

/// The previewed template goes into the reply editor, to edit and send.
pub(super) fn use_preview(app: &mut App, preview: TemplatePreview) {
    let Some(thread) = &mut app.thread else {
        return;
    };
    let only = preview.template.channel;
    let mut composer = Composer::reply(only.unwrap_or_else(|| reply_channel(thread)));
    composer.editor = Editor::with_text(&preview.rendered.body);
    composer.subject = preview.rendered.subject;
    composer.template = Some((preview.template.id, only));
    thread.composer = Some(composer);
}

pub(super) fn loaded(
    app: &mut App,
    conversation_id: Id,
    page: Page<Message>,
    older: bool,
    fx: &mut Vec<Effect>,
) {
    for m in &page.items {
        want_user(app, m.sender_id, fx);
    }
    let Some(thread) = &mut app.thread else {
        return;
    };
    if thread.id() != conversation_id {
        return;
    }
    if older {
        thread.prepend(page.items, page.next_cursor);
    } else {
        thread.set_newest(page.items, page.next_cursor);
        mark_read(app, fx);
    }
    seek_focus(app, fx);
}

/// A search hit older than the loaded pages: keep paging back to it.
fn seek_focus(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(thread) = &mut app.thread else {
        return;
    };
    let (Some(focus), Some(cursor)) = (thread.focus, thread.older.clone()) else {
        thread.focus = None;
        return;
    };
    thread.loading_older = true;
    fx.push(Effect::Request(Command::LoadOlder {
        conversation_id: thread.id(),
        cursor,
        focus: Some(focus),
    }));
}

/// Marks the open thread read up to its newest message, which the view
/// always shows when the selection is at the bottom.
pub(super) fn mark_read(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(thread) = &app.thread else {
        return;
    };
    let (Some(up_to), true) = (thread.newest_id(), thread.at_bottom()) else {
        return;
    };
    let id = thread.id();
    let had_unread = app
        .list
        .get_mut(id)
        .map(|c| std::mem::take(&mut c.unread_count));
    if had_unread != Some(0) {
        fx.push(Effect::Request(Command::MarkRead {
            conversation_id: id,
            up_to,
        }));
    }
}

/// A retried message comes back `queued`: it replaces the failed one.
pub(super) fn retried(app: &mut App, message: Message) {
    if let Some(thread) = &mut app.thread {
        if thread.id() == message.conversation_id {
            thread.upsert(message);
        }
    }
}

pub(super) fn sent(app: &mut App, message: Message, fx: &mut Vec<Effect>) {
    super::live::message_created(app, message.clone(), fx);
    if let Some(thread) = &mut app.thread {
        if thread.id() == message.conversation_id {
            thread.composer = None;
            thread.selected = thread.messages.len().saturating_sub(1);
        }
    }
}
