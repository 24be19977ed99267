//! Overlays: help (from the keymap), the assignee picker, the tags prompt.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::centered;
use crate::keymap::{self, Focus};
use crate::state::{App, Form, Picker, Popup, TemplatePreview};
use crate::theme::Theme;

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    match &app.popup {
        Some(Popup::Help) => help(frame, area, app, theme),
        Some(
            Popup::Assign(picker)
            | Popup::Templates(picker)
            | Popup::Files { picker, .. }
            | Popup::PortalLink { picker, .. },
        ) => pick(frame, area, picker, theme),
        Some(Popup::Form(form)) => draw_form(frame, area, form, theme),
        Some(Popup::Preview(preview)) => draw_preview(frame, area, preview, theme),
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
    let widest = picker
        .entries
        .iter()
        .map(|e| unicode_width::UnicodeWidthStr::width(e.0.as_str()))
        .chain([picker.title.chars().count()])
        .max()
        .unwrap_or(0);
    let width = u16::try_from(widest + 4).unwrap_or(u16::MAX).max(36);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let title = format!(" {} ", picker.title);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focused_border())
        .title(title);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

/// A form: one row per field, its label beside it; the cursor in the
/// focused field.
fn draw_form(frame: &mut Frame, area: Rect, form: &Form, theme: &Theme) {
    let label_width = form
        .fields
        .iter()
        .map(|f| f.label.chars().count())
        .max()
        .unwrap_or(0);
    let height = u16::try_from(form.fields.len() + 2).unwrap_or(u16::MAX);
    let rect = centered(area, area.width.saturating_sub(4).min(72), height);
    frame.render_widget(Clear, rect);
    let title = format!(" {} ", form.title);
    let block = framed(&title, theme);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let gap = if label_width > 0 { 2 } else { 0 };
    let field_x = label_width + gap;
    let field_width = usize::from(inner.width).saturating_sub(field_x).max(1);
    let lines: Vec<Line> = form
        .fields
        .iter()
        .map(|f| {
            let text = f.editor.text().replace('\n', " ");
            let shown = tail(&text, field_width);
            Line::from(vec![
                Span::styled(
                    format!("{:<label_width$}{}", f.label, " ".repeat(gap)),
                    theme.dim(),
                ),
                Span::raw(shown),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
    let editor = &form.fields[form.focused].editor;
    let before = &editor.text()[..editor.cursor()];
    let col = unicode_width::UnicodeWidthStr::width(before).min(field_width.saturating_sub(1));
    let x = inner.x
        + u16::try_from(field_x + col)
            .unwrap_or(0)
            .min(inner.width.saturating_sub(1));
    let y = inner.y + u16::try_from(form.focused).unwrap_or(0);
    frame.set_cursor_position((x, y));
}

/// The end of `text` that fits in `width` columns (a long path shows its
/// file name).
fn tail(text: &str, width: usize) -> String {
    let mut used = 0;
    let mut start = text.len();
    for (i, c) in text.char_indices().rev() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        start = i;
    }
    text[start..].to_owned()
}

/// A rendered template, wrapped to the popup.
fn draw_preview(frame: &mut Frame, area: Rect, preview: &TemplatePreview, theme: &Theme) {
    let width = area.width.saturating_sub(4).min(72);
    let inner_width = usize::from(width.saturating_sub(2)).max(1);
    let mut lines = Vec::new();
    if let Some(subject) = &preview.rendered.subject {
        lines.push(Line::from(Span::styled(
            super::text::truncate(&format!("Subject: {subject}"), inner_width),
            theme.title(),
        )));
    }
    lines.extend(
        super::wrap(&preview.rendered.body, inner_width)
            .into_iter()
            .map(Line::raw),
    );
    let room = usize::from(area.height.saturating_sub(2)).max(1);
    lines.truncate(room.saturating_sub(2));
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let title = format!(" {} (Enter edits, Esc cancels) ", preview.template.name);
    frame.render_widget(Paragraph::new(lines).block(framed(&title, theme)), rect);
}
