//! Attachments: open or save one of the selected message's files, and
//! attach a local file to the reply being written.

use commcenter::wire::FileMeta;
use commcenter::Id;

use crate::action::{Command, Effect};
use crate::state::{path, App, Composer, Form, FormPurpose, Picker, Popup};

/// `o` and `s`: acts on the only attachment, or offers a choice.
pub(super) fn pick(app: &mut App, save: bool, fx: &mut Vec<Effect>) {
    let files = app
        .selected_message()
        .map(|m| m.attachments.clone())
        .unwrap_or_default();
    match files.as_slice() {
        [] => app.notice = Some("the selected message has no attachment".to_owned()),
        [file] => act(app, file.clone(), save, fx),
        many => {
            let entries = many.iter().map(|f| (f.name.clone(), Some(f.id))).collect();
            let title = if save {
                "Save which file"
            } else {
                "Open which file"
            };
            let picker = Picker {
                title: title.to_owned(),
                entries,
                selected: 0,
            };
            app.popup = Some(Popup::Files { picker, save });
        }
    }
}

/// The chosen file of the files picker.
pub(super) fn chosen(app: &mut App, file_id: Id, save: bool, fx: &mut Vec<Effect>) {
    let file = app
        .selected_message()
        .and_then(|m| m.attachments.iter().find(|f| f.id == file_id))
        .cloned();
    app.popup = None;
    if let Some(file) = file {
        act(app, file, save, fx);
    }
}

fn act(app: &mut App, file: FileMeta, save: bool, fx: &mut Vec<Effect>) {
    if save {
        let title = format!("Save {} to (Tab completes)", file.name);
        let suggested = path::default_save_path(&file.name);
        let form = Form::new(&title, &["Path"], FormPurpose::SaveFile(Box::new(file)))
            .with_value(&suggested);
        app.popup = Some(Popup::Form(form));
    } else {
        app.notice = Some(format!("opening {}…", file.name));
        fx.push(Effect::Request(Command::OpenFile(Box::new(file))));
    }
}

/// The prompt for a local file to attach.
pub(super) fn attach_form() -> Form {
    Form::new(
        "Attach a file (Tab completes, Enter uploads)",
        &["Path"],
        FormPurpose::AttachPath,
    )
}

/// Enter in the attach prompt: uploads the file for the reply, opening the
/// reply editor if it is not open.
pub(super) fn attach(app: &mut App, typed: &str, fx: &mut Vec<Effect>) {
    let Some(thread) = &mut app.thread else {
        return;
    };
    if typed.is_empty() {
        return;
    }
    let composer = thread
        .composer
        .get_or_insert_with(|| Composer::reply(commcenter::wire::Channel::InApp));
    composer.uploading += 1;
    fx.push(Effect::Request(Command::Upload {
        conversation_id: thread.conversation.id,
        path: path::expand_home(typed),
    }));
}

pub(super) fn uploaded(app: &mut App, conversation_id: Id, file: FileMeta) {
    let Some(thread) = &mut app.thread else {
        return;
    };
    if thread.id() != conversation_id {
        return;
    }
    let composer = thread
        .composer
        .get_or_insert_with(|| Composer::reply(commcenter::wire::Channel::InApp));
    composer.uploading = composer.uploading.saturating_sub(1);
    app.notice = Some(format!("attached {}", file.name));
    composer.attachments.push(file);
}
