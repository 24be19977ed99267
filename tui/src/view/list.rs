//! The conversation list: one row per conversation, only the rows on screen
//! are built.

use commcenter::wire::{Channel, Conversation, ConversationKind, ConversationStatus};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table};
use ratatui::Frame;

use super::text::truncate;
use crate::action::ConnState;
use crate::state::{App, ConversationList};
use crate::theme::Theme;

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let [filters, table] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    draw_filters(frame, filters, app, theme);
    let visible = app.list.visible();
    if visible.is_empty() {
        let offline = matches!(app.connection, ConnState::Offline | ConnState::Reconnecting);
        let text = if app.list.loading {
            "  Loading conversations…"
        } else if offline {
            "  Waiting for the daemon; the list loads when it answers."
        } else {
            "  No conversations match these filters (s, c, m, u change them)."
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim()), table);
        return;
    }
    let rows = usize::from(table.height.saturating_sub(1)).max(1);
    let selected = app.list.selected_index();
    let offset = window(&app.list, selected, rows, visible.len());
    let body: Vec<Row> = visible[offset..(offset + rows).min(visible.len())]
        .iter()
        .enumerate()
        .map(|(i, c)| row(app, theme, c, offset + i == selected))
        .collect();
    let widths = [
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(4),
        Constraint::Length(18),
        Constraint::Fill(1),
        Constraint::Length(6),
        Constraint::Length(3),
        Constraint::Length(2),
    ];
    let header =
        Row::new(["", "", "via", "customer", "last message", "when", "new", ""]).style(theme.dim());
    frame.render_widget(Table::new(body, widths).header(header), table);
}

/// The first row on screen: moved only as far as needed to show the
/// selection.
fn window(list: &ConversationList, selected: usize, rows: usize, len: usize) -> usize {
    let mut offset = list.offset.get().min(len.saturating_sub(1));
    if selected < offset {
        offset = selected;
    } else if selected >= offset + rows {
        offset = selected + 1 - rows;
    }
    list.offset.set(offset);
    offset
}

fn draw_filters(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let filter = &app.list.filter;
    let channel = filter.channel.map_or("any channel", channel_name);
    let mut spans = vec![
        Span::styled(" status ", theme.dim()),
        Span::styled(filter.status.label(), theme.key()),
        Span::styled("  via ", theme.dim()),
        Span::styled(channel, theme.key()),
    ];
    if filter.mine {
        spans.push(Span::styled("  assigned to me", theme.key()));
    }
    if filter.unread {
        spans.push(Span::styled("  unread only", theme.key()));
    }
    let count = app.list.visible().len();
    let more = if app.list.more.is_some() {
        ", more below"
    } else {
        ""
    };
    spans.push(Span::styled(
        format!("  · {count} shown{more}"),
        theme.dim(),
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn row<'a>(app: &'a App, theme: &Theme, c: &'a Conversation, selected: bool) -> Row<'a> {
    let waiting = if app.notifications.contains(&c.id) {
        Span::styled("•", theme.badge())
    } else {
        Span::raw(" ")
    };
    let (glyph, status_style) = status_glyph(theme, c.status);
    let channel = match (c.kind, app.list.last_channel.get(&c.id)) {
        (ConversationKind::Project, _) => {
            Span::styled("crew", theme.role(Some(commcenter::wire::Role::Crew)))
        }
        (_, Some(ch)) => Span::styled(channel_icon(*ch), theme.dim()),
        (_, None) => Span::styled(" ·", theme.dim()),
    };
    // Two columns kept for the online mark, so that names stay aligned. A
    // project's chat is the crew's: its customer's presence is not news.
    let direct = c.kind != ConversationKind::Project;
    let online = if direct && app.online(c.customer_id) == Some(true) {
        Span::styled(format!("{} ", super::ONLINE), theme.online())
    } else {
        Span::raw("  ")
    };
    let name = truncate(&customer_label(app, c), 16);
    let preview = c
        .last_message_preview
        .clone()
        .or_else(|| c.subject.clone())
        .unwrap_or_default();
    let when = c
        .last_message_at
        .map(|t| app.clock().short(t))
        .unwrap_or_default();
    let unread = if c.unread_count > 0 {
        Span::styled(format!("{:>2} ", c.unread_count.min(99)), theme.badge())
    } else {
        Span::raw("")
    };
    let assignee = c
        .assignee_id
        .map(|id| initials(&app.user_name(id)))
        .unwrap_or_default();
    let name_style = if c.unread_count > 0 {
        theme.role(app.role_of(c.customer_id))
    } else {
        Style::new()
    };
    let cells = vec![
        Line::from(waiting),
        Line::from(Span::styled(glyph, status_style)),
        Line::from(channel),
        Line::from(vec![online, Span::styled(name, name_style)]),
        Line::from(Span::raw(preview)),
        Line::from(Span::styled(when, theme.dim())).right_aligned(),
        Line::from(unread).right_aligned(),
        Line::from(Span::styled(assignee, theme.dim())),
    ];
    let row = Row::new(cells);
    if selected {
        row.style(theme.selected())
    } else {
        row
    }
}

/// The customer's name; a crew channel also names its subject.
fn customer_label(app: &App, c: &Conversation) -> String {
    let name = app.user_name(c.customer_id);
    match (c.kind, &c.subject) {
        (ConversationKind::Project, Some(subject)) => subject.clone(),
        _ => name,
    }
}

pub(super) fn status_glyph(theme: &Theme, status: ConversationStatus) -> (&'static str, Style) {
    let glyph = match status {
        ConversationStatus::Open => "●",
        ConversationStatus::Closed => "✓",
        ConversationStatus::Archived => "▪",
    };
    (glyph, theme.status(status))
}

pub(super) fn channel_icon(channel: Channel) -> &'static str {
    match channel {
        Channel::InApp => "app",
        Channel::Sms => "sms",
        Channel::Email => "mail",
        Channel::Phone => "tel",
    }
}

pub fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::InApp => "in-app",
        Channel::Sms => "SMS",
        Channel::Email => "email",
        Channel::Phone => "phone",
    }
}

/// `Priya Shah` → `PS`.
fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect()
}
