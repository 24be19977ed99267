//! The analytics screen: the range's totals, daily volume bars, the
//! channel split, response times and the customers ranked by engagement.

use commcenter::wire::AnalyticsOverview;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::bars;
use super::text::truncate;
use crate::state::App;
use crate::theme::Theme;

/// Rows of the daily volume chart.
const CHART_ROWS: usize = 5;
/// Rows the chart takes with its title and date line.
pub(super) const CHART_HEIGHT: u16 = 7;

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let analytics = &app.analytics;
    let Some(o) = &analytics.overview else {
        let text = if analytics.loading {
            "  Loading figures…"
        } else {
            "  No figures yet (Ctrl-r loads them)."
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim()), area);
        return;
    };
    let chart_rows = u16::try_from(CHART_ROWS + 2).unwrap_or(7);
    let [summary, chart, lower] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(chart_rows),
        Constraint::Min(1),
    ])
    .areas(area);
    let loading = if analytics.loading {
        " · loading…"
    } else {
        ""
    };
    let line = Line::from(vec![
        Span::styled(
            format!(" Last {} days ({})", analytics.days(), o.tz),
            theme.title(),
        ),
        Span::styled(
            format!(
                " · {} messages · {} customers · read {} · files {}{loading}",
                o.total_messages,
                o.active_customers,
                percent(o.read_rate),
                percent(o.attachment_rate)
            ),
            theme.dim(),
        ),
    ]);
    frame.render_widget(Paragraph::new(line), summary);
    draw_daily(frame, chart, o, theme);
    let [left, right] =
        Layout::horizontal([Constraint::Length(38), Constraint::Fill(1)]).areas(lower);
    draw_split(frame, left, o, theme);
    draw_top(frame, right, app, theme);
}

/// Messages per day, in and out together, the newest days that fit.
pub(super) fn draw_daily(frame: &mut Frame, area: Rect, o: &AnalyticsOverview, theme: &Theme) {
    let room = usize::from(area.width.saturating_sub(2)).max(1);
    let days = &o.daily[o.daily.len().saturating_sub(room)..];
    let per_day = (room / days.len().max(1)).clamp(1, 2);
    let totals: Vec<u64> = days.iter().map(|d| d.inbound + d.outbound).collect();
    let busiest = totals.iter().copied().max().unwrap_or(0);
    let mut lines = vec![Line::from(vec![
        Span::styled(" Daily messages", theme.title()),
        Span::styled(format!(" (in + out; busiest day {busiest})"), theme.dim()),
    ])];
    for row in bars::vertical(&totals, CHART_ROWS) {
        let wide: String = row
            .chars()
            .flat_map(|c| std::iter::repeat_n(c, per_day))
            .collect();
        lines.push(Line::from(Span::styled(format!(" {wide}"), theme.key())));
    }
    let (first, last) = (
        days.first().map_or("", |d| d.date.as_str()),
        days.last().map_or("", |d| d.date.as_str()),
    );
    let span = days.len() * per_day;
    let gap = span.saturating_sub(first.len() + last.len());
    lines.push(Line::from(Span::styled(
        format!(" {first}{}{last}", " ".repeat(gap)),
        theme.dim(),
    )));
    frame.render_widget(Paragraph::new(lines), area);
}

/// Channels, response times and conversations by status.
fn draw_split(frame: &mut Frame, area: Rect, o: &AnalyticsOverview, theme: &Theme) {
    let c = &o.by_channel;
    let max = [c.in_app, c.sms, c.email, c.phone]
        .into_iter()
        .max()
        .unwrap_or(0);
    let mut lines = vec![Line::from(Span::styled(" Channels", theme.title()))];
    for (label, n) in [
        ("app", c.in_app),
        ("sms", c.sms),
        ("mail", c.email),
        ("tel", c.phone),
    ] {
        lines.push(Line::from(vec![
            Span::raw(format!(" {label:<5}{n:>6} ")),
            Span::styled(bars::horizontal(n, max, 22), theme.key()),
        ]));
    }
    let rt = &o.response_time;
    let conv = &o.conversations;
    lines.extend([
        Line::from(Span::styled(" First replies", theme.title())),
        Line::raw(format!(
            " median {} · mean {}",
            duration(rt.median_s),
            duration(rt.mean_s)
        )),
        Line::raw(format!(
            " p90 {} · {} answered · {} waiting",
            duration(rt.p90_s),
            rt.count,
            rt.unanswered
        )),
        Line::from(Span::styled(" Conversations now", theme.title())),
        Line::raw(format!(
            " {} open · {} closed · {} archived",
            conv.open, conv.closed, conv.archived
        )),
    ]);
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_top(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let analytics = &app.analytics;
    let width = usize::from(area.width);
    let name_width = width.saturating_sub(16).max(4);
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{:<name_width$}", "Top customers"), theme.title()),
        Span::styled(format!("{:>6}{:>6}", "/day", "msgs"), theme.dim()),
    ])];
    let rows = usize::from(area.height.saturating_sub(1));
    let skip = (analytics.selected + 1).saturating_sub(rows);
    for (i, f) in analytics.top.iter().enumerate().skip(skip).take(rows) {
        let name = truncate(&app.user_name(f.customer_id), name_width);
        let text = format!(
            "{name:<name_width$}{:>6.1}{:>6}",
            f.engagement_score, f.figures.total_messages
        );
        let line = Line::raw(text);
        lines.push(if i == analytics.selected {
            line.style(theme.selected())
        } else {
            line
        });
    }
    if analytics.top.is_empty() {
        lines.push(Line::from(Span::styled(
            "No customer wrote in this range.",
            theme.dim(),
        )));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// `45s`, `12m`, `3h 05m`, `2d 4h`; `—` when there is nothing to show.
pub(super) fn duration(seconds: Option<f64>) -> String {
    let Some(s) = seconds else {
        return "—".to_owned();
    };
    let s = s.round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3_599 => format!("{}m", s / 60),
        3_600..=86_399 => format!("{}h {:02}m", s / 3_600, s % 3_600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3_600),
    }
}

/// `82%`, or `—` when the rate has nothing to divide by.
pub(super) fn percent(rate: Option<f64>) -> String {
    rate.map_or("—".to_owned(), |r| format!("{:.0}%", r * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_largest_sensible_unit() {
        assert_eq!(duration(Some(42.0)), "42s");
        assert_eq!(duration(Some(725.0)), "12m");
        assert_eq!(duration(Some(11_100.0)), "3h 05m");
        assert_eq!(duration(Some(190_000.0)), "2d 4h");
        assert_eq!(duration(None), "—");
    }
}
