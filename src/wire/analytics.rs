//! Analytics (staff): `GET /api/v1/analytics/overview`, `/customers/{id}`
//! and `/agents`. The definitions of every figure are in the API contract
//! and in `docs/api-notes.md`; rates and times are `null` when there is
//! nothing to divide by.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Id, Timestamp};

/// Messages per channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChannelCounts {
    pub in_app: u64,
    pub sms: u64,
    pub email: u64,
    pub phone: u64,
}

/// Messages per direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DirectionCounts {
    pub inbound: u64,
    pub outbound: u64,
}

/// Response times of the turns that started in the range, in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResponseTime {
    /// Turns that have their reply.
    pub count: u64,
    /// Turns still waiting for a reply.
    pub unanswered: u64,
    pub mean_s: Option<f64>,
    pub median_s: Option<f64>,
    pub p90_s: Option<f64>,
}

/// Customer conversations by their current status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConversationCounts {
    pub open: u64,
    pub closed: u64,
    pub archived: u64,
}

/// One calendar day in the query's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DailyVolume {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub inbound: u64,
    pub outbound: u64,
}

/// `GET /api/v1/analytics/overview`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AnalyticsOverview {
    /// The start of the range (inclusive); without `since`, the first
    /// message counted (null when there is none).
    pub since: Option<Timestamp>,
    /// The end of the range (exclusive); without `until`, now.
    pub until: Option<Timestamp>,
    /// The IANA time zone of `daily`.
    pub tz: String,
    pub total_messages: u64,
    pub by_channel: ChannelCounts,
    pub by_direction: DirectionCounts,
    /// Outbound `in_app` messages that reached `read` ÷ outbound `in_app` messages.
    pub read_rate: Option<f64>,
    /// Messages with an attachment ÷ all messages.
    pub attachment_rate: Option<f64>,
    pub response_time: ResponseTime,
    pub conversations: ConversationCounts,
    /// Customers with at least one message to or from them in the range.
    pub active_customers: u64,
    pub daily: Vec<DailyVolume>,
}

/// One response-time turn, for `?explain=true`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Turn {
    /// The inbound message that started the turn.
    pub inbound_id: Id,
    pub inbound_at: Timestamp,
    /// The outbound message that ended it; null while unanswered.
    pub reply_id: Option<Id>,
    pub reply_at: Option<Timestamp>,
    /// The staff member who sent the reply.
    pub replied_by: Option<Id>,
    /// `reply_at − inbound_at` in seconds; null while unanswered.
    pub seconds: Option<f64>,
}

/// `GET /api/v1/analytics/customers/{id}`: the overview's figures for one
/// customer, and their contact history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CustomerAnalytics {
    pub customer_id: Id,
    #[serde(flatten)]
    pub figures: AnalyticsOverview,
    /// The first message to or from the customer, ever.
    pub first_contact_at: Option<Timestamp>,
    /// The last message to or from the customer, ever.
    pub last_contact_at: Option<Timestamp>,
    /// Messages in the range ÷ days from the later of the first contact and
    /// `since` to the end of the range (at least 1 day).
    pub engagement_score: f64,
    /// With `?explain=true`: the turns behind `response_time`, oldest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turns: Option<Vec<Turn>>,
}

/// Response times of the turns a staff member's replies ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AgentResponseTime {
    pub count: u64,
    pub mean_s: Option<f64>,
    pub median_s: Option<f64>,
    pub p90_s: Option<f64>,
}

/// One staff member's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AgentFigures {
    pub user_id: Id,
    pub name: String,
    /// Outbound messages (not notes) they sent to customers in the range.
    pub replies: u64,
    /// Open customer conversations assigned to them now.
    pub assigned_open: u64,
    pub response_time: AgentResponseTime,
}

/// `GET /api/v1/analytics/agents`: every staff member, oldest user first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AgentsAnalytics {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub tz: String,
    pub items: Vec<AgentFigures>,
}

/// The query of every analytics call, for the client: `since` and `until`
/// are RFC 3339 times or `YYYY-MM-DD` dates, `tz` an IANA zone name; each
/// left out takes its default (all time, UTC).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnalyticsRange {
    pub since: Option<String>,
    pub until: Option<String>,
    pub tz: Option<String>,
}

impl AnalyticsRange {
    /// The query parameters that are set, as `(name, value)` pairs.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("since", &self.since),
            ("until", &self.until),
            ("tz", &self.tz),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
        .collect()
    }
}
