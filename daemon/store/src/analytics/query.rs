//! Answering the analytics endpoints from the kept rows. A range reads its
//! whole UTC hours from the hour rows and its partial hours at either edge
//! from the per-message (and per-turn) rows, so every answer is exact to the
//! millisecond and reads rows in proportion to the hours asked for.

use std::collections::HashSet;

use redb::ReadableTable;

use super::active::{number_of, ActiveSet};
use super::counters::{quantile_s, Facts, HourCounters, TurnTotals};
use super::range::Window;
use super::record::status_index;
use super::{AnalyticsQuery, ALL, HOUR_MS};
use crate::tx::{Mode, Tables};
use crate::{StoreError, View};
use commcenter::access::{self, Caller};
use commcenter::wire::{
    AgentFigures, AgentResponseTime, AgentsAnalytics, AnalyticsOverview, ChannelCounts,
    ConversationCounts, ConversationStatus, CustomerAnalytics, DailyVolume, DirectionCounts,
    ResponseTime, Role, Turn, User,
};
use commcenter::{Id, Timestamp};

/// Up to this many turns in a range, median and p90 are computed exactly
/// from the turn rows; beyond, from the hourly histograms (within 0.5%).
const EXACT_TURNS: u64 = 2_000;

const DAY_MS: f64 = 86_400_000.0;

/// Whose figures: everyone's, one customer's, or one staff member's.
#[derive(Debug, Clone, Copy)]
enum Scope {
    All,
    Customer(u128),
    Staff(u128),
}

impl Scope {
    fn key(self) -> u128 {
        match self {
            Scope::All => ALL,
            Scope::Customer(id) | Scope::Staff(id) => id,
        }
    }

    /// Whether a message row (customer, sender, facts) is in this scope.
    fn holds(self, customer: u128, sender: u128, facts: Facts) -> bool {
        match self {
            Scope::All => true,
            Scope::Customer(id) => customer == id,
            Scope::Staff(id) => sender == id && facts.outbound(),
        }
    }
}

/// Message counts over a window, with its daily series and active customers.
struct MessageTally {
    counters: HourCounters,
    /// `[inbound, outbound]` per day of the window.
    daily: Vec<[u64; 2]>,
    /// The customers of the messages counted one by one (partial hours).
    edge_customers: HashSet<u128>,
}

fn ceil_hour(ms: i64) -> i64 {
    super::hour_of(ms + HOUR_MS - 1)
}

impl<M: Mode> Tables<M> {
    fn tally_messages(&self, scope: Scope, w: &Window) -> Result<MessageTally, StoreError> {
        let mut tally = MessageTally {
            counters: HourCounters::default(),
            daily: vec![[0; 2]; w.days.len()],
            edge_customers: HashSet::new(),
        };
        let (first_full, end_full) = (ceil_hour(w.since), super::hour_of(w.until));
        if first_full >= end_full {
            self.tally_edge(scope, w, (w.since, w.until), &mut tally)?;
            return Ok(tally);
        }
        self.tally_edge(scope, w, (w.since, first_full), &mut tally)?;
        self.tally_edge(scope, w, (end_full, w.until), &mut tally)?;
        let s = scope.key();
        for row in self.analytics_hour.range((s, first_full)..(s, end_full))? {
            let (key, value) = row?;
            let counters = HourCounters::decode(value.value())?;
            spread_hour(w, key.value().1, &counters, &mut tally.daily);
            tally.counters.merge(&counters);
        }
        Ok(tally)
    }

    /// The distinct customers with a message in the window: the union of
    /// its whole hours' bitmaps and the customers of its partial hours.
    fn active_customers(
        &self,
        w: &Window,
        edge_customers: &HashSet<u128>,
    ) -> Result<u64, StoreError> {
        let mut active = ActiveSet::default();
        let (first_full, end_full) = (ceil_hour(w.since), super::hour_of(w.until));
        if first_full < end_full {
            for row in self
                .analytics_active
                .range((first_full, 0)..(end_full, 0))?
            {
                let (key, value) = row?;
                active.add_row(key.value().1, value.value());
            }
        }
        for &customer in edge_customers {
            if let Some(number) = number_of(&self.analytics_customer, customer)? {
                active.add_number(number);
            }
        }
        Ok(active.len())
    }

