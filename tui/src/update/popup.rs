//! Keys for the overlays: help, the pickers (assignee, template, file),
//! forms and the template preview.

use commcenter::wire::ConversationPatch;

use super::thread::patch;
use super::{customers, files, thread};
use crate::action::{Action, Effect};
use crate::state::{path, App, Form, FormPurpose, Picker, Popup};

pub(super) fn on(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    let Some(popup) = &mut app.popup else {
        return;
    };
    let conversation_id = app.thread.as_ref().map(|t| t.id());
    match (popup, action) {
        (_, Action::Back) => app.popup = None,
        (
            Popup::Assign(picker)
            | Popup::Templates(picker)
            | Popup::Files { picker, .. }
            | Popup::PortalLink { picker, .. },
            Action::Down,
        ) => {
            picker.selected = (picker.selected + 1).min(picker.entries.len().saturating_sub(1));
        }
        (
            Popup::Assign(picker)
            | Popup::Templates(picker)
            | Popup::Files { picker, .. }
            | Popup::PortalLink { picker, .. },
            Action::Up,
        ) => picker.selected = picker.selected.saturating_sub(1),
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
        (Popup::Templates(picker), Action::Open) => {
            if let Some(id) = chosen(picker) {
                thread::template_chosen(app, id, fx);
            }
        }
        (Popup::Files { picker, save }, Action::Open) => {
            let save = *save;
            if let Some(id) = chosen(picker) {
                files::chosen(app, id, save, fx);
            }
        }
        (Popup::PortalLink { picker, channels }, Action::Open) => {
            let send = channels.get(picker.selected).copied().flatten();
            customers::make_portal_link(app, send, fx);
        }
        (Popup::Preview(preview), Action::Open) => {
            let preview = (**preview).clone();
            app.popup = None;
            thread::use_preview(app, preview);
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
        (Popup::Form(form), Action::Complete) => complete(&mut app.notice, form),
        (Popup::Form(form), Action::Send) => {
            let form = form.clone();
            submit(app, form, fx);
        }
        _ => {}
    }
}

fn chosen(picker: &Picker) -> Option<commcenter::Id> {
    picker.entries.get(picker.selected).and_then(|e| e.1)
}

/// Tab: completes a path, or moves to the next field.
fn complete(notice: &mut Option<String>, form: &mut Form) {
    if !form.completes_paths() {
        form.next_field();
        return;
    }
    let (completed, candidates) = path::complete(form.editor_mut().text());
    *form.editor_mut() = crate::state::Editor::with_text(&completed);
    *notice = (!candidates.is_empty()).then(|| candidates.join("  "));
}

/// Enter in a form.
fn submit(app: &mut App, form: Form, fx: &mut Vec<Effect>) {
    let done = match &form.purpose {
        FormPurpose::NewCustomer => customers::create(app, &form, fx),
        FormPurpose::TemplateVariables(template) => {
            let variables = form
                .fields
                .iter()
                .map(|f| (f.label.clone(), f.editor.text().trim().to_owned()))
                .collect();
            thread::render(app, (**template).clone(), variables, fx);
            true
        }
        FormPurpose::SaveFile(file) => {
            let to = path::expand_home(form.value(0));
            if !to.is_empty() {
                fx.push(Effect::Request(crate::action::Command::SaveFile {
                    file: file.clone(),
                    path: to,
                }));
            }
            true
        }
        FormPurpose::AttachPath => {
            files::attach(app, form.value(0), fx);
            true
        }
    };
    if done {
        app.popup = None;
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
