//! `commcenter analytics overview|customer|agents`: the figures of
//! `GET /api/v1/analytics/*` (staff), with a daily bar chart on a terminal;
//! `--json` prints the API's JSON.

use commcenter::client::Client;
use commcenter::wire::{
    AgentFigures, AnalyticsOverview, AnalyticsRange, CustomerAnalytics, DailyVolume, ResponseTime,
    Turn,
};
use commcenter::Id;

use crate::output::Output;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Volumes, rates, response times and a daily chart over all customers
    Overview(RangeArgs),
    /// One customer's figures; --explain lists the response-time turns
    Customer {
        id: Id,
        #[command(flatten)]
        range: RangeArgs,
        /// List the turns behind the response times
        #[arg(long)]
        explain: bool,
    },
    /// Per staff member: replies, open conversations assigned, response times
    Agents(RangeArgs),
}

#[derive(Debug, clap::Args)]
pub struct RangeArgs {
    /// Start, inclusive: RFC 3339 time or YYYY-MM-DD (default: all time)
    #[arg(long)]
    since: Option<String>,
    /// End, exclusive: RFC 3339 time or YYYY-MM-DD (default: now)
    #[arg(long)]
    until: Option<String>,
    /// IANA time zone of the calendar days (default UTC)
    #[arg(long)]
    tz: Option<String>,
}

impl RangeArgs {
    fn range(self) -> AnalyticsRange {
        AnalyticsRange {
            since: self.since,
            until: self.until,
            tz: self.tz,
        }
    }
}

pub async fn run(command: Command, client: &Client, out: &Output) -> anyhow::Result<()> {
    match command {
        Command::Overview(range) => {
            let overview = client.analytics_overview(&range.range()).await?;
            out.one(&overview, overview_text)
        }
        Command::Customer { id, range, explain } => {
            let figures = client
                .analytics_customer(id, &range.range(), explain)
                .await?;
            out.one(&figures, customer_text)
        }
        Command::Agents(range) => {
            let agents = client.analytics_agents(&range.range()).await?;
            out.many(&agents.items, agent_line)
        }
    }
}

fn overview_text(o: &AnalyticsOverview) -> String {
    let c = &o.by_channel;
    let mut lines = vec![
        format!(
            "{} to {} ({})",
            o.since.map(|t| t.to_string()).unwrap_or_default(),
            o.until.map(|t| t.to_string()).unwrap_or_default(),
            o.tz
        ),
        format!(
            "messages  {} ({} in, {} out): in_app {}, sms {}, email {}, phone {}",
            o.total_messages,
            o.by_direction.inbound,
            o.by_direction.outbound,
            c.in_app,
            c.sms,
            c.email,
            c.phone
        ),
        format!(
            "read rate {}   attachment rate {}",
            percent(o.read_rate),
            percent(o.attachment_rate)
        ),
        format!("response  {}", response_text(&o.response_time)),
        format!(
            "conversations open {}, closed {}, archived {}   active customers {}",
            o.conversations.open,
            o.conversations.closed,
            o.conversations.archived,
            o.active_customers
        ),
    ];
    lines.extend(daily_chart(&o.daily, 40));
    lines.join("\n")
}

fn customer_text(c: &CustomerAnalytics) -> String {
    let mut text = overview_text(&c.figures);
    text.push_str(&format!(
        "\ncustomer {}: first contact {}, last contact {}, engagement {:.2} messages/day",
        c.customer_id,
        c.first_contact_at
            .map(|t| t.to_string())
            .unwrap_or("-".into()),
        c.last_contact_at
            .map(|t| t.to_string())
            .unwrap_or("-".into()),
        c.engagement_score
    ));
    for turn in c.turns.iter().flatten() {
        text.push('\n');
        text.push_str(&turn_line(turn));
    }
    text
}

fn turn_line(t: &Turn) -> String {
    match (t.reply_id, t.seconds) {
        (Some(reply), Some(seconds)) => format!(
            "turn {} {} -> {}: {}",
            t.inbound_at,
            t.inbound_id,
            reply,
            duration(seconds)
        ),
        _ => format!("turn {} {} -> unanswered", t.inbound_at, t.inbound_id),
    }
}

fn agent_line(a: &AgentFigures) -> String {
    let r = &a.response_time;
    format!(
        "{:<24} replies {:>5}  open assigned {:>3}  turns {:>5}  mean {}  median {}  p90 {}",
        a.name,
        a.replies,
        a.assigned_open,
        r.count,
        maybe_duration(r.mean_s),
        maybe_duration(r.median_s),
        maybe_duration(r.p90_s)
    )
}

fn response_text(r: &ResponseTime) -> String {
    format!(
        "{} turns answered, {} unanswered; mean {}, median {}, p90 {}",
        r.count,
        r.unanswered,
        maybe_duration(r.mean_s),
        maybe_duration(r.median_s),
        maybe_duration(r.p90_s)
    )
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or("-".into(), |r| format!("{:.1}%", r * 100.0))
}

fn maybe_duration(seconds: Option<f64>) -> String {
    seconds.map_or("-".into(), duration)
}

/// `42s`, `12m 5s`, `3h 20m`, `2d 4h`.
fn duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        3600..86400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86400, s % 86400 / 3600),
    }
}

/// One line per day: the date, a bar of inbound (`▒`) then outbound (`█`)
/// scaled so the busiest day is `width` wide, and the counts.
fn daily_chart(days: &[DailyVolume], width: usize) -> Vec<String> {
    let busiest = days
        .iter()
        .map(|d| d.inbound + d.outbound)
        .max()
        .unwrap_or(0)
        .max(1);
    let cells = |n: u64| (n as usize * width).div_ceil(busiest as usize);
    days.iter()
        .map(|d| {
            let (inbound, outbound) = (cells(d.inbound), cells(d.outbound));
            format!(
                "{} {}{}{} {:>4} in {:>4} out",
                d.date,
                "▒".repeat(inbound),
                "█".repeat(outbound),
                " ".repeat((width + 2).saturating_sub(inbound + outbound)),
                d.inbound,
                d.outbound
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(date: &str, inbound: u64, outbound: u64) -> DailyVolume {
        DailyVolume {
            date: date.into(),
            inbound,
            outbound,
        }
    }

    #[test]
    fn the_busiest_day_fills_the_chart_width() {
        let chart = daily_chart(&[day("2026-03-01", 2, 2), day("2026-03-02", 0, 1)], 8);
        assert_eq!(chart[0], "2026-03-01 ▒▒▒▒████      2 in    2 out");
        assert_eq!(chart[1], "2026-03-02 ██            0 in    1 out");
    }

    #[test]
    fn durations_read_in_the_largest_units() {
        assert_eq!(duration(42.4), "42s");
        assert_eq!(duration(1200.0), "20m 0s");
        assert_eq!(duration(3.5 * 3600.0), "3h 30m");
        assert_eq!(duration(2.0 * 86400.0 + 7200.0), "2d 2h");
    }
}
