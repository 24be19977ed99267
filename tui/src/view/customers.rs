//! The customers screen: the find box and the list, or one customer's page
//! (contact details, figures, conversations, portal link).

use commcenter::wire::{CustomerAnalytics, User};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table};
use ratatui::Frame;

use super::analytics::{duration, percent};
use super::list::status_glyph;
use super::text::truncate;
use crate::state::{App, CustomerPage};
use crate::theme::Theme;

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    match &app.customers.detail {
        Some(page) => draw_page(frame, area, app, page, theme),
        None => draw_list(frame, area, app, theme),
    }
}

fn draw_list(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let [input, table] = Layout::vertical([Constraint::Length(3), Constraint::Min(1)]).areas(area);
    let customers = &app.customers;
    let border = if customers.finding {
        theme.focused_border()
    } else {
        theme.border()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(" Find by name, phone or email (f) ");
    let inner = block.inner(input);
    let query = customers.query.text().to_owned();
    frame.render_widget(Paragraph::new(query.clone()).block(block), input);
    if customers.finding {
        let col = unicode_width::UnicodeWidthStr::width(&query[..customers.query.cursor()]);
        let x = inner.x
            + u16::try_from(col)
                .unwrap_or(0)
                .min(inner.width.saturating_sub(1));
        frame.set_cursor_position((x, inner.y));
    }
    if customers.items.is_empty() {
        let text = if customers.loading {
            "  Loading customers…"
        } else if customers.query.is_blank() {
            "  No customers yet. n creates one."
        } else {
            "  No customer matches. n creates one."
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim()), table);
        return;
    }
    let rows = usize::from(table.height.saturating_sub(1)).max(1);
    let offset = super::scroll(
        &customers.offset,
        customers.selected,
        rows,
        customers.items.len(),
    );
    let body: Vec<Row> = customers.items[offset..(offset + rows).min(customers.items.len())]
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let row = customer_row(app, u, theme);
            if offset + i == customers.selected && !customers.finding {
                row.style(theme.selected())
            } else {
                row
            }
        })
        .collect();
    let widths = [
        Constraint::Length(22),
        Constraint::Length(17),
        Constraint::Fill(1),
        Constraint::Length(7),
    ];
    let header = Row::new(["  name", "phone", "email", "seen"]).style(theme.dim());
    frame.render_widget(Table::new(body, widths).header(header), table);
}

fn customer_row<'a>(app: &App, u: &'a User, theme: &Theme) -> Row<'a> {
    let seen = if app.online(u.id) == Some(true) {
        Span::styled("online", theme.online())
    } else {
        let seen = app.last_seen(u.id).or(u.last_seen_at);
        Span::raw(seen.map(|t| app.clock().short(t)).unwrap_or_default())
    };
    Row::new(vec![
        Line::raw(format!("  {}", truncate(&u.name, 20))),
        Line::raw(u.phone.clone().unwrap_or_default()),
        Line::raw(u.email.clone().unwrap_or_default()),
        Line::from(seen),
    ])
}

fn draw_page(frame: &mut Frame, area: Rect, app: &App, page: &CustomerPage, theme: &Theme) {
    let customer = app.users.get(&page.id()).unwrap_or(&page.customer);
    let link_rows = u16::from(page.portal_link.is_some());
    // The daily chart when it leaves room for a few conversations.
    let chart_rows = if area.height >= 18 && page.figures.is_some() {
        super::analytics::CHART_HEIGHT
    } else {
        0
    };
    let [who, figures, chart, link, list] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(5),
        Constraint::Length(chart_rows),
        Constraint::Length(link_rows),
        Constraint::Min(1),
    ])
    .areas(area);
    let contact = [customer.phone.as_deref(), customer.email.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    let lines = vec![
        Line::from(
            [
                Span::styled(format!(" {}", customer.name), theme.title()),
                Span::styled(format!("  {contact}"), theme.dim()),
                Span::raw("  "),
            ]
            .into_iter()
            .chain(super::presence(app, customer.id, theme))
            .collect::<Vec<_>>(),
        ),
        Line::raw(""),
    ];
    frame.render_widget(Paragraph::new(lines), who);
    draw_figures(frame, figures, app, page.figures.as_ref(), theme);
    if let (Some(f), true) = (&page.figures, chart_rows > 0) {
        super::analytics::draw_daily(frame, chart, &f.figures, theme);
    }
    if let Some((url, expires)) = &page.portal_link {
        let text = format!(" portal link (until {}): {url}", app.clock().long(*expires));
        frame.render_widget(Paragraph::new(text).style(theme.key()), link);
    }
    draw_conversations(frame, list, app, page, theme);
}

