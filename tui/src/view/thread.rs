//! An open conversation. Only the messages on screen are laid out: the
//! window starts at `thread.top`, moved just enough to show the selection,
//! so a frame costs the same for 50 messages or 50,000.

use commcenter::wire::{Direction, Message, MessageStatus};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::list::{channel_icon, status_glyph};
use super::text::{size, truncate, wrap};
use crate::state::{App, Composer, Thread};
use crate::theme::Theme;

/// Rows the reply editor may grow to, borders included.
const COMPOSER_MAX_ROWS: u16 = 8;

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(thread) = &app.thread else {
        return;
    };
    let composer_rows = thread
        .composer
        .as_ref()
        .map_or(0, |c| composer_height(c, area.width));
    let typing_rows = u16::from(!thread.typing.is_empty());
    let [header, messages, typing, composer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(typing_rows),
        Constraint::Length(composer_rows),
    ])
    .areas(area);
    draw_header(frame, header, app, thread, theme);
    draw_messages(frame, messages, app, thread, theme);
    if typing_rows > 0 {
        draw_typing(frame, typing, app, thread, theme);
    }
    if let Some(c) = &thread.composer {
        draw_composer(frame, composer, c, theme);
    }
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App, thread: &Thread, theme: &Theme) {
    let c = &thread.conversation;
    let (glyph, style) = status_glyph(theme, c.status);
    let mut spans = vec![
        Span::styled(format!(" {glyph} "), style),
        Span::styled(
            app.user_name(c.customer_id),
            theme.role(app.role_of(c.customer_id)),
        ),
    ];
    if let Some(presence) = super::presence(app, c.customer_id, theme) {
        spans.push(Span::raw(" "));
        spans.push(presence);
    }
    if let Some(subject) = &c.subject {
        spans.push(Span::styled(format!(" · {subject}"), Style::new()));
    }
    let assignee = c.assignee_id.map_or("unassigned".to_owned(), |id| {
        format!("→ {}", app.user_name(id))
    });
    spans.push(Span::styled(format!("  {assignee}"), theme.dim()));
    if !c.tags.is_empty() {
        spans.push(Span::styled(
            format!("  #{}", c.tags.join(" #")),
            theme.key(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_messages(frame: &mut Frame, area: Rect, app: &App, thread: &Thread, theme: &Theme) {
    if thread.messages.is_empty() {
        let text = if thread.loading {
            "  Loading…"
        } else {
            "  No messages yet. r replies."
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim()), area);
        return;
    }
    let width = usize::from(area.width);
    let rows = usize::from(area.height);
    let layout =
        |i: usize| message_lines(app, theme, &thread.messages[i], width, i == thread.selected);
    let top = window(thread, rows, |i| layout(i).len());
    let mut lines: Vec<Line> = Vec::with_capacity(rows);
    if top == 0 && thread.older.is_some() {
        lines.push(Line::from(Span::styled(
            "  ↑ older messages load as you scroll up",
            theme.dim(),
        )));
    }
    for i in top..thread.messages.len() {
        if lines.len() >= rows {
            break;
        }
        lines.extend(layout(i));
    }
    lines.truncate(rows);
    frame.render_widget(Paragraph::new(lines), area);
}

/// The first message on screen: the previous one if the selection still
/// fits below it, moved to show the selection, and pulled up to fill the
/// screen when the newest messages do not. Walks at most a screenful of
/// messages (each is at least two rows).
fn window(thread: &Thread, rows: usize, height: impl Fn(usize) -> usize) -> usize {
    let last = thread.messages.len() - 1;
    let selected = thread.selected.min(last);
    let mut top = thread
        .top
        .get()
        .min(selected)
        .max(selected.saturating_sub(rows));
    let mut used: usize = (top..=selected).map(&height).sum();
    while used > rows && top < selected {
        used -= height(top);
        top += 1;
    }
    let mut below: usize = used;
    let mut i = selected + 1;
    while below < rows && i <= last {
        below += height(i);
        i += 1;
    }
    while top > 0 && below + height(top - 1) <= rows {
        top -= 1;
        below += height(top);
    }
    thread.top.set(top);
    top
}

/// The rows of one message: a header (sender, channel, time, receipt), the
/// wrapped body, attachments, location, the error, and a blank separator.
pub(crate) fn message_lines<'a>(
    app: &App,
    theme: &Theme,
    m: &'a Message,
    width: usize,
    selected: bool,
) -> Vec<Line<'a>> {
    let mut lines = vec![header_line(app, theme, m, width, selected)];
    let (bar, body_style) = if m.private {
        ("┃ ", theme.note())
    } else {
        ("  ", Style::new())
    };
    let inner = width.saturating_sub(2).max(1);
    if let Some(subject) = &m.subject {
        lines.push(Line::from(vec![
            Span::styled(bar, body_style),
            Span::styled(truncate(subject, inner), theme.title()),
        ]));
    }
    for text in wrap(&m.body, inner) {
        lines.push(Line::from(vec![
            Span::styled(bar, body_style),
            Span::styled(text, body_style),
        ]));
    }
    for file in &m.attachments {
        let text = format!(
            "⎘ {} · {} · {}",
            file.name,
            size(file.size),
            file.content_type
        );
        lines.push(Line::from(vec![
            Span::raw(bar),
            Span::styled(truncate(&text, inner), theme.key()),
        ]));
    }
    if let Some(at) = &m.location {
        let accuracy = at
            .accuracy_m
            .map(|a| format!(" ±{a:.0} m"))
            .unwrap_or_default();
        let when = at
            .recorded_at
            .map(|t| format!(" · {}", app.clock().long(t)))
            .unwrap_or_default();
        let text = format!("⌖ {:.5}, {:.5}{accuracy}{when}", at.lat, at.lon);
        lines.push(Line::from(vec![
            Span::raw(bar),
            Span::styled(text, theme.dim()),
        ]));
    }
    if m.status == MessageStatus::Failed {
        let error = m.error.as_deref().unwrap_or("no reason given");
        let text = truncate(&format!("✗ failed: {error}"), inner);
        lines.push(Line::from(vec![
            Span::raw(bar),
            Span::styled(text, theme.error()),
        ]));
    }
    lines.push(Line::raw(""));
    lines
}

fn header_line<'a>(
    app: &App,
    theme: &Theme,
    m: &Message,
    width: usize,
    selected: bool,
) -> Line<'a> {
    let marker = if selected { "▶ " } else { "  " };
    let mut spans = vec![
        Span::styled(marker, theme.key()),
        Span::styled(
            app.user_name(m.sender_id),
            theme.role(app.role_of(m.sender_id)),
        ),
    ];
    if m.private {
        spans.push(Span::styled("  private note", theme.note()));
    } else {
        spans.push(Span::styled(
            format!("  {}", channel_icon(m.channel)),
            theme.dim(),
        ));
    }
    spans.push(Span::styled(
        format!("  {}", app.clock().long(m.created_at)),
        theme.dim(),
    ));
    if m.direction == Direction::Outbound && !m.private {
        let (mark, style) = receipt(theme, m.status);
        let used: usize = spans.iter().map(|s| s.width()).sum();
        let pad = width.saturating_sub(used + mark.chars().count() + 1);
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled(mark, style));
    }
    let line = Line::from(spans);
    if selected {
        line.style(theme.selected())
    } else {
        line
    }
}

