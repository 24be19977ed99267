//! A form of one or more text fields in a popup: a new customer, a
//! template's variables, a path to save a file to or attach one from.
//!
//! Invariant: `focused < fields.len()`, and a form has at least one field.

use commcenter::wire::{FileMeta, Template};

use super::Editor;

#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub title: String,
    pub fields: Vec<Field>,
    pub focused: usize,
    pub purpose: FormPurpose,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub label: String,
    pub editor: Editor,
}

/// What Enter does with the form's values.
#[derive(Debug, Clone, PartialEq)]
pub enum FormPurpose {
    /// Name, phone, email of a customer to create.
    NewCustomer,
    /// One field per `{{var.NAME}}` of the template, then a preview.
    TemplateVariables(Box<Template>),
    /// Where to write a downloaded attachment.
    SaveFile(Box<FileMeta>),
    /// A local file to upload and attach to the reply (Tab completes).
    AttachPath,
}

impl Form {
    pub fn new(title: &str, labels: &[&str], purpose: FormPurpose) -> Form {
        let labels = if labels.is_empty() { &[""][..] } else { labels };
        Form {
            title: title.to_owned(),
            fields: labels
                .iter()
                .map(|label| Field {
                    label: (*label).to_owned(),
                    editor: Editor::default(),
                })
                .collect(),
            focused: 0,
            purpose,
        }
    }

    /// The form with `text` in its first field.
    pub fn with_value(mut self, text: &str) -> Form {
        self.fields[0].editor = Editor::with_text(text);
        self
    }

    pub fn editor_mut(&mut self) -> &mut Editor {
        &mut self.fields[self.focused].editor
    }

    pub fn value(&self, i: usize) -> &str {
        self.fields.get(i).map_or("", |f| f.editor.text().trim())
    }

    pub fn next_field(&mut self) {
        self.focused = (self.focused + 1) % self.fields.len();
    }

    /// True for a path field, where Tab completes rather than moves on.
    pub fn completes_paths(&self) -> bool {
        matches!(
            self.purpose,
            FormPurpose::AttachPath | FormPurpose::SaveFile(_)
        )
    }
}
