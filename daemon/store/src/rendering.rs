//! Rendering a template for a customer, a project and the staff member at
//! work: for `POST /templates/{id}/render`, and inside the write
//! transaction of a message sent with `template_id`.
//!
//! Values are inserted as plain text, and a placeholder without a value is
//! never rendered blank: the whole render is refused (422 on `variables`)
//! naming every placeholder that has none.

use std::collections::BTreeMap;

use super::messages::check_no_control_chars;
use super::records::ConversationRecord;
use super::templates::parse_field;
use super::tx::{Mode, Tables};
use super::{StoreError, Tx, View};
use commcenter::access::{self, Caller, Slot};
use commcenter::template::{self, Placeholder};
use commcenter::wire::{
    Channel, NewMessage, Project, RenderTemplate, RenderedTemplate, Template, User, MAX_BODY_CHARS,
    MAX_SUBJECT_CHARS,
};
use commcenter::Id;

/// What a template's placeholders are filled from.
pub(super) struct RenderContext {
    customer: Option<User>,
    project: Option<Project>,
    agent: User,
    variables: BTreeMap<String, String>,
}

impl RenderContext {
    fn value(&self, placeholder: &Placeholder) -> Option<String> {
        let customer = self.customer.as_ref();
        let project = self.project.as_ref();
        match placeholder {
            Placeholder::CustomerName => customer.map(|c| c.name.clone()),
            Placeholder::CustomerFirstName => customer
                .and_then(|c| template::first_name(&c.name))
                .map(str::to_owned),
            Placeholder::CustomerEmail => customer.and_then(|c| c.email.clone()),
            Placeholder::CustomerPhone => customer.and_then(|c| c.phone.clone()),
            Placeholder::ProjectName => project.map(|p| p.name.clone()),
            Placeholder::ProjectAddress => project.and_then(|p| p.address.clone()),
            Placeholder::AgentName => Some(self.agent.name.clone()),
            Placeholder::Var(name) => self.variables.get(name).cloned(),
        }
    }

    /// `template`'s subject (unless `subject` replaces it) and body, filled in.
    pub(super) fn render(
        &self,
        template: &Template,
        subject: Option<String>,
    ) -> Result<RenderedTemplate, StoreError> {
        let mut missing: Vec<Placeholder> = Vec::new();
        let mut fill = |field, text: &str| -> Result<Option<String>, StoreError> {
            match parse_field(field, text)?.render(|p| self.value(p)) {
                Ok(rendered) => Ok(Some(rendered)),
                Err(unfilled) => {
                    for p in unfilled {
                        if !missing.contains(&p) {
                            missing.push(p);
                        }
                    }
                    Ok(None)
                }
            }
        };
        let rendered_subject = match (subject, &template.subject) {
            (Some(given), _) => Some(given),
            (None, Some(text)) => fill("subject", text)?,
            (None, None) => None,
        };
        let body = fill("body", &template.body)?;
        match body {
            Some(body) if missing.is_empty() => {
                check_rendered_length("subject", rendered_subject.as_deref(), MAX_SUBJECT_CHARS)?;
                check_rendered_length("body", Some(&body), MAX_BODY_CHARS)?;
                Ok(RenderedTemplate {
                    subject: rendered_subject,
                    body,
                })
            }
            _ => Err(missing_values(&template.name, &missing)),
        }
    }
}

/// 422 on `variables`, naming every placeholder without a value.
fn missing_values(template: &str, missing: &[Placeholder]) -> StoreError {
    let names: Vec<String> = missing.iter().map(Placeholder::name).collect();
    let hint = if missing.iter().any(|p| matches!(p, Placeholder::Var(_))) {
        " (a var.NAME placeholder takes variables[\"NAME\"])"
    } else {
        ""
    };
    StoreError::invalid(
        "variables",
        format!(
            "template `{template}` has no value for: {}{hint}",
            names.join(", ")
        ),
    )
}

fn check_rendered_length(
    field: &'static str,
    text: Option<&str>,
    max_chars: usize,
) -> Result<(), StoreError> {
    if text.is_some_and(|t| t.chars().count() > max_chars) {
        return Err(StoreError::invalid(
            field,
            format!("the rendered {field} is longer than {max_chars} characters"),
        ));
    }
    Ok(())
}

/// The `variables` of a request: values may hold tabs and line breaks but
/// no other control character, as message text may not.
fn valid_variables(
    variables: Option<BTreeMap<String, String>>,
) -> Result<BTreeMap<String, String>, StoreError> {
    let variables = variables.unwrap_or_default();
    for value in variables.values() {
        check_no_control_chars("variables", value)?;
    }
    Ok(variables)
}

