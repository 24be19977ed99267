//! Printing: human-readable lines, or the API's own JSON with `--json`.

use std::io::{IsTerminal, Write};

use commcenter::Timestamp;
use serde::Serialize;

pub struct Output {
    json: bool,
    colour: bool,
    /// The terminal's width in columns; `None` when stdout is not a
    /// terminal (then nothing is cut).
    width: Option<usize>,
}

impl Output {
    pub fn new(json: bool) -> Output {
        let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let terminal = std::io::stdout().is_terminal();
        let width = terminal_size::terminal_size_of(std::io::stdout())
            .map(|(w, _)| usize::from(w.0))
            .filter(|_| terminal);
        Output {
            json,
            colour: colour_allowed(terminal, no_colour),
            width,
        }
    }

    /// One line of text on stdout, cut to the terminal's width.
    pub fn line(&self, text: &str) -> anyhow::Result<()> {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", fit(text, self.width))?;
        Ok(())
    }

    /// A value as one line of JSON (JSON Lines), flushed at once so that a
    /// reader sees it as it happens.
    pub fn json_line<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer(&mut stdout, value)?;
        writeln!(stdout)?;
        stdout.flush()?;
        Ok(())
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    /// A list: JSON Lines, or an aligned table with a header row (bold on a
    /// terminal).
    pub fn table<T: Serialize>(
        &self,
        items: &[T],
        headers: &[&str],
        row: impl Fn(&T) -> Vec<String>,
    ) -> anyhow::Result<()> {
        if self.json {
            return self.many(items, |_| String::new());
        }
        let rows: Vec<Vec<String>> = items.iter().map(row).collect();
        let text = align(headers, &rows, self.width);
        let mut stdout = std::io::stdout().lock();
        for (i, line) in text.lines().enumerate() {
            if i == 0 && self.colour {
                writeln!(stdout, "\x1b[1m{line}\x1b[0m")?;
            } else {
                writeln!(stdout, "{line}")?;
            }
        }
        Ok(())
    }

    /// One object: JSON, or `human` lines.
    pub fn one<T: Serialize>(
        &self,
        value: &T,
        human: impl FnOnce(&T) -> String,
    ) -> anyhow::Result<()> {
        let mut stdout = std::io::stdout().lock();
        if self.json {
            serde_json::to_writer_pretty(&mut stdout, value)?;
            writeln!(stdout)?;
        } else {
            writeln!(stdout, "{}", human(value))?;
        }
        Ok(())
    }

    /// A list: JSON Lines, or one human line per item.
    pub fn many<T: Serialize>(
        &self,
        items: &[T],
        human: impl Fn(&T) -> String,
    ) -> anyhow::Result<()> {
        let mut stdout = std::io::stdout().lock();
        for item in items {
            if self.json {
                serde_json::to_writer(&mut stdout, item)?;
                writeln!(stdout)?;
            } else {
                let text = human(item);
                for line in text.lines() {
                    writeln!(stdout, "{}", fit(line, self.width))?;
                }
            }
        }
        Ok(())
    }
}

/// `text` cut to `width` characters, ending in `…` when cut.
pub fn fit(text: &str, width: Option<usize>) -> String {
    match width {
        Some(width) if text.chars().count() > width => {
            let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
            cut.push('…');
            cut
        }
        _ => text.to_owned(),
    }
}

/// How long ago `then` was, as a person says it: "just now", "5 min ago",
/// "3 h ago", "yesterday", "4 days ago", then the date.
pub fn ago(then: Timestamp, now: Timestamp) -> String {
    let seconds = (now.millis() - then.millis()).max(0) / 1000;
    match seconds {
        0..60 => "just now".to_owned(),
        60..3_600 => format!("{} min ago", seconds / 60),
        3_600..86_400 => format!("{} h ago", seconds / 3_600),
        86_400..172_800 => "yesterday".to_owned(),
        172_800..604_800 => format!("{} days ago", seconds / 86_400),
        _ => then.to_string()[..10].to_owned(),
    }
}

/// A line of text with its line breaks as spaces (bodies in table cells).
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether an error is stdout closing under us (`commcenter … | head`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Colour only on a terminal, and never when `NO_COLOR` is set (no-color.org).
pub fn colour_allowed(terminal: bool, no_colour: bool) -> bool {
    terminal && !no_colour
}

/// Columns padded to their widest cell (counted in chars); the last column
/// is not padded, so lines carry no trailing spaces. With a `width`, lines
/// are cut to it (the last column, the free text, is what goes).
pub fn align(headers: &[&str], rows: &[Vec<String>], width: Option<usize>) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let last = row.len().saturating_sub(1);
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i == last {
                line.push_str(cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(&fit(&line, width));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned_to_the_widest_cell() {
        let rows = vec![
            vec!["1".to_owned(), "Priya Shah".to_owned(), "agent".to_owned()],
            vec!["22".to_owned(), "Tom".to_owned(), "crew".to_owned()],
        ];
        let text = align(&["ID", "NAME", "ROLE"], &rows, None);
        assert_eq!(
            text,
            "ID  NAME        ROLE\n1   Priya Shah  agent\n22  Tom         crew\n"
        );
    }

    #[test]
    fn on_a_narrow_terminal_lines_are_cut_with_an_ellipsis() {
        let rows = vec![vec![
            "1".to_owned(),
            "The boiler is leaking again".to_owned(),
        ]];
        let text = align(&["ID", "SUBJECT"], &rows, Some(12));
        assert_eq!(text, "ID  SUBJECT\n1   The boi…\n");
    }

    #[test]
    fn times_read_as_a_person_says_them() {
        let now = Timestamp::parse("2026-11-26T12:00:00Z").unwrap();
        let at = |rfc: &str| ago(Timestamp::parse(rfc).unwrap(), now);
        assert_eq!(at("2026-11-26T11:59:30Z"), "just now");
        assert_eq!(at("2026-11-26T11:55:00Z"), "5 min ago");
        assert_eq!(at("2026-11-26T09:00:00Z"), "3 h ago");
        assert_eq!(at("2026-11-25T09:00:00Z"), "yesterday");
        assert_eq!(at("2026-11-22T12:00:00Z"), "4 days ago");
        assert_eq!(at("2026-10-02T12:00:00Z"), "2026-10-02");
    }

    #[test]
    fn colour_needs_a_terminal_and_no_no_color() {
        assert!(colour_allowed(true, false));
        assert!(!colour_allowed(false, false));
        assert!(!colour_allowed(true, true));
    }
}
