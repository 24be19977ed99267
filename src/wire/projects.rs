use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Id, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStatus {
    Active,
    Done,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Project {
    pub id: Id,
    pub name: String,
    pub customer_id: Id,
    pub address: Option<String>,
    pub crew_ids: Vec<Id>,
    pub status: ProjectStatus,
    /// The project's crew channel, a conversation of kind `project`.
    pub conversation_id: Id,
    pub created_at: Timestamp,
    /// The customer's first name, for the crew, who may not read users (the
    /// crew page shows it). In every answer of the `/projects` routes
    /// (read from the customer at each answer, never stored); `null` in
    /// `project.updated` events.
    #[serde(default)]
    pub customer_first_name: Option<String>,
}

/// `POST /api/v1/projects`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    pub name: String,
    pub customer_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crew_ids: Option<Vec<Id>>,
}

/// `PATCH /api/v1/projects/{id}`: absent fields stay, `address: null` clears.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "super::double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub address: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crew_ids: Option<Vec<Id>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ProjectStatus>,
}