/// All-time figures: messages, channels, response times, engagement.
fn draw_figures(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    figures: Option<&CustomerAnalytics>,
    theme: &Theme,
) {
    let Some(f) = figures else {
        frame.render_widget(Paragraph::new(" Loading figures…").style(theme.dim()), area);
        return;
    };
    let o = &f.figures;
    let c = &o.by_channel;
    let when =
        |t: Option<commcenter::Timestamp>| t.map_or("—".to_owned(), |t| app.clock().long(t));
    let rt = &o.response_time;
    let lines = vec![
        Line::from(vec![
            Span::styled(" messages ", theme.dim()),
            Span::raw(format!(
                "{} ({} in, {} out)",
                o.total_messages, o.by_direction.inbound, o.by_direction.outbound
            )),
            Span::styled("  engagement ", theme.dim()),
            Span::raw(format!("{:.1}/day", f.engagement_score)),
        ]),
        Line::from(vec![
            Span::styled(" channels ", theme.dim()),
            Span::raw(format!(
                "app {} · sms {} · mail {} · tel {}",
                c.in_app, c.sms, c.email, c.phone
            )),
        ]),
        Line::from(vec![
            Span::styled(" replies  ", theme.dim()),
            Span::raw(format!(
                "median {} · p90 {} · {} unanswered · read {}",
                duration(rt.median_s),
                duration(rt.p90_s),
                rt.unanswered,
                percent(o.read_rate)
            )),
        ]),
        Line::from(vec![
            Span::styled(" contact  ", theme.dim()),
            Span::raw(format!(
                "first {} · last {}",
                when(f.first_contact_at),
                when(f.last_contact_at)
            )),
        ]),
    ];
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_conversations(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    page: &CustomerPage,
    theme: &Theme,
) {
    if page.conversations.is_empty() {
        let text = if page.conversations_loaded {
            " No conversations yet."
        } else {
            " Loading conversations…"
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim()), area);
        return;
    }
    let body: Vec<Row> = page
        .conversations
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (glyph, style) = status_glyph(theme, c.status);
            let subject = c
                .subject
                .clone()
                .unwrap_or_else(|| "(no subject)".to_owned());
            let when = c
                .last_message_at
                .map(|t| app.clock().short(t))
                .unwrap_or_default();
            let row = Row::new(vec![
                Line::from(Span::styled(format!(" {glyph}"), style)),
                Line::raw(subject),
                Line::raw(c.last_message_preview.clone().unwrap_or_default()),
                Line::from(Span::styled(when, theme.dim())).right_aligned(),
            ]);
            if i == page.selected {
                row.style(theme.selected())
            } else {
                row
            }
        })
        .collect();
    let widths = [
        Constraint::Length(2),
        Constraint::Length(24),
        Constraint::Fill(1),
        Constraint::Length(6),
    ];
    let header = Row::new(["", "conversations", "last message", "when"]).style(theme.dim());
    let rows = usize::from(area.height.saturating_sub(1)).max(1);
    let skip = (page.selected + 1).saturating_sub(rows);
    let body: Vec<Row> = body.into_iter().skip(skip).collect();
    frame.render_widget(Table::new(body, widths).header(header), area);
}
