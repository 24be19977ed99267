//! Phrase checks and snippets, read from the message's own text with the
//! same tokenizer as the index.

use std::ops::Range;

use super::parse::ParsedQuery;
use super::tokenize::tokenize;
use crate::records::MessageRecord;

/// Characters of context shown before the match: few, so that the match
/// stays in view where a client shows only the snippet's start.
const BEFORE: usize = 24;
/// The longest snippet, in characters (ellipses aside).
const LENGTH: usize = 160;

/// The searchable texts of a message: subject, body, attachment names.
fn texts<'m>(message: &'m MessageRecord, names: &'m [String]) -> Vec<&'m str> {
    let mut texts = vec![message.body.as_str()];
    texts.extend(message.subject.as_deref());
    texts.extend(names.iter().map(String::as_str));
    texts
}

/// Whether `phrase` occurs, word after word, in one of the message's texts.
pub fn has_phrase(message: &MessageRecord, names: &[String], phrase: &[String]) -> bool {
    texts(message, names).into_iter().any(|text| {
        let mut tokens = Vec::new();
        tokenize(text, |t, _| tokens.push(t.to_owned()));
        tokens.windows(phrase.len()).any(|w| w == phrase)
    })
}

/// About [`LENGTH`] characters around the first query word found (body
/// first, then subject, then attachment names); the start of the body when
/// the query has no words. Line breaks become spaces.
pub fn snippet(message: &MessageRecord, names: &[String], query: &ParsedQuery) -> String {
    let texts = texts(message, names);
    for text in &texts {
        if let Some(at) = first_match(text, query) {
            return cut(text, at);
        }
    }
    let first = texts
        .iter()
        .find(|t| !t.trim().is_empty())
        .copied()
        .unwrap_or("");
    cut(first, 0..0)
}

fn first_match(text: &str, query: &ParsedQuery) -> Option<Range<usize>> {
    let mut found = None;
    tokenize(text, |token, span| {
        let hit = query.words.iter().any(|w| w == token)
            || query.phrases.iter().flatten().any(|w| w == token)
            || query
                .prefix
                .as_deref()
                .is_some_and(|p| token.starts_with(p));
        if hit && found.is_none() {
            found = Some(span);
        }
    });
    found
}

/// The text around `at`, cut on character boundaries, `…` where cut.
fn cut(text: &str, at: Range<usize>) -> String {
    let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    let index_of = |byte: usize| starts.partition_point(|&s| s < byte);
    let first = index_of(at.start).saturating_sub(BEFORE);
    let last = (first + LENGTH).min(starts.len());
    let start = starts.get(first).copied().unwrap_or(text.len());
    let end = starts.get(last).copied().unwrap_or(text.len());
    let mut out = String::new();
    if first > 0 {
        out.push('…');
    }
    out.extend(
        text[start..end]
            .chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c }),
    );
    if end < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn a_short_text_is_whole() {
        assert_eq!(cut("crew\narrives", 0..4), "crew arrives");
    }

    #[test]
    fn a_long_text_is_cut_around_the_match() {
        let text = format!("{} needle {}", "é".repeat(300), "z".repeat(300));
        let at = text.find("needle").unwrap();
        let s = cut(&text, at..at + 6);
        assert!(s.starts_with('…') && s.ends_with('…'));
        assert!(s.contains("needle"));
        assert_eq!(s.chars().count(), 160 + 2);
    }
}
