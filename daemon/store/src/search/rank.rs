//! Ordering and paging the matches: BM25 for `sort=relevance`, and the
//! cursors of both orders.

use super::postings::Posting;
use super::{SEARCH_DOCS, SEARCH_TOKENS};
use crate::{meta_u64, StoreError, View};
use commcenter::wire::SearchSort;

/// A match: its doc and BM25 score.
#[derive(Clone, Copy)]
pub(super) struct Hit {
    pub doc: u64,
    pub score: f32,
}

pub(super) fn newest_page(
    mut hits: Vec<Hit>,
    limit: usize,
    stopped_at: Option<u64>,
) -> (Vec<Hit>, Option<String>) {
    if hits.len() > limit {
        hits.truncate(limit);
        let below = hits.last().map_or(0, |h| h.doc);
        return (hits, Some(Cursor::Newest { below }.encode()));
    }
    let next = stopped_at.map(|below| Cursor::Newest { below }.encode());
    (hits, next)
}

pub(super) fn relevance_page(
    hits: Vec<Hit>,
    after: Option<Cursor>,
    limit: usize,
) -> (Vec<Hit>, Option<String>) {
    let start = match after {
        Some(Cursor::Relevance { score, doc }) => hits
            .iter()
            .position(|h| h.score < score || (h.score == score && h.doc < doc))
            .unwrap_or(hits.len()),
        _ => 0,
    };
    let page: Vec<Hit> = hits.iter().skip(start).take(limit).copied().collect();
    let next = (start + limit < hits.len())
        .then(|| page.last())
        .flatten()
        .map(|h| {
            Cursor::Relevance {
                score: h.score,
                doc: h.doc,
            }
            .encode()
        });
    (page, next)
}

/// Okapi BM25 (k1 = 1.2, b = 0.75) over the store's documents.
pub(super) struct Bm25 {
    docs: f32,
    average_length: f32,
}

impl Bm25 {
    pub(super) fn load(view: &View) -> Result<Bm25, StoreError> {
        let docs = meta_u64(&view.meta, SEARCH_DOCS)?.unwrap_or(0).max(1) as f32;
        let tokens = meta_u64(&view.meta, SEARCH_TOKENS)?.unwrap_or(0) as f32;
        Ok(Bm25 {
            docs,
            average_length: (tokens / docs).max(1.0),
        })
    }

    pub(super) fn score(&self, found: &[(Posting, Option<u64>)]) -> f32 {
        const K1: f32 = 1.2;
        const B: f32 = 0.75;
        found
            .iter()
            .filter_map(|(p, df)| Some((p, (*df)?)))
            .map(|(p, df)| {
                let df = df as f32;
                let idf = (1.0 + (self.docs - df + 0.5) / (df + 0.5)).ln();
                let tf = p.term_frequency() as f32;
                let norm = 1.0 - B + B * p.length() as f32 / self.average_length;
                idf * tf * (K1 + 1.0) / (tf + K1 * norm)
            })
            .sum()
    }
}

/// Where the next page starts: below a doc (newest first), or after a
/// (score, doc) in the ranking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Cursor {
    Newest { below: u64 },
    Relevance { score: f32, doc: u64 },
}

impl Cursor {
    /// The docs a page after this cursor may hold are below this one, in
    /// either order: a newest-first cursor bounds the walk, and a ranking
    /// cursor read by a newest-first search continues below its doc. (A
    /// newest-first cursor read by a ranking search ranks the docs below
    /// it.) So every cursor is readable whatever `sort` says.
    pub(super) fn below(&self, sort: SearchSort) -> Option<u64> {
        match (self, sort) {
            (Cursor::Newest { below }, _) => Some(*below),
            (Cursor::Relevance { doc, .. }, SearchSort::Newest) => Some(*doc),
            (Cursor::Relevance { .. }, SearchSort::Relevance) => None,
        }
    }

    fn encode(&self) -> String {
        match self {
            Cursor::Newest { below } => format!("n{below}"),
            Cursor::Relevance { score, doc } => format!("r{}.{doc}", score.to_bits()),
        }
    }

    /// A cursor of either order (see [`Cursor::below`]).
    pub(super) fn decode(text: &str) -> Result<Cursor, StoreError> {
        let bad = || StoreError::BadRequest {
            message: format!("`{text}` is not a cursor of this search"),
            field: Some("cursor"),
        };
        if let Some(below) = text.strip_prefix('n') {
            return Ok(Cursor::Newest {
                below: below.parse().map_err(|_| bad())?,
            });
        }
        let (score, doc) = text
            .strip_prefix('r')
            .and_then(|rest| rest.split_once('.'))
            .ok_or_else(bad)?;
        Ok(Cursor::Relevance {
            score: f32::from_bits(score.parse().map_err(|_| bad())?),
            doc: doc.parse().map_err(|_| bad())?,
        })
    }
}