impl<M: Mode> Tables<M> {
    /// The context for a message in `conversation`, sent by `agent`.
    pub(super) fn conversation_context(
        &self,
        conversation: &ConversationRecord,
        agent: Id,
        variables: Option<BTreeMap<String, String>>,
    ) -> Result<RenderContext, StoreError> {
        let project = conversation
            .project_id
            .map(|id| self.find_project(id))
            .transpose()?
            .flatten();
        Ok(RenderContext {
            customer: Some(self.user(conversation.customer_id)?),
            project,
            agent: self.user(agent)?,
            variables: valid_variables(variables)?,
        })
    }

    /// A template for a message on `channel`: it must exist, and a template
    /// bound to a channel goes out on that channel only.
    pub(super) fn template_for_message(
        &self,
        caller: &Caller,
        id: Id,
        channel: Channel,
    ) -> Result<Template, StoreError> {
        access::may_send_from_template(caller)?;
        let template = self.find_template(id)?.ok_or_else(|| {
            StoreError::invalid("template_id", format!("template {id} does not exist"))
        })?;
        match template.channel {
            Some(bound) if bound != channel => Err(StoreError::invalid(
                "channel",
                format!(
                    "template `{}` is for {} messages only, not {}",
                    template.name,
                    bound.as_str(),
                    channel.as_str()
                ),
            )),
            _ => Ok(template),
        }
    }
}

impl Tx<'_> {
    /// What a message says. Without `template_id`, its `body` and
    /// `subject`. With it: a non-blank `body` wins (the template is recorded,
    /// not rendered; `variables` are then unused); without one, the body
    /// and (unless `subject` is given) the subject are rendered from the
    /// template, in this transaction, for the conversation's customer and
    /// project and the sender.
    pub(super) fn message_text(
        &self,
        caller: &Caller,
        conversation: &ConversationRecord,
        channel: Channel,
        new: &mut NewMessage,
    ) -> Result<MessageText, StoreError> {
        let Some(template_id) = new.template_id else {
            if new.variables.is_some() {
                return Err(StoreError::invalid(
                    "variables",
                    "variables fill a template's placeholders: send them with template_id",
                ));
            }
            return Ok(MessageText {
                body: new.body.take().unwrap_or_default(),
                subject: new.subject.take(),
                template_id: None,
            });
        };
        let template = self.template_for_message(caller, template_id, channel)?;
        // A blank body beside a template is no body (a form's empty field).
        if let Some(body) = new.body.take().filter(|b| !b.trim().is_empty()) {
            return Ok(MessageText {
                body,
                subject: new.subject.take(),
                template_id: Some(template_id),
            });
        }
        let context =
            self.conversation_context(conversation, caller.user_id, new.variables.take())?;
        let rendered = context.render(&template, new.subject.take())?;
        Ok(MessageText {
            body: rendered.body,
            subject: rendered.subject,
            template_id: Some(template_id),
        })
    }
}

/// The text of a message about to be sent, and the template it came from.
pub(super) struct MessageText {
    pub body: String,
    pub subject: Option<String>,
    pub template_id: Option<Id>,
}

impl View {
    /// `POST /templates/{id}/render` (staff).
    pub fn render_template(
        &self,
        caller: &Caller,
        id: Id,
        request: RenderTemplate,
    ) -> Result<RenderedTemplate, StoreError> {
        let template = self.get_template(caller, id)?;
        let context = self.request_context(caller, request)?;
        context.render(&template, None)
    }

    /// The context a render request names: the customer from the
    /// conversation or `customer_id` (which must agree when both are
    /// given), the project from the conversation.
    fn request_context(
        &self,
        caller: &Caller,
        request: RenderTemplate,
    ) -> Result<RenderContext, StoreError> {
        let Some(conversation_id) = request.conversation_id else {
            let customer = request
                .customer_id
                .map(|id| self.customer_named(id))
                .transpose()?;
            return Ok(RenderContext {
                customer,
                project: None,
                agent: self.user(caller.user_id)?,
                variables: valid_variables(request.variables)?,
            });
        };
        let conversation = self.find_conversation(conversation_id)?.ok_or_else(|| {
            StoreError::invalid(
                "conversation_id",
                format!("conversation {conversation_id} does not exist"),
            )
        })?;
        if let Some(other) = request
            .customer_id
            .filter(|c| *c != conversation.customer_id)
        {
            return Err(StoreError::invalid(
                "customer_id",
                format!("customer {other} is not the customer of conversation {conversation_id}"),
            ));
        }
        self.conversation_context(&conversation, caller.user_id, request.variables)
    }

    /// The customer `customer_id` names, or a 422 on it.
    fn customer_named(&self, id: Id) -> Result<User, StoreError> {
        match self.find_user(id)? {
            Some(user) if access::fits(Slot::Customer, user.role) => Ok(user),
            Some(_) => Err(StoreError::invalid(
                "customer_id",
                format!("user {id} is not a customer"),
            )),
            None => Err(StoreError::invalid(
                "customer_id",
                format!("user {id} does not exist"),
            )),
        }
    }
}
