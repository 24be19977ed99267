//! Where matching docs come from: posting lists read backwards, a prefix's
//! completions, a few conversations' documents, or every document.

use super::index;
use super::parse::ParsedQuery;
use super::postings::Posting;
use super::DocRecord;
use std::collections::HashMap;

use crate::records::ConversationRecord;
use crate::tx::ReadMode;
use crate::{StoreError, View};
use commcenter::Id;

/// A prefix stands for at most this many of its completions (the most
/// frequent), among the first [`MAX_PREFIX_SCAN`] in alphabetical order.
const MAX_EXPANSIONS: usize = 64;
const MAX_PREFIX_SCAN: usize = 4_096;

type PostingTable = <ReadMode as crate::tx::Mode>::Table<(&'static str, u64), &'static [u8]>;

/// One token's postings, read backwards from a doc number.
pub(super) struct TermCursor<'v> {
    table: &'v PostingTable,
    token: String,
    df: u64,
    block: Vec<Posting>,
    /// The block holds every posting of the token in `first..=valid_to`.
    first: u64,
    valid_to: u64,
    loaded: bool,
}

impl<'v> TermCursor<'v> {
    fn new(table: &'v PostingTable, token: String, df: u64) -> Self {
        TermCursor {
            table,
            token,
            df,
            block: Vec::new(),
            first: 0,
            valid_to: 0,
            loaded: false,
        }
    }

    /// The newest posting at or before `target`.
    fn seek(&mut self, target: u64, steps: &mut usize) -> Result<Option<Posting>, StoreError> {
        if !(self.loaded && self.first <= target && target <= self.valid_to) {
            *steps += 1;
            let row = self
                .table
                .range((self.token.as_str(), 0)..=(self.token.as_str(), target))?
                .next_back()
                .transpose()?;
            let Some((key, value)) = row else {
                return Ok(None);
            };
            self.first = key.value().1;
            self.block = index::decode(self.first, value.value())?;
            self.valid_to = target;
            self.loaded = true;
        }
        let before = self.block.partition_point(|p| p.doc <= target);
        Ok(before.checked_sub(1).map(|i| self.block[i]))
    }
}

type ScopeTable = <ReadMode as crate::tx::Mode>::Table<(u128, u64), u16>;

/// One conversation's documents, read backwards from a doc number.
pub(super) struct ScopeCursor<'v> {
    table: &'v ScopeTable,
    conversation: u128,
}

impl ScopeCursor<'_> {
    fn seek(&self, target: u64, steps: &mut usize) -> Result<Option<Posting>, StoreError> {
        *steps += 1;
        let c = self.conversation;
        let row = self
            .table
            .range((c, 0)..=(c, target))?
            .next_back()
            .transpose()?;
        Ok(row.map(|(k, v)| Posting::from_packed(k.value().1, v.value())))
    }
}

/// Something that yields doc numbers downwards: a word, a prefix's
/// completions, the documents of a few conversations (the caller's or a
/// filter's), or every document (a search by filters alone).
pub(super) enum Source<'v> {
    Term(TermCursor<'v>),
    Prefix(Vec<TermCursor<'v>>),
    Scope(Vec<ScopeCursor<'v>>, u64),
    All,
}

/// A source's posting at a doc, and the document frequency of the token
/// that matched (for BM25; none for a source that is not a word).
pub(super) type Found = Option<(Posting, Option<u64>)>;

impl Source<'_> {
    pub(super) fn size(&self) -> u64 {
        match self {
            Source::Term(c) => c.df,
            Source::Prefix(cs) => cs.iter().map(|c| c.df).sum(),
            Source::Scope(_, size) => *size,
            Source::All => u64::MAX,
        }
    }

    pub(super) fn seek(
        &mut self,
        view: &View,
        target: u64,
        steps: &mut usize,
    ) -> Result<Found, StoreError> {
        match self {
            Source::Term(c) => Ok(c.seek(target, steps)?.map(|p| (p, Some(c.df)))),
            Source::Prefix(cursors) => {
                let mut best: Found = None;
                for c in cursors.iter_mut() {
                    if let Some(p) = c.seek(target, steps)? {
                        if best.is_none_or(|(b, _)| p.doc > b.doc) {
                            best = Some((p, Some(c.df)));
                        }
                    }
                }
                Ok(best)
            }
            Source::Scope(cursors, _) => {
                let mut best: Found = None;
                for c in cursors.iter() {
                    if let Some(p) = c.seek(target, steps)? {
                        if best.is_none_or(|(b, _)| p.doc > b.doc) {
                            best = Some((p, None));
                        }
                    }
                }
                Ok(best)
            }
            Source::All => {
                *steps += 1;
                let row = view.search_doc.range(..=target)?.next_back().transpose()?;
                match row {
                    Some((k, v)) => {
                        let record = DocRecord::decode(k.value(), v.value())?;
                        Ok(Some((record.traits, None)))
                    }
                    None => Ok(None),
                }
            }
        }
    }
}

pub(super) fn sources<'v>(
    view: &'v View,
    parsed: &ParsedQuery,
    scope: Option<&HashMap<Id, ConversationRecord>>,
) -> Result<Vec<Source<'v>>, StoreError> {
    let mut sources = Vec::new();
    if let Some(scope) = scope {
        let cursors = scope
            .values()
            .map(|c| ScopeCursor {
                table: &view.search_conversation_doc,
                conversation: c.id.to_u128(),
            })
            .collect();
        let size = scope.values().map(|c| c.all.count).sum();
        sources.push(Source::Scope(cursors, size));
    }
    if parsed.is_empty() {
        sources.push(Source::All);
        return Ok(sources);
    }
    let table = &view.search_posting;
    let mut words: Vec<&String> = parsed.words.iter().collect();
    words.extend(parsed.phrases.iter().flatten());
    words.sort();
    words.dedup();
    for word in words {
        let df = view
            .search_term
            .get(word.as_str())?
            .map_or(0, |v| v.value());
        sources.push(Source::Term(TermCursor::new(table, word.clone(), df)));
    }
    if let Some(prefix) = &parsed.prefix {
        let cursors = completions(view, prefix)?
            .into_iter()
            .map(|(token, df)| TermCursor::new(table, token, df))
            .collect();
        sources.push(Source::Prefix(cursors));
    }
    Ok(sources)
}

/// The tokens that begin with `prefix` (the word itself first), at most
/// [`MAX_EXPANSIONS`]: the most frequent of the first [`MAX_PREFIX_SCAN`].
fn completions(view: &View, prefix: &str) -> Result<Vec<(String, u64)>, StoreError> {
    let mut found = Vec::new();
    for row in view.search_term.range(prefix..)?.take(MAX_PREFIX_SCAN) {
        let (k, v) = row?;
        let token = k.value();
        if !token.starts_with(prefix) {
            break;
        }
        found.push((token.to_owned(), v.value()));
    }
    let exact = found
        .iter()
        .position(|(t, _)| t == prefix)
        .map(|i| found.remove(i));
    found.sort_by_key(|f| std::cmp::Reverse(f.1));
    found.truncate(MAX_EXPANSIONS - usize::from(exact.is_some()));
    found.extend(exact);
    Ok(found)
}
