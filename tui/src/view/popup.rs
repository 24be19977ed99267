//! Overlays: help (from the keymap), the assignee picker, the tags prompt.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::centered;
use crate::keymap::{self, Focus};
use crate::state::{App, Picker, Popup};
use crate::theme::Theme;

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    match &app.popup {
        Some(Popup::Help) => help(frame, area, app, theme),
        Some(Popup::Assign(picker)) => pick(frame, area, picker, theme),
        Some(Popup::Tags(editor)) => {
            let rect = centered(area, 60, 3);
            let block = framed(" Tags, comma separated (Enter saves) ", theme);
            let inner = block.inner(rect);
            frame.render_widget(Clear, rect);
            frame.render_widget(Paragraph::new(editor.text().to_owned()).block(block), rect);
            let col = unicode_width::UnicodeWidthStr::width(&editor.text()[..editor.cursor()]);
            let x = inner.x
                + u16::try_from(col)
                    .unwrap_or(0)
                    .min(inner.width.saturating_sub(1));
            frame.set_cursor_position((x, inner.y));
        }
        None => {}
    }
}

fn framed<'a>(title: &'a str, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focused_border())
        .title(title)
}

/// The keys of the screen under the popup beside the global ones, from the
/// same table that dispatches them; one column when the screen is narrow.
fn help(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focus = app.screen_focus();
    let own = help_column(focus, theme);
    let global = help_column(Focus::Global, theme);
    let two_columns = area.width >= 2 * HELP_COLUMN + 2;
    let (width, rows) = if two_columns {
        (2 * HELP_COLUMN + 2, own.len().max(global.len()))
    } else {
        (HELP_COLUMN + 2, own.len() + global.len() + 1)
    };
    let height = u16::try_from(rows + 2).unwrap_or(u16::MAX);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = framed(" Keys (Esc closes) ", theme);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    if two_columns {
        let [left, right] =
            Layout::horizontal([Constraint::Length(HELP_COLUMN), Constraint::Fill(1)]).areas(inner);
        frame.render_widget(Paragraph::new(own), left);
        frame.render_widget(Paragraph::new(global), right);
    } else {
        let mut lines = own;
        lines.push(Line::raw(""));
        lines.extend(global);
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

/// Columns one side of the help overlay takes.
const HELP_COLUMN: u16 = 38;

fn help_column(part: Focus, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(part.title(), theme.title()))];
    for binding in keymap::BINDINGS.iter().filter(|b| b.focus == part) {
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<10}", keymap::keys_label(binding)), theme.key()),
            Span::raw(binding.help),
        ]));
    }
    lines
}

fn pick(frame: &mut Frame, area: Rect, picker: &Picker, theme: &Theme) {
    let lines: Vec<Line> = picker
        .entries
        .iter()
        .enumerate()
        .map(|(i, (label, _))| {
            let line = Line::raw(format!(" {label} "));
            if i == picker.selected {
                line.style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let rect = centered(area, 36, height);
    frame.render_widget(Clear, rect);
    let title = format!(" {} ", picker.title);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focused_border())
        .title(title);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