/// `…` queued, `✓` sent, `✓✓` delivered, `✓✓` in colour read, `✗` failed.
fn receipt(theme: &Theme, status: MessageStatus) -> (&'static str, Style) {
    let mark = match status {
        MessageStatus::Queued => "…",
        MessageStatus::Sent => "✓",
        MessageStatus::Delivered | MessageStatus::Read => "✓✓",
        MessageStatus::Failed => "✗",
    };
    (mark, theme.receipt(status))
}

fn draw_typing(frame: &mut Frame, area: Rect, app: &App, thread: &Thread, theme: &Theme) {
    let mut names: Vec<String> = thread.typing.keys().map(|id| app.user_name(*id)).collect();
    names.sort();
    let verb = if names.len() == 1 { "is" } else { "are" };
    let text = format!("  {} {verb} typing…", names.join(", "));
    frame.render_widget(Paragraph::new(text).style(theme.dim()), area);
}

fn composer_height(c: &Composer, width: u16) -> u16 {
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let lines = layout_editor(c.editor.text(), c.editor.cursor(), inner)
        .0
        .len();
    u16::try_from(lines + 2 + files_rows(c))
        .unwrap_or(COMPOSER_MAX_ROWS)
        .min(COMPOSER_MAX_ROWS)
}

/// A row for the reply's files, uploaded or on their way.
fn files_rows(c: &Composer) -> usize {
    usize::from(!c.attachments.is_empty() || c.uploading > 0)
}

