//! Message templates: listed, read, saved and deleted by staff. A template is
//! saved only when its subject and body parse (`commcenter::template`), so
//! that one which could never render is never stored; rendering is in
//! `rendering.rs`.

use redb::ReadableTable;

use super::messages::check_no_control_chars;
use super::records::{cursor, decode, encode};
use super::tx::{Mode, Tables};
use super::users::valid_name;
use super::{StoreError, Tx, View};
use commcenter::access::{self, Caller};
use commcenter::template::{self, Parsed};
use commcenter::wire::{
    NewTemplate, Page, Template, TemplateUpdate, MAX_BODY_CHARS, MAX_SUBJECT_CHARS,
};
use commcenter::Id;

impl<M: Mode> Tables<M> {
    pub(super) fn find_template(&self, id: Id) -> Result<Option<Template>, StoreError> {
        match self.template.get(id.to_u128())? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }

    fn existing_template(&self, id: Id) -> Result<Template, StoreError> {
        self.find_template(id)?
            .ok_or_else(|| StoreError::not_found("template", id))
    }

    /// The template holding `name` (ignoring case), if any.
    fn template_named(&self, name: &str) -> Result<Option<Id>, StoreError> {
        let key = name_key(name);
        Ok(self
            .template_name_template
            .get(key.as_str())?
            .map(|v| Id::from_u128(v.value())))
    }
}

impl View {
    /// `GET /templates` (staff): oldest first.
    pub fn list_templates(
        &self,
        caller: &Caller,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Page<Template>, StoreError> {
        access::may_use_templates(caller)?;
        let start = match after {
            Some(c) => cursor::decode_id(c)?.to_u128().saturating_add(1),
            None => 0,
        };
        let mut items = Vec::new();
        let mut next_cursor = None;
        for row in self.template.range(start..)? {
            if items.len() == limit {
                next_cursor = items.last().map(|t: &Template| t.id.to_string());
                break;
            }
            items.push(decode(row?.1.value())?);
        }
        Ok(Page { items, next_cursor })
    }

    /// `GET /templates/{id}` (staff).
    pub fn get_template(&self, caller: &Caller, id: Id) -> Result<Template, StoreError> {
        access::may_use_templates(caller)?;
        self.existing_template(id)
    }
}

impl Tx<'_> {
    /// `POST /templates` (staff).
    pub fn create_template(
        &mut self,
        caller: &Caller,
        new: NewTemplate,
    ) -> Result<Template, StoreError> {
        access::may_use_templates(caller)?;
        let text = ValidTemplate::check(&new)?;
        self.require_free_name(&text.name, None)?;
        let template = text.into_template(self.new_id(), self.now, self.now);
        self.insert_name(&template)?;
        self.put_template(&template)?;
        Ok(template)
    }

    /// `PUT /templates/{id}` (staff): the fields given replace the
    /// template's, and the result is checked as a new template would be.
    pub fn update_template(
        &mut self,
        caller: &Caller,
        id: Id,
        update: TemplateUpdate,
    ) -> Result<Template, StoreError> {
        access::may_use_templates(caller)?;
        let old = self.existing_template(id)?;
        let text = ValidTemplate::check(&update.applied_to(&old))?;
        self.require_free_name(&text.name, Some(id))?;
        let template = text.into_template(id, old.created_at, self.now);
        if name_key(&old.name) != name_key(&template.name) {
            self.remove(
                |t| &mut t.template_name_template,
                name_key(&old.name).as_str(),
            )?;
            self.insert_name(&template)?;
        }
        self.put_template(&template)?;
        Ok(template)
    }

    /// `DELETE /templates/{id}` (staff). Messages sent from it keep its id.
    pub fn delete_template(&mut self, caller: &Caller, id: Id) -> Result<(), StoreError> {
        access::may_use_templates(caller)?;
        let template = self.existing_template(id)?;
        self.remove(|t| &mut t.template, id.to_u128())?;
        self.remove(
            |t| &mut t.template_name_template,
            name_key(&template.name).as_str(),
        )?;
        Ok(())
    }

    /// Names are unique ignoring case; `except` is the template being renamed.
    fn require_free_name(&self, name: &str, except: Option<Id>) -> Result<(), StoreError> {
        match self.template_named(name)? {
            Some(holder) if Some(holder) != except => Err(StoreError::conflict(
                Some("name"),
                format!("a template named `{name}` already exists ({holder})"),
            )),
            _ => Ok(()),
        }
    }

    fn insert_name(&mut self, template: &Template) -> Result<(), StoreError> {
        let key = name_key(&template.name);
        self.insert(
            |t| &mut t.template_name_template,
            key.as_str(),
            template.id.to_u128(),
        )
    }

    fn put_template(&mut self, template: &Template) -> Result<(), StoreError> {
        let bytes = encode(template)?;
        self.insert(|t| &mut t.template, template.id.to_u128(), bytes.as_slice())
    }
}

/// The key a name is unique by: the name folded to lower case.
fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// A template's fields, checked: the name trimmed, a blank subject dropped,
/// subject and body within their limits and free of control characters, and
/// every placeholder known.
struct ValidTemplate {
    name: String,
    new: NewTemplate,
    variables: Vec<String>,
}

impl ValidTemplate {
    fn check(new: &NewTemplate) -> Result<ValidTemplate, StoreError> {
        let name = valid_name("name", &new.name)?;
        let subject = new.subject.as_deref().filter(|s| !s.trim().is_empty());
        if let Some(subject) = subject {
            check_text("subject", subject, MAX_SUBJECT_CHARS)?;
        }
        if new.body.trim().is_empty() {
            return Err(StoreError::invalid("body", "a template needs a body"));
        }
        check_text("body", &new.body, MAX_BODY_CHARS)?;
        let parsed_subject = subject.map(|s| parse_field("subject", s)).transpose()?;
        let parsed_body = parse_field("body", &new.body)?;
        let variables = template::variables(parsed_subject.as_ref(), &parsed_body);
        Ok(ValidTemplate {
            name,
            new: NewTemplate {
                subject: subject.map(str::to_owned),
                ..new.clone()
            },
            variables,
        })
    }

    fn into_template(
        self,
        id: Id,
        created_at: commcenter::Timestamp,
        updated_at: commcenter::Timestamp,
    ) -> Template {
        Template {
            id,
            name: self.name,
            channel: self.new.channel,
            subject: self.new.subject,
            body: self.new.body,
            variables: self.variables,
            created_at,
            updated_at,
        }
    }
}

fn check_text(field: &'static str, text: &str, max_chars: usize) -> Result<(), StoreError> {
    if text.chars().count() > max_chars {
        return Err(StoreError::invalid(
            field,
            format!("{field} must be at most {max_chars} characters"),
        ));
    }
    check_no_control_chars(field, text)
}

/// Parses a template text, a 422 on `field` when it is not one.
pub(super) fn parse_field<'a>(
    field: &'static str,
    text: &'a str,
) -> Result<Parsed<'a>, StoreError> {
    template::parse(text).map_err(|e| StoreError::invalid(field, format!("{field}: {e}")))
}
