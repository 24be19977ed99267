//! `view`: draws `App` and changes nothing but scroll offsets (cells the
//! view owns). Every screen is a header line, a body and a two-line footer:
//! the focused part's commands, then connection state and the last error.

mod list;
mod popup;
mod search;
mod text;
mod thread;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub use text::{wrap, Clock};

use crate::action::ConnState;
use crate::keymap;
use crate::state::{App, Screen};
use crate::theme::Theme;

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let [header, body, commands, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_header(frame, header, app, theme);
    match app.screen {
        Screen::Conversations => list::draw(frame, body, app, theme),
        Screen::Thread => thread::draw(frame, body, app, theme),
        Screen::Search => search::draw(frame, body, app, theme),
    }
    draw_commands(frame, commands, app, theme);
    draw_status(frame, status, app, theme);
    popup::draw(frame, frame.area(), app, theme);
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let screen = match app.screen {
        Screen::Conversations => "Conversations",
        Screen::Thread => "Conversation",
        Screen::Search => "Search",
    };
    let mut spans = vec![
        Span::styled(" commcenter ", theme.title()),
        Span::styled("│ ", theme.dim()),
        Span::styled(screen, theme.title()),
    ];
    let waiting = app.notifications.len();
    if waiting > 0 {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(format!(" {waiting} new "), theme.badge()));
    }
    let left = Line::from(spans);
    let who = app
        .me
        .as_ref()
        .map(|u| format!("{} ({}) ", u.name, u.role.as_str()))
        .unwrap_or_default();
    let right = Line::from(Span::styled(who, theme.dim())).right_aligned();
    frame.render_widget(Paragraph::new(left), area);
    frame.render_widget(Paragraph::new(right), area);
}

/// The command bar: the focused part's most used keys, from the keymap.
fn draw_commands(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = Vec::new();
    let focus = app.focus();
    // The focused part's own commands first, then the global ones.
    let (own, global): (Vec<_>, Vec<_>) = keymap::active(focus)
        .filter(|b| b.footer)
        .partition(|b| b.focus == focus);
    for binding in own.into_iter().chain(global) {
        spans.push(Span::styled(
            format!(" {}", binding.keys[0].label()),
            theme.key(),
        ));
        spans.push(Span::raw(format!(" {} ", binding.help)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_status(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let (mark, connected) = match app.connection {
        ConnState::Connected => ("●", true),
        ConnState::Connecting | ConnState::Reconnecting => ("◌", false),
        ConnState::Offline => ("○", false),
    };
    let mut spans = vec![Span::styled(
        format!(" {mark} {}", app.connection.label()),
        theme.connection(connected),
    )];
    if !app.bell {
        spans.push(Span::styled("  bell off", theme.dim()));
    }
    if let Some(error) = &app.last_error {
        spans.push(Span::styled("  ✗ ", theme.error()));
        spans.push(Span::styled(error.replace('\n', " "), theme.error()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A rectangle of `width`×`height` centred in `area`, clamped to it.
pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

#[cfg(test)]
mod tests;
