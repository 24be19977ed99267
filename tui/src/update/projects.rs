//! Keys and answers for the projects screen: moving asks for the selected
//! project's crew positions once; Enter opens its crew channel.

use commcenter::wire::{Conversation, ConversationKind, ConversationStatus, Message, Project};
use commcenter::Id;

use super::{open_thread, want_user};
use crate::action::{Action, Command, Effect};
use crate::state::App;

pub(super) fn on(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    let step = isize::try_from(app.page_rows.max(1)).unwrap_or(1);
    let projects = &mut app.projects;
    match action {
        Action::Down => projects.move_by(1),
        Action::Up => projects.move_by(-1),
        Action::PageDown => projects.move_by(step),
        Action::PageUp => projects.move_by(-step),
        Action::Top => projects.selected = 0,
        Action::Bottom => projects.selected = projects.items.len().saturating_sub(1),
        Action::Open => {
            if let Some(project) = projects.selected_project().cloned() {
                let known = app
                    .list
                    .items
                    .iter()
                    .find(|c| c.id == project.conversation_id)
                    .cloned();
                let conversation = known.unwrap_or_else(|| {
                    fx.push(Effect::Request(Command::FetchConversation(
                        project.conversation_id,
                    )));
                    crew_channel(&project)
                });
                open_thread(app, conversation, None, fx);
                return;
            }
        }
        _ => {}
    }
    want_spots(app, fx);
}

/// Asks for the projects (each time the screen is shown: crews change).
pub(super) fn load(app: &mut App, fx: &mut Vec<Effect>) {
    app.projects.loading = true;
    fx.push(Effect::Request(Command::LoadProjects));
}

pub(super) fn loaded(app: &mut App, items: Vec<Project>, fx: &mut Vec<Effect>) {
    for p in &items {
        want_user(app, p.customer_id, fx);
        for crew in &p.crew_ids {
            want_user(app, *crew, fx);
        }
    }
    let projects = &mut app.projects;
    projects.items = items;
    projects.loaded = true;
    projects.loading = false;
    projects.selected = projects
        .selected
        .min(projects.items.len().saturating_sub(1));
    want_spots(app, fx);
}

/// The selected project's crew channel is read once for positions; live
/// messages keep them current after that.
fn want_spots(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(project) = app.projects.selected_project() else {
        return;
    };
    let (project_id, conversation_id) = (project.id, project.conversation_id);
    if app.projects.spots_requested.insert(project_id) {
        fx.push(Effect::Request(Command::LoadCrewMessages {
            project_id,
            conversation_id,
        }));
    }
}

pub(super) fn crew_loaded(app: &mut App, project_id: Id, messages: &[Message]) {
    app.projects.crew_spots.entry(project_id).or_default();
    for m in messages {
        app.projects.note_location(m);
    }
}

/// A stand-in for the crew channel until the daemon's record arrives.
fn crew_channel(project: &Project) -> Conversation {
    Conversation {
        id: project.conversation_id,
        kind: ConversationKind::Project,
        customer_id: project.customer_id,
        project_id: Some(project.id),
        subject: Some(project.name.clone()),
        status: ConversationStatus::Open,
        assignee_id: None,
        tags: Vec::new(),
        created_at: project.created_at,
        updated_at: project.created_at,
        last_message_at: None,
        last_message_preview: None,
        message_count: 0,
        unread_count: 0,
    }
}
