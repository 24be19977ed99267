//! Printing: human-readable lines, or the API's own JSON with `--json`.

use std::io::{IsTerminal, Write};

use serde::Serialize;

pub struct Output {
    json: bool,
    colour: bool,
}

impl Output {
    pub fn new(json: bool) -> Output {
        let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Output {
            json,
            colour: colour_allowed(std::io::stdout().is_terminal(), no_colour),
        }
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
        let text = align(headers, &rows);
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
                writeln!(stdout, "{}", human(item))?;
            }
        }
        Ok(())
    }
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
/// is not padded, so lines carry no trailing spaces.
pub fn align(headers: &[&str], rows: &[Vec<String>]) -> String {
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
        for (i, cell) in row.iter().enumerate() {
            if i == last {
                out.push_str(cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                out.push_str(cell);
                out.push_str(&" ".repeat(pad + 2));
            }
        }
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
        let text = align(&["ID", "NAME", "ROLE"], &rows);
        assert_eq!(
            text,
            "ID  NAME        ROLE\n1   Priya Shah  agent\n22  Tom         crew\n"
        );
    }

    #[test]
    fn colour_needs_a_terminal_and_no_no_color() {
        assert!(colour_allowed(true, false));
        assert!(!colour_allowed(false, false));
        assert!(!colour_allowed(true, true));
    }
}
