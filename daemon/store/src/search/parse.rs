//! Reading `q`.
//!
//! Every word must match. A `"quoted run"` of two or more words must match
//! as a phrase (its words in that order, next to each other); a quoted
//! single word matches exactly. The last word outside quotes also matches
//! as a prefix (`inv` finds "invoice"). An unbalanced quote is read as
//! punctuation, so `"crew arrives` is two plain words. A `q` with no words
//! at all (empty, or punctuation only) searches by the filters alone.

use super::tokenize::tokenize;
use crate::StoreError;
use commcenter::wire::{MAX_QUERY_CHARS, MAX_QUERY_WORDS};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedQuery {
    /// Words that must occur exactly (quoted single words and every bare
    /// word but the last).
    pub words: Vec<String>,
    /// Runs of words that must occur in this order, adjacent.
    pub phrases: Vec<Vec<String>>,
    /// The last bare word: matches any word it begins (itself included).
    pub prefix: Option<String>,
}

impl ParsedQuery {
    pub fn parse(q: &str) -> Result<ParsedQuery, StoreError> {
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(bad_q(format!(
                "q must be at most {MAX_QUERY_CHARS} characters"
            )));
        }
        let mut parsed = ParsedQuery::default();
        let mut last_bare = None;
        let mut count = 0;
        for (quoted, segment) in segments(q) {
            let mut words = Vec::new();
            tokenize(segment, |t, _| words.push(t.to_owned()));
            count += words.len();
            if quoted && words.len() > 1 {
                parsed.phrases.push(words);
                last_bare = None;
            } else if !words.is_empty() {
                last_bare = (!quoted).then(|| parsed.words.len() + words.len() - 1);
                parsed.words.extend(words);
            }
        }
        if count > MAX_QUERY_WORDS {
            return Err(bad_q(format!(
                "q must have at most {MAX_QUERY_WORDS} words"
            )));
        }
        if let Some(at) = last_bare {
            parsed.prefix = Some(parsed.words.remove(at));
        }
        parsed.words.sort();
        parsed.words.dedup();
        Ok(parsed)
    }

    /// Whether `q` had no word: the search lists by filters alone.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.phrases.is_empty() && self.prefix.is_none()
    }
}

/// `q` cut at its quotes: (inside quotes?, text). A last quote without a
/// partner is dropped, so its text counts as outside.
fn segments(q: &str) -> Vec<(bool, &str)> {
    let quotes = q.matches('"').count();
    let balanced_end = if quotes % 2 == 1 {
        q.rfind('"').unwrap_or(q.len())
    } else {
        q.len()
    };
    let mut out = Vec::new();
    let mut inside = false;
    let mut start = 0;
    for (at, c) in q.char_indices() {
        if c == '"' {
            out.push((inside, &q[start..at]));
            start = at + 1;
            if at != balanced_end {
                inside = !inside;
            }
        }
    }
    out.push((inside, &q[start..]));
    out
}

fn bad_q(message: String) -> StoreError {
    StoreError::BadRequest {
        message,
        field: Some("q"),
    }
}

#[cfg(test)]
mod tests {
    use super::ParsedQuery;

    fn parse(q: &str) -> ParsedQuery {
        ParsedQuery::parse(q).unwrap()
    }

    #[test]
    fn bare_words_are_required_and_the_last_is_a_prefix() {
        let p = parse("Invoice  MÜLLER mar");
        assert_eq!(p.words, ["invoice", "muller"]);
        assert_eq!(p.prefix.as_deref(), Some("mar"));
        assert!(p.phrases.is_empty());
    }

    #[test]
    fn quoted_runs_are_phrases_and_a_quoted_word_is_exact() {
        let p = parse(r#""crew arrives" tomorrow "gate""#);
        assert_eq!(p.phrases, [vec!["crew".to_owned(), "arrives".to_owned()]]);
        assert_eq!(p.words, ["gate", "tomorrow"]);
        assert_eq!(p.prefix, None, "the query ends with a quoted word");
    }

    #[test]
    fn an_unbalanced_quote_is_punctuation() {
        let p = parse(r#"crew "arrives tomorrow"#);
        assert!(p.phrases.is_empty());
        assert_eq!(p.words, ["arrives", "crew"]);
        assert_eq!(p.prefix.as_deref(), Some("tomorrow"));
        let p = parse(r#""a b" "c"#);
        assert_eq!(p.phrases.len(), 1);
        assert_eq!(p.prefix.as_deref(), Some("c"));
    }

    #[test]
    fn punctuation_only_is_empty() {
        assert!(parse(r#"?! "" -- ."#).is_empty());
        assert!(parse("").is_empty());
    }

    #[test]
    fn long_queries_are_refused_naming_q() {
        let many = "word ".repeat(33);
        let error = ParsedQuery::parse(&many).unwrap_err();
        assert!(matches!(
            error,
            crate::StoreError::BadRequest {
                field: Some("q"),
                ..
            }
        ));
        assert!(ParsedQuery::parse(&"x".repeat(1001)).is_err());
        assert!(ParsedQuery::parse(&"word ".repeat(32)).is_ok());
    }
}
