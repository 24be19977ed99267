//! `view`: draws `App` and changes nothing but scroll offsets (cells the
//! view owns). Every screen is a header line, a body and a two-line footer:
//! the focused part's commands, then connection state and the last error.

mod analytics;
mod bars;
mod customers;
mod list;
mod popup;
mod projects;
mod search;
mod text;
mod thread;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub use list::channel_name;
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
        Screen::Customers => customers::draw(frame, body, app, theme),
        Screen::Projects => projects::draw(frame, body, app, theme),
        Screen::Analytics => analytics::draw(frame, body, app, theme),
    }
    draw_commands(frame, commands, app, theme);
    draw_status(frame, status, app, theme);
    popup::draw(frame, frame.area(), app, theme);
}

/// The screens by number, the current one picked out, the notification
/// badge, and who is signed in when there is room.
fn draw_header(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = Vec::new();
    if area.width >= 100 {
        spans.push(Span::styled(" commcenter ", theme.title()));
        spans.push(Span::styled("│", theme.dim()));
    }
    for (i, tab) in Screen::TABS.iter().enumerate() {
        let style = if *tab == app.tab {
            theme.selected()
        } else {
            theme.dim()
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!("{} {}", i + 1, tab.title()), style));
    }
    if matches!(app.screen, Screen::Thread | Screen::Search) {
        spans.push(Span::styled(" › ", theme.dim()));
        spans.push(Span::styled(app.screen.title(), theme.title()));
    }
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
    frame.render_widget(Paragraph::new(left.clone()), area);
    let fits = left.width() + 1 + unicode_width::UnicodeWidthStr::width(who.as_str())
        <= usize::from(area.width);
    if fits {
        let right = Line::from(Span::styled(who, theme.dim())).right_aligned();
        frame.render_widget(Paragraph::new(right), area);
    }
}

/// The command bar: the focused part's most used keys, from the keymap,
/// as many as fit; `? help` stays when some do not.
fn draw_commands(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focus = app.focus();
    // The focused part's own commands first, then the global ones.
    let (own, global): (Vec<_>, Vec<_>) = keymap::active(focus)
        .filter(|b| b.footer)
        .partition(|b| b.focus == focus);
    let entry = |b: &keymap::Binding| (format!(" {}", b.keys[0].label()), format!(" {} ", b.help));
    let entries: Vec<(String, String)> = own.into_iter().chain(global).map(entry).collect();
    let help = keymap::active(focus)
        .find(|b| b.action == crate::action::Action::Help)
        .map(entry);
    let width = |e: &(String, String)| {
        unicode_width::UnicodeWidthStr::width(e.0.as_str())
            + unicode_width::UnicodeWidthStr::width(e.1.as_str())
    };
    let room = usize::from(area.width);
    let all: usize = entries.iter().map(width).sum();
    let budget = if all <= room {
        room
    } else {
        room.saturating_sub(help.as_ref().map_or(0, width))
    };
    let mut used = 0;
    let mut shown = Vec::new();
    for e in &entries {
        if used + width(e) > budget {
            continue;
        }
        used += width(e);
        shown.push(e.clone());
    }
    if let Some(help) = help.filter(|h| all > room && !shown.contains(h)) {
        shown.push(help);
    }
    let spans: Vec<Span> = shown
        .into_iter()
        .flat_map(|(k, h)| [Span::styled(k, theme.key()), Span::raw(h)])
        .collect();
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
    } else if let Some(notice) = &app.notice {
        spans.push(Span::styled(
            format!("  {}", notice.replace('\n', " ")),
            theme.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The first row on screen of a list of `len` with `rows` visible: moved
/// only as far as needed to show `selected`.
pub(crate) fn scroll(
    offset: &std::cell::Cell<usize>,
    selected: usize,
    rows: usize,
    len: usize,
) -> usize {
    let mut first = offset.get().min(len.saturating_sub(1));
    if selected < first {
        first = selected;
    } else if selected >= first + rows {
        first = selected + 1 - rows;
    }
    offset.set(first);
    first
}

/// A rectangle of `width`×`height` centred in `area`, clamped to it.
/// Marks a user who is connected now (the status column has `●`).
pub(crate) const ONLINE: &str = "◉";

/// `◉ online`, or `○ seen Nov 26 14:02` from presence or the user record;
/// `None` for someone never connected, or while nothing is known.
pub(crate) fn presence(app: &App, id: commcenter::Id, theme: &Theme) -> Option<Span<'static>> {
    if app.online(id) == Some(true) {
        return Some(Span::styled(format!("{ONLINE} online"), theme.online()));
    }
    let seen = app.last_seen(id)?;
    Some(Span::styled(
        format!("○ seen {}", app.clock().long(seen)),
        theme.dim(),
    ))
}

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
mod screen_tests;
#[cfg(test)]
mod tests;
