//! Analytics: the figures of `GET /api/v1/analytics/*`, kept up to date as
//! messages, receipts and conversation changes are written, in the same
//! transaction, so that an answer reads a number of rows that depends on
//! the length of the range asked for, never on the size of the store.
//!
//! What is kept (tables `analytics_*`, see `tables.rs`):
//! - per scope (everyone, each customer, each staff sender) and UTC hour,
//!   message counters with quarter-hour direction counts;
//! - per message, a small facts row, read only for the partial hours at
//!   the edges of a range (ranges are exact to the millisecond);
//! - per hour, the customers active in it;
//! - per response-time turn, a row in each of its scopes (the rows
//!   `?explain=true` lists), and per scope and hour a histogram of the
//!   turns' response times;
//! - the current number of customer conversations per status, the open
//!   ones assigned to each staff member, and each customer's first and
//!   last message.
//!
//! Counted: messages in customer conversations that are not staff-only
//! notes. Project conversations (the crew channel) are the crew's
//! coordination, not contact with a customer, and count nowhere.
//!
//! A store written before these tables existed (or by an older version of
//! them) has them rebuilt from its messages once, when it is opened
//! ([`rebuild_if_stale`]).

mod active;
mod counters;
mod query;
mod range;
mod rebuild;
mod record;

pub use range::AnalyticsQuery;
pub(crate) use rebuild::rebuild_if_stale;

/// The version of the analytics tables; a store whose meta
/// `analytics_version` differs has them rebuilt at open.
pub(crate) const ANALYTICS_VERSION: u64 = 1;

pub(crate) const HOUR_MS: i64 = 3_600_000;

/// The scope of every customer together.
pub(crate) const ALL: u128 = 0;

/// The start of the UTC hour holding `ms`.
pub(crate) fn hour_of(ms: i64) -> i64 {
    ms - ms.rem_euclid(HOUR_MS)
}
