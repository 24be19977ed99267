//! Text helpers for the view: wrapping by display width, sizes, times.

use chrono::{DateTime, Datelike, FixedOffset, Utc};
use commcenter::Timestamp;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `text` broken into lines of at most `width` columns, at spaces where it
/// can and inside a word where a word is longer than a line. Line breaks in
/// the text are kept; the result has at least one line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        wrap_paragraph(paragraph, width, &mut lines);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

fn wrap_paragraph(paragraph: &str, width: usize, lines: &mut Vec<String>) {
    let mut line = String::new();
    let mut used = 0;
    for word in paragraph.split(' ') {
        let w = word.width();
        let gap = usize::from(!line.is_empty());
        if used + gap + w <= width {
            if gap == 1 {
                line.push(' ');
            }
            line.push_str(word);
            used += gap + w;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        for c in word.chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > width {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += cw;
        }
    }
    lines.push(line);
}

/// `text` cut to `width` columns, with `…` when cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let cw = c.width().unwrap_or(0);
        if used + cw + 1 > width {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out
}

/// `1.2 MiB`, `340 KiB`, `12 B`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// Times in the staff member's zone (fixed at start).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub now: Timestamp,
    pub zone: FixedOffset,
}

impl Clock {
    fn local(&self, t: Timestamp) -> DateTime<FixedOffset> {
        DateTime::<Utc>::from_timestamp_millis(t.millis())
            .unwrap_or_default()
            .with_timezone(&self.zone)
    }

    /// `14:02` today, `Nov 26` before, `2025-11-26` in another year.
    pub fn short(&self, t: Timestamp) -> String {
        let (at, now) = (self.local(t), self.local(self.now));
        if at.date_naive() == now.date_naive() {
            at.format("%H:%M").to_string()
        } else if at.year() == now.year() {
            at.format("%b %d").to_string()
        } else {
            at.format("%Y-%m-%d").to_string()
        }
    }

    /// `14:02` today, `Nov 26 14:02` before.
    pub fn long(&self, t: Timestamp) -> String {
        let (at, now) = (self.local(t), self.local(self.now));
        if at.date_naive() == now.date_naive() {
            at.format("%H:%M").to_string()
        } else if at.year() == now.year() {
            at.format("%b %d %H:%M").to_string()
        } else {
            at.format("%Y-%m-%d %H:%M").to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_within_the_width() {
        assert_eq!(
            wrap("the boiler is leaking", 10),
            ["the boiler", "is leaking"]
        );
    }

    #[test]
    fn wrap_splits_a_word_longer_than_the_line() {
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
    }

    #[test]
    fn wrap_keeps_line_breaks() {
        assert_eq!(wrap("a\n\nb", 10), ["a", "", "b"]);
    }

    #[test]
    fn truncate_marks_the_cut() {
        assert_eq!(truncate("Aisha Khan", 6), "Aisha…");
        assert_eq!(truncate("Aisha", 6), "Aisha");
    }

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(size(12), "12 B");
        assert_eq!(size(1_258_291), "1.2 MiB");
        assert_eq!(size(348_160), "340 KiB");
    }
}