    /// Counts the messages of `[from, to)` one by one (a partial hour).
    fn tally_edge(
        &self,
        scope: Scope,
        w: &Window,
        (from, to): (i64, i64),
        tally: &mut MessageTally,
    ) -> Result<(), StoreError> {
        if from >= to {
            return Ok(());
        }
        for row in self.analytics_message.range((from, 0)..(to, 0))? {
            let (key, value) = row?;
            let ms = key.value().0;
            let (customer, sender, bits) = value.value();
            let facts = Facts(bits);
            if !scope.holds(customer, sender, facts) {
                continue;
            }
            tally.counters.add(ms, facts, 1);
            tally.daily[w.day_of(ms)][usize::from(facts.outbound())] += 1;
            tally.edge_customers.insert(customer);
        }
        Ok(())
    }

    /// The response-time turns that started in the window.
    fn turn_histogram(&self, scope: Scope, w: &Window) -> Result<TurnTotals, StoreError> {
        let mut histogram = TurnTotals::default();
        let (first_full, end_full) = (ceil_hour(w.since), super::hour_of(w.until));
        if first_full >= end_full {
            self.turn_edge(scope, (w.since, w.until), &mut histogram)?;
            return Ok(histogram);
        }
        self.turn_edge(scope, (w.since, first_full), &mut histogram)?;
        self.turn_edge(scope, (end_full, w.until), &mut histogram)?;
        let s = scope.key();
        for row in self
            .analytics_turn_hour
            .range((s, first_full)..(s, end_full))?
        {
            histogram.add_row(row?.1.value())?;
        }
        Ok(histogram)
    }

    fn turn_edge(
        &self,
        scope: Scope,
        range: (i64, i64),
        histogram: &mut TurnTotals,
    ) -> Result<(), StoreError> {
        for turn in self.turns(scope, range)? {
            match turn.seconds_ms() {
                Some(ms) => histogram.add_answered(ms),
                None => histogram.unanswered += 1,
            }
        }
        Ok(())
    }

    /// The turn rows of `[from, to)`, oldest first.
    fn turns(&self, scope: Scope, (from, to): (i64, i64)) -> Result<Vec<TurnRow>, StoreError> {
        let s = scope.key();
        let mut turns = Vec::new();
        if from >= to {
            return Ok(turns);
        }
        for row in self.analytics_turn.range((s, from, 0)..(s, to, 0))? {
            let (key, value) = row?;
            let (_, inbound_ms, inbound_id) = key.value();
            let (reply_id, reply_ms, replier) = value.value();
            turns.push(TurnRow {
                inbound_ms,
                inbound_id,
                reply: reply_id.zip(reply_ms).map(|(id, ms)| (id, ms, replier)),
            });
        }
        Ok(turns)
    }

    fn response_time(&self, scope: Scope, w: &Window) -> Result<ResponseTime, StoreError> {
        let histogram = self.turn_histogram(scope, w)?;
        let (median_s, p90_s) = if histogram.answered + histogram.unanswered <= EXACT_TURNS {
            let mut samples: Vec<u64> = self
                .turns(scope, (w.since, w.until))?
                .iter()
                .filter_map(TurnRow::seconds_ms)
                .collect();
            samples.sort_unstable();
            (quantile_s(&samples, 0.5), quantile_s(&samples, 0.9))
        } else {
            (histogram.quantile_s(0.5), histogram.quantile_s(0.9))
        };
        Ok(ResponseTime {
            count: histogram.answered,
            unanswered: histogram.unanswered,
            mean_s: histogram.mean_s(),
            median_s,
            p90_s,
        })
    }

