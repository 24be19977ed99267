//! `GET /api/v1/search/messages`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Channel, Direction, Message, MessageStatus};
use crate::{Id, Timestamp};

/// The longest `q`, in characters.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// The most words in `q` (phrase words included).
pub const MAX_QUERY_WORDS: usize = 32;

/// How search results are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchSort {
    /// Newest first.
    #[default]
    Newest,
    /// Best match first (BM25), newest first among equals.
    Relevance,
}

/// The parameters of a message search; every one is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchQuery {
    pub q: Option<String>,
    pub customer_id: Option<Id>,
    pub project_id: Option<Id>,
    pub conversation_id: Option<Id>,
    pub channel: Option<Channel>,
    pub direction: Option<Direction>,
    pub status: Option<MessageStatus>,
    pub has_attachments: Option<bool>,
    /// Inclusive lower bound of `created_at`.
    pub since: Option<Timestamp>,
    /// Exclusive upper bound of `created_at`.
    pub until: Option<Timestamp>,
    pub sort: SearchSort,
}

/// One found message and a short piece of its text around the match.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct SearchHit {
    pub message: Message,
    /// Up to about 160 characters of the subject, body or attachment name
    /// where the first query word matched, with `…` where text was cut.
    pub snippet: String,
}