fn files_line(c: &Composer) -> String {
    let mut parts: Vec<String> = c
        .attachments
        .iter()
        .map(|f| format!("⎘ {} ({})", f.name, size(f.size)))
        .collect();
    if c.uploading > 0 {
        parts.push(format!("uploading {}…", c.uploading));
    }
    parts.join("  ")
}

fn draw_composer(frame: &mut Frame, area: Rect, c: &Composer, theme: &Theme) {
    let channel = super::list::channel_name(c.channel);
    let title = if c.private {
        " Private note (staff only) ".to_owned()
    } else if c.channel_locked() {
        format!(" Reply via {channel} (the template's channel) ")
    } else {
        format!(" Reply via {channel} (Tab changes) ")
    };
    let title = if c.sending {
        format!("{title}· sending… ")
    } else {
        title
    };
    let style = if c.private {
        theme.note()
    } else {
        theme.focused_border()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(title);
    let mut inner = block.inner(area);
    frame.render_widget(block, area);
    if files_rows(c) > 0 && inner.height > 1 {
        let row = Rect { height: 1, ..inner };
        let text = truncate(&files_line(c), usize::from(inner.width));
        frame.render_widget(Paragraph::new(text).style(theme.key()), row);
        inner.y += 1;
        inner.height -= 1;
    }
    let width = usize::from(inner.width).max(1);
    let (lines, cursor) = layout_editor(c.editor.text(), c.editor.cursor(), width);
    let height = usize::from(inner.height).max(1);
    let skip = (cursor.1 + 1).saturating_sub(height);
    let shown: Vec<Line> = lines.into_iter().skip(skip).map(Line::raw).collect();
    frame.render_widget(Paragraph::new(shown), inner);
    let x = inner.x + u16::try_from(cursor.0).unwrap_or(0);
    let y = inner.y + u16::try_from(cursor.1 - skip).unwrap_or(0);
    frame.set_cursor_position((x.min(inner.right().saturating_sub(1)), y));
}

/// The editor's text broken at `width` columns (hard breaks only, so the
/// cursor maps to one cell), and the cursor's (column, row).
pub(crate) fn layout_editor(
    text: &str,
    cursor: usize,
    width: usize,
) -> (Vec<String>, (usize, usize)) {
    use unicode_width::UnicodeWidthChar;
    let mut lines = vec![String::new()];
    let mut col = 0;
    let mut at = (0, 0);
    for (i, ch) in text.char_indices() {
        if i == cursor {
            at = (col, lines.len() - 1);
        }
        if ch == '\n' {
            lines.push(String::new());
            col = 0;
            continue;
        }
        let w = ch.width().unwrap_or(0);
        if col + w > width {
            lines.push(String::new());
            col = 0;
        }
        lines.last_mut().expect("one line").push(ch);
        col += w;
    }
    if cursor >= text.len() {
        if col >= width {
            lines.push(String::new());
            col = 0;
        }
        at = (col, lines.len() - 1);
    }
    (lines, at)
}