    fn conversation_counts(&self, scope: u128) -> Result<ConversationCounts, StoreError> {
        let count = |status| -> Result<u64, StoreError> {
            let key = (scope, status_index(status));
            Ok(self.analytics_status.get(key)?.map_or(0, |v| v.value()))
        };
        Ok(ConversationCounts {
            open: count(ConversationStatus::Open)?,
            closed: count(ConversationStatus::Closed)?,
            archived: count(ConversationStatus::Archived)?,
        })
    }

    fn contact(&self, scope: u128) -> Result<Option<(i64, i64)>, StoreError> {
        Ok(self.analytics_contact.get(scope)?.map(|v| v.value()))
    }

    fn figures(
        &self,
        scope: Scope,
        q: &AnalyticsQuery,
        w: &Window,
    ) -> Result<AnalyticsOverview, StoreError> {
        let tally = self.tally_messages(scope, w)?;
        let c = &tally.counters;
        let total = c.direction_total(0) + c.direction_total(1);
        let per_channel = |i: usize| u64::from(c.messages[0][i]) + u64::from(c.messages[1][i]);
        let active_customers = match scope {
            Scope::All => self.active_customers(w, &tally.edge_customers)?,
            _ => u64::from(total > 0),
        };
        Ok(AnalyticsOverview {
            since: Some(Timestamp::from_millis(w.since)),
            until: Some(Timestamp::from_millis(w.until)),
            tz: q.tz_name.clone(),
            total_messages: total,
            by_channel: ChannelCounts {
                in_app: per_channel(0),
                sms: per_channel(1),
                email: per_channel(2),
                phone: per_channel(3),
            },
            by_direction: DirectionCounts {
                inbound: c.direction_total(0),
                outbound: c.direction_total(1),
            },
            read_rate: ratio(c.outbound_in_app_read.into(), c.outbound_in_app.into()),
            attachment_rate: ratio(c.with_attachment.into(), total),
            response_time: self.response_time(scope, w)?,
            conversations: self.conversation_counts(scope.key())?,
            active_customers,
            daily: w
                .days
                .iter()
                .zip(&tally.daily)
                .map(|((date, _), [inbound, outbound])| DailyVolume {
                    date: date.clone(),
                    inbound: *inbound,
                    outbound: *outbound,
                })
                .collect(),
        })
    }
}

/// A turn as stored: its inbound, and its reply (id, ms, replier) if any.
struct TurnRow {
    inbound_ms: i64,
    inbound_id: u128,
    reply: Option<(u128, i64, Option<u128>)>,
}

impl TurnRow {
    fn seconds_ms(&self) -> Option<u64> {
        self.reply
            .map(|(_, reply_ms, _)| reply_ms.saturating_sub(self.inbound_ms).max(0) as u64)
    }

    fn to_wire(&self) -> Turn {
        Turn {
            inbound_id: Id::from_u128(self.inbound_id),
            inbound_at: Timestamp::from_millis(self.inbound_ms),
            reply_id: self.reply.map(|(id, _, _)| Id::from_u128(id)),
            reply_at: self.reply.map(|(_, ms, _)| Timestamp::from_millis(ms)),
            replied_by: self.reply.and_then(|(_, _, by)| by.map(Id::from_u128)),
            seconds: self.seconds_ms().map(|ms| ms as f64 / 1000.0),
        }
    }
}

