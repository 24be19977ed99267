use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Channel, MAX_BODY_CHARS, MAX_SUBJECT_CHARS};
use crate::{Id, Timestamp};

/// The longest template name, in characters.
pub const MAX_TEMPLATE_NAME_CHARS: usize = 200;

/// A message template. Its subject and body are stored as written; the
/// placeholders in them are checked when it is saved.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Template {
    pub id: Id,
    /// Unique among templates, ignoring case.
    pub name: String,
    /// The only channel it may be sent on; null: any.
    pub channel: Option<Channel>,
    pub subject: Option<String>,
    pub body: String,
    /// The placeholders found in subject and body (`customer.name`,
    /// `var.date`), in order of first appearance, each once.
    pub variables: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `POST /api/v1/templates`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTemplate {
    #[schemars(length(min = 1, max = MAX_TEMPLATE_NAME_CHARS))]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SUBJECT_CHARS))]
    pub subject: Option<String>,
    #[schemars(length(min = 1, max = MAX_BODY_CHARS))]
    pub body: String,
}

/// `PUT /api/v1/templates/{id}`: the fields given replace the template's,
/// absent ones stay (so a rename is `{"name": …}`); `channel: null` makes it
/// any channel's and `subject: null` removes the subject. A full template
/// replaces the whole of it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = MAX_TEMPLATE_NAME_CHARS))]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "super::double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub channel: Option<Option<Channel>>,
    #[serde(
        default,
        deserialize_with = "super::double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(length(max = MAX_SUBJECT_CHARS))]
    pub subject: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = MAX_BODY_CHARS))]
    pub body: Option<String>,
}

impl TemplateUpdate {
    /// The template `current` would become.
    pub fn applied_to(self, current: &Template) -> NewTemplate {
        NewTemplate {
            name: self.name.unwrap_or_else(|| current.name.clone()),
            channel: self.channel.unwrap_or(current.channel),
            subject: self.subject.unwrap_or_else(|| current.subject.clone()),
            body: self.body.unwrap_or_else(|| current.body.clone()),
        }
    }
}

/// `POST /api/v1/templates/{id}/render`: the customer comes from the
/// conversation or `customer_id`, the project from the conversation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderTemplate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<Id>,
    /// Values of the `{{var.NAME}}` placeholders, by NAME.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<BTreeMap<String, String>>,
}

/// The answer to `POST /api/v1/templates/{id}/render`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct RenderedTemplate {
    pub subject: Option<String>,
    pub body: String,
}
