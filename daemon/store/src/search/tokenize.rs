//! The one tokenizer, used to index messages and to read queries, so that a
//! word is always cut and folded the same way on both sides.
//!
//! A token is a run of letters and digits, folded to lower case with its
//! accents removed (`Müller` → `muller`, `ÉTÉ` → `ete`). Everything else
//! separates tokens: `invoice_march.pdf` is `invoice`, `march`, `pdf`, and
//! `O'Brien` is `o`, `brien` (as it is typed in the query too). Tokens longer
//! than [`MAX_TOKEN_BYTES`] are cut there, on a character boundary.

use std::ops::Range;

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// The longest token kept, in bytes; longer runs (hashes, base64) are cut.
pub const MAX_TOKEN_BYTES: usize = 48;

/// Calls `each` with every token of `text` and the byte range it came from.
pub fn tokenize(text: &str, mut each: impl FnMut(&str, Range<usize>)) {
    let mut token = String::with_capacity(32);
    let mut start = 0;
    for (at, c) in text.char_indices() {
        if c.is_alphanumeric() {
            if token.is_empty() {
                start = at;
            }
            fold_into(c, &mut token);
        } else if !token.is_empty() && !is_combining_mark(c) {
            each(&token, start..at);
            token.clear();
        }
    }
    if !token.is_empty() {
        each(&token, start..text.len());
    }
}

/// Appends `c` folded: lower case, compatibility-decomposed, accents dropped.
fn fold_into(c: char, token: &mut String) {
    if c.is_ascii() {
        push_capped(token, c.to_ascii_lowercase());
        return;
    }
    decompose_compatible(c, |part| {
        if !is_combining_mark(part) {
            for lower in part.to_lowercase() {
                push_capped(token, lower);
            }
        }
    });
}

fn push_capped(token: &mut String, c: char) {
    if token.len() + c.len_utf8() <= MAX_TOKEN_BYTES {
        token.push(c);
    }
}

#[cfg(test)]
mod tests {
    fn tokens(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        super::tokenize(text, |t, _| out.push(t.to_owned()));
        out
    }

    #[test]
    fn case_and_accents_fold_away() {
        assert_eq!(
            tokens("Müller ÉTÉ naïve Straße"),
            ["muller", "ete", "naive", "straße"]
        );
        assert_eq!(tokens("ＦＵＬＬ width"), ["full", "width"]);
    }

    #[test]
    fn punctuation_separates_words() {
        assert_eq!(
            tokens("invoice_march.pdf, O'Brien's #42!"),
            ["invoice", "march", "pdf", "o", "brien", "s", "42"]
        );
        assert!(tokens("?!… --- \"\"").is_empty());
    }

    #[test]
    fn a_decomposed_accent_does_not_split_a_word() {
        assert_eq!(tokens("Mu\u{0308}ller"), ["muller"]);
    }

    #[test]
    fn long_runs_are_cut() {
        let long = "a".repeat(100);
        assert_eq!(tokens(&long)[0].len(), super::MAX_TOKEN_BYTES);
        let wide = "é".repeat(100);
        assert!(tokens(&wide)[0].len() <= super::MAX_TOKEN_BYTES);
    }
}
