//! Running a search: a leapfrog join of posting lists, walking doc numbers
//! from the newest down, with every filter and the caller's rights checked
//! on each match before it counts.
//!
//! Cost: the join visits about as many postings as the rarest source holds
//! in the date range, and reads a `search_doc` row only for a match that
//! its posting cannot settle (a customer's own documents, an id filter, a
//! status filter, a phrase). The work of one request is capped at
//! [`MAX_STEPS`]; a request that reaches the cap answers what it found with
//! a `next_cursor` that goes on from where it stopped, so the answer stays
//! correct, only shorter.

use super::parse::ParsedQuery;
use super::postings::{self, Posting};
use super::rank::{newest_page, relevance_page, Bm25, Cursor, Hit};
use super::rules::{find_message, Rules};
use super::snippet;
use super::sources::{sources, Source};
use crate::records::MessageRecord;
use crate::{StoreError, View};
use commcenter::access::Caller;
use commcenter::wire::{Page, SearchHit, SearchQuery, SearchSort};

/// The most join steps (posting seeks and record reads) of one request.
pub const MAX_STEPS: usize = 200_000;
/// `sort=relevance` ranks at most this many matches (the newest).
pub const MAX_RANKED: usize = 10_000;

pub(super) fn run(
    view: &View,
    caller: &Caller,
    query: &SearchQuery,
    parsed: &ParsedQuery,
    limit: usize,
    cursor: Option<&str>,
) -> Result<Page<SearchHit>, StoreError> {
    let after = cursor.map(Cursor::decode).transpose()?;
    let rules = Rules::new(view, caller, query, parsed)?;
    let mut sources = sources(view, parsed, rules.scope.as_ref())?;
    let (lower, mut upper) = doc_bounds(query);
    if let Some(below) = after.and_then(|c| c.below(query.sort)) {
        upper = upper.min(below);
    }
    if rules.impossible || sources.iter().any(|s| s.size() == 0) || upper <= lower {
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        });
    }
    let bm25 = Bm25::load(view)?;
    let want = match query.sort {
        SearchSort::Newest => limit + 1,
        SearchSort::Relevance => MAX_RANKED,
    };
    let (mut hits, stopped_at) = join(view, &rules, &mut sources, &bm25, lower, upper, want)?;
    let (page, next_cursor) = match query.sort {
        SearchSort::Newest => newest_page(hits, limit, stopped_at),
        SearchSort::Relevance => {
            hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.doc.cmp(&a.doc)));
            relevance_page(hits, after, limit)
        }
    };
    let items = page
        .iter()
        .map(|h| to_hit(view, h.doc, parsed))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    Ok(Page { items, next_cursor })
}

/// The leapfrog join: the rarest source proposes a doc, each other source
/// answers its own newest doc at or before it, and a disagreement moves the
/// proposal down to the smaller doc. Returns the matches, newest first, and
/// where the walk stopped early (at the step cap), if it did.
fn join(
    view: &View,
    rules: &Rules,
    sources: &mut [Source],
    bm25: &Bm25,
    lower: u64,
    upper: u64,
    want: usize,
) -> Result<(Vec<Hit>, Option<u64>), StoreError> {
    sources.sort_by_key(Source::size);
    let mut hits = Vec::new();
    let mut steps = 0;
    let mut target = upper - 1;
    'walk: while target >= lower && hits.len() < want {
        if steps >= MAX_STEPS {
            return Ok((hits, Some(target + 1)));
        }
        let mut found = Vec::with_capacity(sources.len());
        let Some((lead, df)) = sources[0].seek(view, target, &mut steps)? else {
            break;
        };
        if lead.doc < lower {
            break;
        }
        found.push((lead, df));
        for source in sources[1..].iter_mut() {
            match source.seek(view, lead.doc, &mut steps)? {
                None => break 'walk,
                Some((p, _)) if p.doc < lead.doc => {
                    target = p.doc;
                    continue 'walk;
                }
                Some(other) => found.push(other),
            }
        }
        if let Some(hit) = check(view, rules, &found, bm25, &mut steps)? {
            hits.push(hit);
        }
        match lead.doc.checked_sub(1) {
            Some(next) => target = next,
            None => break,
        }
    }
    Ok((hits, None))
}

/// A doc every source holds: does it pass, and what does it score?
fn check(
    view: &View,
    rules: &Rules,
    found: &[(Posting, Option<u64>)],
    bm25: &Bm25,
    steps: &mut usize,
) -> Result<Option<Hit>, StoreError> {
    let lead = found[0].0;
    if !rules.posting_passes(&lead) {
        return Ok(None);
    }
    if rules.confirm {
        *steps += 1;
        let Some(record) = view.doc_record(lead.doc)? else {
            return Ok(None);
        };
        if !rules.record_passes(view, &record)? {
            return Ok(None);
        }
    }
    Ok(Some(Hit {
        doc: lead.doc,
        score: bm25.score(found),
    }))
}

/// `since`/`until` as doc numbers: `lower..upper`.
fn doc_bounds(query: &SearchQuery) -> (u64, u64) {
    let lower = query
        .since
        .map_or(0, |t| postings::doc_number(t.millis(), 0));
    let upper = query
        .until
        .map_or(u64::MAX, |t| postings::doc_number(t.millis(), 0));
    (lower, upper)
}

fn to_hit(view: &View, doc: u64, parsed: &ParsedQuery) -> Result<Option<SearchHit>, StoreError> {
    let Some(record) = view.doc_record(doc)? else {
        return Ok(None);
    };
    let Some(message) = find_message(view, record.message)? else {
        return Ok(None);
    };
    let names = attachment_names(view, &message)?;
    let snippet = snippet::snippet(&message, &names, parsed);
    Ok(Some(SearchHit {
        message: view.message_to_wire(&message)?,
        snippet,
    }))
}

pub(super) fn attachment_names(view: &View, m: &MessageRecord) -> Result<Vec<String>, StoreError> {
    let mut names = Vec::new();
    for id in &m.attachment_ids {
        if let Some(f) = view.find_file(*id)? {
            names.push(f.file.name);
        }
    }
    Ok(names)
}
