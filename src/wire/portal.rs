//! The web portals' sign-in: a link staff send to a customer or crew member,
//! whose single-use code the page redeems for a token of that user.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::User;
use crate::Timestamp;

/// The longest a sign-in link may be valid, in days.
pub const MAX_PORTAL_LINK_DAYS: u32 = 30;
/// The longest a sign-in code may be, in characters (ours are 67).
pub const MAX_PORTAL_CODE_LEN: usize = 128;

/// `POST /api/v1/users/{id}/portal-link`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPortalLink {
    /// Days the link stays valid (default: the daemon's `--portal-link-days`).
    #[serde(
        default,
        deserialize_with = "super::optional_whole_number",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 1, max = MAX_PORTAL_LINK_DAYS))]
    pub expires_in_days: Option<u32>,
}

/// A sign-in link: `{public_url}/portal#code=…` for customers,
/// `/crew#code=…` for crew. The code is in the fragment, so it never
/// reaches a server log or a `Referer`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct PortalLink {
    pub url: String,
    pub expires_at: Timestamp,
}

/// `POST /api/v1/portal/redeem`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalRedeem {
    #[schemars(length(min = 1, max = MAX_PORTAL_CODE_LEN))]
    pub code: String,
}

/// What a redeemed code gives the page: a token of the link's user (label
/// `portal`) and that user.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct PortalSession {
    pub token: String,
    pub user: User,
    pub expires_at: Option<Timestamp>,
}
