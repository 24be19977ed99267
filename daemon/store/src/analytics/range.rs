//! The range and time zone of an analytics query, and its calendar days.

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::StoreError;
use commcenter::Timestamp;

/// `?since=&until=&tz=` as given: `since` inclusive, `until` exclusive,
/// each an RFC 3339 time or a date (`2026-11-01`, the start of that day in
/// `tz`); `tz` an IANA zone name, UTC by default.
#[derive(Debug, Clone)]
pub struct AnalyticsQuery {
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub tz_name: String,
    tz: TimeZone,
}

/// The longest range answered: 100 years of daily series (36,525 days).
const MAX_RANGE_MS: i64 = 36_525 * 86_400_000;

fn bad(field: &'static str, message: String) -> StoreError {
    StoreError::BadRequest {
        message,
        field: Some(field),
    }
}

impl AnalyticsQuery {
    /// Parses the query parameters; each malformed one is a 400 naming it.
    pub fn parse(
        since: Option<&str>,
        until: Option<&str>,
        tz: Option<&str>,
    ) -> Result<AnalyticsQuery, StoreError> {
        let tz_name = tz.unwrap_or("UTC").to_owned();
        let zone = TimeZone::get(&tz_name).map_err(|_| {
            bad(
                "tz",
                format!("`{tz_name}` is not an IANA time zone (like Europe/London)"),
            )
        })?;
        let since = since.map(|t| parse_time("since", t, &zone)).transpose()?;
        let until = until.map(|t| parse_time("until", t, &zone)).transpose()?;
        if let (Some(s), Some(u)) = (since, until) {
            if s > u {
                return Err(bad("since", "since must not be after until".into()));
            }
        }
        Ok(AnalyticsQuery {
            since,
            until,
            tz_name,
            tz: zone,
        })
    }

    /// The range to count over. Without `until`: up to now (or just past the
    /// last message, should one be stamped later). Without `since`: from the
    /// scope's first message (all time); with no message, an empty range.
    /// A range longer than [`MAX_RANGE_MS`] is a 400 on `since`.
    pub(crate) fn window(
        &self,
        contact: Option<(i64, i64)>,
        now: i64,
    ) -> Result<Window, StoreError> {
        let mut until = self.until.unwrap_or_else(|| match contact {
            Some((_, last)) => now.max(last + 1),
            None => now,
        });
        let since = match self.since {
            Some(since) => {
                if self.until.is_none() {
                    until = until.max(since);
                }
                since
            }
            None => contact.map_or(until, |(first, _)| first.min(until)),
        };
        if until.saturating_sub(since) > MAX_RANGE_MS {
            return Err(bad("since", "a range covers at most 100 years".into()));
        }
        let days = self.days(since, until);
        Ok(Window { since, until, days })
    }

    /// Each calendar day in the zone that overlaps `[since, until)`, with
    /// the UTC millisecond its midnight falls on (or the first instant of
    /// the day, where a clock change skips midnight).
    fn days(&self, since: i64, until: i64) -> Vec<(String, i64)> {
        let mut days = Vec::new();
        if since >= until {
            return days;
        }
        let Ok(mut date) =
            jiff::Timestamp::from_millisecond(since).map(|t| t.to_zoned(self.tz.clone()).date())
        else {
            return days;
        };
        loop {
            let Ok(start) = day_start(date, &self.tz) else {
                break;
            };
            if start >= until {
                break;
            }
            days.push((date.to_string(), start));
            let Ok(next) = date.tomorrow() else { break };
            date = next;
        }
        days
    }
}

fn day_start(date: Date, tz: &TimeZone) -> Result<i64, jiff::Error> {
    Ok(date.to_zoned(tz.clone())?.timestamp().as_millisecond())
}

fn parse_time(field: &'static str, text: &str, tz: &TimeZone) -> Result<i64, StoreError> {
    if let Some(t) = Timestamp::parse(text) {
        return Ok(t.millis());
    }
    text.parse::<Date>()
        .ok()
        .and_then(|date| day_start(date, tz).ok())
        .ok_or_else(|| {
            bad(
                field,
                format!("{field} `{text}` is not an RFC 3339 time or a YYYY-MM-DD date"),
            )
        })
}

/// A resolved range, `[since, until)` in UTC milliseconds, and its days.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    pub since: i64,
    pub until: i64,
    /// (date, start ms) of each day overlapping the range, in order; a day
    /// ends where the next starts (or at `until`).
    pub days: Vec<(String, i64)>,
}

impl Window {
    /// The index in `days` of the day holding `ms` (which is in the range).
    pub fn day_of(&self, ms: i64) -> usize {
        self.days
            .partition_point(|(_, start)| *start <= ms)
            .saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        Timestamp::parse(text).unwrap().millis()
    }

    #[test]
    fn kolkata_days_start_at_half_past_six_utc() {
        let q = AnalyticsQuery::parse(Some("2026-03-01"), Some("2026-03-03"), Some("Asia/Kolkata"))
            .unwrap();
        let w = q.window(None, 0).unwrap();
        assert_eq!(w.since, ms("2026-02-28T18:30:00Z"));
        let starts: Vec<i64> = w.days.iter().map(|d| d.1).collect();
        assert_eq!(
            starts,
            [ms("2026-02-28T18:30:00Z"), ms("2026-03-01T18:30:00Z")]
        );
        assert_eq!(w.days[0].0, "2026-03-01");
    }

    #[test]
    fn a_day_with_a_clock_change_is_23_hours_long() {
        let q = AnalyticsQuery::parse(
            Some("2026-03-08"),
            Some("2026-03-10"),
            Some("America/New_York"),
        )
        .unwrap();
        let w = q.window(None, 0).unwrap();
        assert_eq!(w.days[1].1 - w.days[0].1, 23 * 3_600_000);
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let field = |r: Result<AnalyticsQuery, StoreError>| match r {
            Err(StoreError::BadRequest { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(AnalyticsQuery::parse(None, None, Some("Mars/Olympus"))),
            Some("tz")
        );
        assert_eq!(
            field(AnalyticsQuery::parse(Some("yesterday"), None, None)),
            Some("since")
        );
        assert_eq!(
            field(AnalyticsQuery::parse(None, Some("2026-13-01"), None)),
            Some("until")
        );
        assert_eq!(
            field(AnalyticsQuery::parse(
                Some("2026-02-01"),
                Some("2026-01-01"),
                None
            )),
            Some("since")
        );
    }
}
