use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Id, Timestamp};

/// What a user may see and do; see the roles table of the API contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Agent,
    Crew,
    Customer,
}

impl Role {
    /// Staff are admins and agents.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Agent)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
            Role::Crew => "crew",
            Role::Customer => "customer",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct User {
    pub id: Id,
    pub name: String,
    pub role: Role,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub created_at: Timestamp,
    pub last_seen_at: Option<Timestamp>,
}

/// `POST /api/v1/users`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// `PATCH /api/v1/users/{id}`: absent fields stay, `null` clears email or phone.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "super::double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "super::double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone: Option<Option<String>>,
}

/// The longest life of a token, in days.
pub const MAX_TOKEN_DAYS: u32 = 3_650;

/// `POST /api/v1/users/{id}/tokens`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(
        default,
        deserialize_with = "super::optional_whole_number",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 1, max = MAX_TOKEN_DAYS))]
    pub expires_in_days: Option<u32>,
}

/// The answer to issuing a token: the only time the secret is shown.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct IssuedToken {
    pub id: Id,
    pub token: String,
    pub label: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

/// A token as listed: everything but the secret.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct TokenInfo {
    pub id: Id,
    pub user_id: Id,
    pub label: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(json: &str) -> Option<u32> {
        serde_json::from_str::<NewToken>(json)
            .unwrap()
            .expires_in_days
    }

    #[test]
    fn a_token_lifetime_is_a_whole_number_however_written() {
        assert_eq!(days(r#"{"expires_in_days": 30}"#), Some(30));
        assert_eq!(days(r#"{"expires_in_days": 30.0}"#), Some(30));
        assert_eq!(days(r#"{"expires_in_days": null}"#), None);
        assert_eq!(days("{}"), None);
    }

    #[test]
    fn a_token_lifetime_that_is_not_a_whole_u32_is_refused() {
        for json in [
            r#"{"expires_in_days": 30.5}"#,
            r#"{"expires_in_days": -1}"#,
            r#"{"expires_in_days": 1e10}"#,
        ] {
            assert!(serde_json::from_str::<NewToken>(json).is_err(), "{json}");
        }
    }
}