/// Adds an hour's inbound and outbound counts to the days it falls in,
/// quarter by quarter when a day boundary cuts the hour (zones whose
/// offset is not whole hours).
fn spread_hour(w: &Window, hour: i64, c: &HourCounters, daily: &mut [[u64; 2]]) {
    let first = w.day_of(hour);
    if first == w.day_of(hour + HOUR_MS - 1) {
        daily[first][0] += c.direction_total(0);
        daily[first][1] += c.direction_total(1);
        return;
    }
    for quarter in 0..4 {
        let day = w.day_of(hour + quarter as i64 * HOUR_MS / 4);
        for (direction, count) in daily[day].iter_mut().enumerate() {
            *count += u64::from(c.quarters[direction][quarter]);
        }
    }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl View {
    /// `GET /analytics/overview`.
    pub fn analytics_overview(
        &self,
        caller: &Caller,
        q: &AnalyticsQuery,
        now: Timestamp,
    ) -> Result<AnalyticsOverview, StoreError> {
        access::may_see_analytics(caller)?;
        let w = q.window(self.contact(ALL)?, now.millis())?;
        self.figures(Scope::All, q, &w)
    }

    /// `GET /analytics/customers/{id}`; with `explain`, the turns too.
    pub fn analytics_customer(
        &self,
        caller: &Caller,
        customer_id: Id,
        q: &AnalyticsQuery,
        explain: bool,
        now: Timestamp,
    ) -> Result<CustomerAnalytics, StoreError> {
        access::may_see_analytics(caller)?;
        let customer = self
            .find_user(customer_id)?
            .filter(|u| u.role == Role::Customer)
            .ok_or_else(|| StoreError::not_found("customer", customer_id))?;
        let key = customer.id.to_u128();
        let contact = self.contact(key)?;
        let w = q.window(contact, now.millis())?;
        let figures = self.figures(Scope::Customer(key), q, &w)?;
        let turns = if explain {
            let rows = self.turns(Scope::Customer(key), (w.since, w.until))?;
            Some(rows.iter().map(TurnRow::to_wire).collect())
        } else {
            None
        };
        Ok(CustomerAnalytics {
            customer_id: customer.id,
            engagement_score: engagement(figures.total_messages, contact, &w),
            first_contact_at: contact.map(|(first, _)| Timestamp::from_millis(first)),
            last_contact_at: contact.map(|(_, last)| Timestamp::from_millis(last)),
            figures,
            turns,
        })
    }

    /// `GET /analytics/agents`: every staff member, oldest user first.
    pub fn analytics_agents(
        &self,
        caller: &Caller,
        q: &AnalyticsQuery,
        now: Timestamp,
    ) -> Result<AgentsAnalytics, StoreError> {
        access::may_see_analytics(caller)?;
        let w = q.window(self.contact(ALL)?, now.millis())?;
        let mut items = Vec::new();
        for row in self.analytics_staff.iter()? {
            let id = Id::from_u128(row?.0.value());
            if let Some(user) = self.find_user(id)? {
                items.push(self.agent_figures(user, &w)?);
            }
        }
        Ok(AgentsAnalytics {
            since: Some(Timestamp::from_millis(w.since)),
            until: Some(Timestamp::from_millis(w.until)),
            tz: q.tz_name.clone(),
            items,
        })
    }

    fn agent_figures(&self, user: User, w: &Window) -> Result<AgentFigures, StoreError> {
        let scope = Scope::Staff(user.id.to_u128());
        let replies = self.tally_messages(scope, w)?.counters.direction_total(1);
        let times = self.response_time(scope, w)?;
        Ok(AgentFigures {
            user_id: user.id,
            name: user.name,
            replies,
            assigned_open: self
                .analytics_assigned_open
                .get(scope.key())?
                .map_or(0, |v| v.value()),
            response_time: AgentResponseTime {
                count: times.count,
                mean_s: times.mean_s,
                median_s: times.median_s,
                p90_s: times.p90_s,
            },
        })
    }
}

/// Messages per day from the later of the first contact and the range's
/// start to the range's end, counting at least one day.
fn engagement(messages: u64, contact: Option<(i64, i64)>, w: &Window) -> f64 {
    let Some((first, _)) = contact else {
        return 0.0;
    };
    let days = (w.until - first.max(w.since)) as f64 / DAY_MS;
    messages as f64 / days.max(1.0)
}
