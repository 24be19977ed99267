//! Keys for the overlays: help, the assignee picker, the tags prompt.

use commcenter::wire::ConversationPatch;

use super::thread::patch;
use crate::action::{Action, Effect};
use crate::state::{App, Popup};

pub(super) fn on(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    let Some(popup) = &mut app.popup else {
        return;
    };
    let conversation_id = app.thread.as_ref().map(|t| t.id());
    match (popup, action) {
        (_, Action::Back) => app.popup = None,
        (Popup::Assign(picker), Action::Down) => {
            picker.selected = (picker.selected + 1).min(picker.entries.len().saturating_sub(1));
        }
        (Popup::Assign(picker), Action::Up) => picker.selected = picker.selected.saturating_sub(1),
        (Popup::Assign(picker), Action::Open) => {
            let choice = picker.entries.get(picker.selected).map(|e| e.1);
            if let (Some(assignee), Some(id)) = (choice, conversation_id) {
                let change = ConversationPatch {
                    assignee_id: Some(assignee),
                    ..ConversationPatch::default()
                };
                patch(id, change, fx);
            }
            app.popup = None;
        }
        (Popup::Tags(editor), Action::Send) => {
            let tags = parse_tags(editor.text());
            if let Some(id) = conversation_id {
                let change = ConversationPatch {
                    tags: Some(tags),
                    ..ConversationPatch::default()
                };
                patch(id, change, fx);
            }
            app.popup = None;
        }
        _ => {}
    }
}

/// `"billing, urgent,,"` → `["billing", "urgent"]`.
pub(super) fn parse_tags(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}
