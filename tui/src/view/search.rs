//! Search: the query line and one row per hit, with the query's words
//! picked out in the snippet.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table};
use ratatui::Frame;

use super::list::channel_icon;
use super::text::truncate;
use crate::state::App;
use crate::theme::Theme;

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let [input, results] =
        Layout::vertical([Constraint::Length(3), Constraint::Min(1)]).areas(area);
    let search = &app.search;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focused_border())
        .title(" Search messages (words, \"phrases\") ");
    let inner = block.inner(input);
    let query = search.editor.text().replace('\n', " ");
    frame.render_widget(Paragraph::new(query.clone()).block(block), input);
    let cursor =
        unicode_width::UnicodeWidthStr::width(&query[..search.editor.cursor().min(query.len())]);
    let x = inner.x
        + u16::try_from(cursor)
            .unwrap_or(0)
            .min(inner.width.saturating_sub(1));
    frame.set_cursor_position((x, inner.y));
    if search.hits.is_empty() {
        let text = if search.editor.is_blank() {
            "  Type to search every conversation."
        } else if search.waiting() {
            "  Searching…"
        } else {
            "  No messages match."
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim()), results);
        return;
    }
    draw_hits(frame, results, app, theme);
}

fn draw_hits(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let search = &app.search;
    let rows = usize::from(area.height).max(1);
    let mut offset = search.offset.get();
    if search.selected < offset {
        offset = search.selected;
    } else if search.selected >= offset + rows {
        offset = search.selected + 1 - rows;
    }
    search.offset.set(offset);
    let words = query_words(search.editor.text());
    let end = (offset + rows).min(search.hits.len());
    let body: Vec<Row> = search.hits[offset..end]
        .iter()
        .enumerate()
        .map(|(i, hit)| {
            let m = &hit.message;
            let row = Row::new(vec![
                Line::from(Span::styled(app.clock().short(m.created_at), theme.dim())),
                Line::from(truncate(&app.user_name(m.customer_id), 16)),
                Line::from(Span::styled(channel_icon(m.channel), theme.dim())),
                highlight(&hit.snippet, &words, theme),
            ]);
            if offset + i == search.selected {
                row.style(theme.selected())
            } else {
                row
            }
        })
        .collect();
    let widths = [
        Constraint::Length(6),
        Constraint::Length(16),
        Constraint::Length(4),
        Constraint::Fill(1),
    ];
    frame.render_widget(Table::new(body, widths), area);
}

fn query_words(query: &str) -> Vec<String> {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 1)
        .map(str::to_lowercase)
        .collect()
}

/// The snippet with every word that starts with a query word in the key
/// style (the daemon matches by prefix too).
fn highlight<'a>(snippet: &'a str, words: &[String], theme: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    for (i, word) in snippet.split(' ').enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        let bare: String = word
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        if words.iter().any(|w| bare.starts_with(w.as_str())) {
            spans.push(Span::styled(word, theme.key()));
        } else {
            spans.push(Span::raw(word));
        }
    }
    Line::from(spans)
}
