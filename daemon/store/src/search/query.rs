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

use std::collections::HashSet;

use super::parse::ParsedQuery;
use super::postings::{self, owner_hash, Posting};
use super::snippet;
use super::{DocRecord, SEARCH_DOCS, SEARCH_TOKENS};
use crate::records::{decode, ConversationRecord, MessageRecord};
use crate::tx::ReadMode;
use crate::{meta_u64, StoreError, View};
use commcenter::access::{self, Caller};
use commcenter::wire::{ConversationKind, Page, Role, SearchHit, SearchQuery, SearchSort};
use commcenter::Id;

/// The most join steps (posting seeks and record reads) of one request.
pub const MAX_STEPS: usize = 200_000;
/// `sort=relevance` ranks at most this many matches (the newest).
pub const MAX_RANKED: usize = 10_000;
/// A prefix stands for at most this many of its completions (the most
/// frequent), among the first [`MAX_PREFIX_SCAN`] in alphabetical order.
const MAX_EXPANSIONS: usize = 64;
const MAX_PREFIX_SCAN: usize = 4_096;

type PostingTable = <ReadMode as crate::tx::Mode>::Table<(&'static str, u64), &'static [u8]>;

/// One token's postings, read backwards from a doc number.
struct TermCursor<'v> {
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
            self.block = super::index::decode(self.first, value.value())?;
            self.valid_to = target;
            self.loaded = true;
        }
        let before = self.block.partition_point(|p| p.doc <= target);
        Ok(before.checked_sub(1).map(|i| self.block[i]))
    }
}

type ScopeTable = <ReadMode as crate::tx::Mode>::Table<(u128, u64), u16>;

/// One conversation's documents, read backwards from a doc number.
struct ScopeCursor<'v> {
    table: &'v ScopeTable,
    conversation: u128,
    owner: u16,
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
        Ok(row.map(|(k, v)| Posting::from_packed(k.value().1, v.value(), self.owner)))
    }
}

/// Something that yields doc numbers downwards: a word, a prefix's
/// completions, the documents of a few conversations (the caller's or a
/// filter's), or every document (a search by filters alone).
enum Source<'v> {
    Term(TermCursor<'v>),
    Prefix(Vec<TermCursor<'v>>),
    Scope(Vec<ScopeCursor<'v>>, u64),
    All,
}

/// A source's posting at a doc, and the document frequency of the token
/// that matched (for BM25; none for a source that is not a word).
type Found = Option<(Posting, Option<u64>)>;

impl Source<'_> {
    fn size(&self) -> u64 {
        match self {
            Source::Term(c) => c.df,
            Source::Prefix(cs) => cs.iter().map(|c| c.df).sum(),
            Source::Scope(_, size) => *size,
            Source::All => u64::MAX,
        }
    }

    fn seek(&mut self, view: &View, target: u64, steps: &mut usize) -> Result<Found, StoreError> {
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

/// What a match must satisfy besides its words.
struct Rules<'q> {
    caller: Caller,
    query: &'q SearchQuery,
    /// Owner hashes a match may have (the caller's own or a filter's);
    /// `None`: any.
    owners: Option<HashSet<u16>>,
    /// Only project (crew) conversations, or only customer ones.
    project_conversation: Option<bool>,
    /// The matches need their record read (ids, rights, status, phrases).
    confirm: bool,
    phrases: Vec<Vec<String>>,
    crew_projects: HashSet<Id>,
    /// A filter names something that does not exist: nothing matches.
    impossible: bool,
    /// The only conversations a match can be in, when the caller or a
    /// filter confines the search to a few.
    scope: Option<Vec<ConversationRecord>>,
}

impl<'q> Rules<'q> {
    fn new(
        view: &View,
        caller: &Caller,
        query: &'q SearchQuery,
        parsed: &ParsedQuery,
    ) -> Result<Self, StoreError> {
        let mut rules = Rules {
            caller: *caller,
            query,
            owners: None,
            project_conversation: None,
            confirm: !parsed.phrases.is_empty() || query.status.is_some(),
            phrases: parsed.phrases.clone(),
            crew_projects: HashSet::new(),
            impossible: false,
            scope: None,
        };
        rules.narrow_to_caller(view)?;
        rules.narrow_to_filters(view)?;
        rules.scope = scope(view, caller, query)?;
        if rules.scope.as_ref().is_some_and(Vec::is_empty) {
            rules.impossible = true;
        }
        Ok(rules)
    }

    /// A customer or crew member's own documents, as hashes to skip the
    /// rest cheaply; the record confirms each match with `access`.
    fn narrow_to_caller(&mut self, view: &View) -> Result<(), StoreError> {
        if access::in_every_audience(&self.caller) {
            return Ok(());
        }
        self.confirm = true;
        match self.caller.role {
            Role::Customer => self.restrict([owner_hash(self.caller.user_id)]),
            Role::Crew => {
                let me = self.caller.user_id.to_u128();
                let mut customers = Vec::new();
                for row in view.crew_project.range((me, 0)..=(me, u128::MAX))? {
                    let project = Id::from_u128(row?.0.value().1);
                    if let Some(p) = view.find_project(project)? {
                        customers.push(owner_hash(p.customer_id));
                    }
                    self.crew_projects.insert(project);
                }
                self.restrict(customers);
            }
            _ => self.impossible = true,
        }
        Ok(())
    }

    fn narrow_to_filters(&mut self, view: &View) -> Result<(), StoreError> {
        let q = self.query;
        if let Some(customer) = q.customer_id {
            self.confirm = true;
            self.restrict([owner_hash(customer)]);
        }
        if let Some(project) = q.project_id {
            self.confirm = true;
            match view.find_project(project)? {
                Some(p) => self.restrict([owner_hash(p.customer_id)]),
                None => self.impossible = true,
            }
        }
        if let Some(conversation) = q.conversation_id {
            self.confirm = true;
            match view.find_conversation(conversation)? {
                Some(c) => {
                    self.restrict([owner_hash(c.customer_id)]);
                    self.only_project_conversations(c.kind == ConversationKind::Project);
                }
                None => self.impossible = true,
            }
        }
        Ok(())
    }

    fn restrict(&mut self, hashes: impl IntoIterator<Item = u16>) {
        let hashes: HashSet<u16> = hashes.into_iter().collect();
        self.owners = Some(match self.owners.take() {
            Some(had) => had.intersection(&hashes).copied().collect(),
            None => hashes,
        });
    }

    fn only_project_conversations(&mut self, project: bool) {
        if self.project_conversation.is_some_and(|p| p != project) {
            self.impossible = true;
        }
        self.project_conversation = Some(project);
    }

    /// What the posting alone can refuse.
    fn posting_passes(&self, p: &Posting) -> bool {
        let q = self.query;
        q.channel.is_none_or(|c| p.channel() == c)
            && q.direction.is_none_or(|d| p.direction() == d)
            && q.has_attachments.is_none_or(|a| p.has_attachments() == a)
            && (!p.private() || access::may_see_private_notes(&self.caller))
            && self
                .project_conversation
                .is_none_or(|pc| p.project_conversation() == pc)
            && self.owners.as_ref().is_none_or(|o| o.contains(&p.owner))
    }

    /// The rest, on the document's record (and message, when needed).
    fn record_passes(&self, view: &View, r: &DocRecord) -> Result<bool, StoreError> {
        let q = self.query;
        let ids_match = q.customer_id.is_none_or(|c| r.customer == c)
            && q.project_id.is_none_or(|p| r.project == Some(p))
            && q.conversation_id.is_none_or(|c| r.conversation == c);
        let crew = &self.crew_projects;
        if !ids_match || !r.audience().includes(&self.caller, |p| crew.contains(&p)) {
            return Ok(false);
        }
        if q.status.is_none() && self.phrases.is_empty() {
            return Ok(true);
        }
        let Some(message) = find_message(view, r.message)? else {
            return Ok(false);
        };
        if q.status.is_some_and(|s| message.status != s) {
            return Ok(false);
        }
        let names = attachment_names(view, &message)?;
        Ok(self
            .phrases
            .iter()
            .all(|phrase| snippet::has_phrase(&message, &names, phrase)))
    }
}

/// The conversations the caller (a customer or crew member) or a
/// `conversation_id`/`customer_id` filter confines the search to, if any:
/// a superset of where a match may be, which the join walks instead of the
/// whole index when it is the smaller source.
fn scope(
    view: &View,
    caller: &Caller,
    query: &SearchQuery,
) -> Result<Option<Vec<ConversationRecord>>, StoreError> {
    let mut sets: Vec<Vec<ConversationRecord>> = Vec::new();
    match caller.role {
        Role::Customer => {
            let mine = customer_conversations(view, caller.user_id)?;
            sets.push(
                mine.into_iter()
                    .filter(|c| c.kind == ConversationKind::Customer)
                    .collect(),
            );
        }
        Role::Crew => {
            let me = caller.user_id.to_u128();
            let mut channels = Vec::new();
            for row in view.crew_project.range((me, 0)..=(me, u128::MAX))? {
                let project = Id::from_u128(row?.0.value().1);
                if let Some(p) = view.find_project(project)? {
                    channels.extend(view.find_conversation(p.conversation_id)?);
                }
            }
            sets.push(channels);
        }
        _ => {}
    }
    if let Some(id) = query.conversation_id {
        sets.push(view.find_conversation(id)?.into_iter().collect());
    }
    if let Some(customer) = query.customer_id {
        sets.push(customer_conversations(view, customer)?);
    }
    let mut sets = sets.into_iter();
    let Some(first) = sets.next() else {
        return Ok(None);
    };
    Ok(Some(sets.fold(first, |kept, set| {
        kept.into_iter()
            .filter(|c| set.iter().any(|s| s.id == c.id))
            .collect()
    })))
}

fn customer_conversations(
    view: &View,
    customer: Id,
) -> Result<Vec<ConversationRecord>, StoreError> {
    let c = customer.to_u128();
    let mut found = Vec::new();
    for row in view.customer_conversation.range((c, 0)..=(c, u128::MAX))? {
        let id = Id::from_u128(row?.0.value().1);
        found.extend(view.find_conversation(id)?);
    }
    Ok(found)
}

fn find_message(view: &View, id: Id) -> Result<Option<MessageRecord>, StoreError> {
    match view.message.get(id.to_u128())? {
        Some(v) => Ok(Some(decode(v.value())?)),
        None => Ok(None),
    }
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

/// A match: its doc and BM25 score.
#[derive(Clone, Copy)]
struct Hit {
    doc: u64,
    score: f32,
}

pub(super) fn run(
    view: &View,
    caller: &Caller,
    query: &SearchQuery,
    parsed: &ParsedQuery,
    limit: usize,
    cursor: Option<&str>,
) -> Result<Page<SearchHit>, StoreError> {
    let after = cursor.map(|c| Cursor::decode(c, query.sort)).transpose()?;
    let rules = Rules::new(view, caller, query, parsed)?;
    let mut sources = sources(view, parsed, rules.scope.as_deref())?;
    let (lower, mut upper) = doc_bounds(query);
    if let Some(Cursor::Newest { below }) = after {
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

fn sources<'v>(
    view: &'v View,
    parsed: &ParsedQuery,
    scope: Option<&[ConversationRecord]>,
) -> Result<Vec<Source<'v>>, StoreError> {
    let mut sources = Vec::new();
    if let Some(scope) = scope {
        let cursors = scope
            .iter()
            .map(|c| ScopeCursor {
                table: &view.search_conversation_doc,
                conversation: c.id.to_u128(),
                owner: owner_hash(c.customer_id),
            })
            .collect();
        let size = scope.iter().map(|c| c.all.count).sum();
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

fn newest_page(
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

fn relevance_page(
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

/// Okapi BM25 (k1 = 1.2, b = 0.75) over the store's documents.
struct Bm25 {
    docs: f32,
    average_length: f32,
}

impl Bm25 {
    fn load(view: &View) -> Result<Bm25, StoreError> {
        let docs = meta_u64(&view.meta, SEARCH_DOCS)?.unwrap_or(0).max(1) as f32;
        let tokens = meta_u64(&view.meta, SEARCH_TOKENS)?.unwrap_or(0) as f32;
        Ok(Bm25 {
            docs,
            average_length: (tokens / docs).max(1.0),
        })
    }

    fn score(&self, found: &[(Posting, Option<u64>)]) -> f32 {
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
enum Cursor {
    Newest { below: u64 },
    Relevance { score: f32, doc: u64 },
}

impl Cursor {
    fn encode(&self) -> String {
        match self {
            Cursor::Newest { below } => format!("n{below}"),
            Cursor::Relevance { score, doc } => format!("r{}.{doc}", score.to_bits()),
        }
    }

    /// A cursor of a search sorted by `sort`.
    fn decode(text: &str, sort: SearchSort) -> Result<Cursor, StoreError> {
        let bad = || StoreError::BadRequest {
            message: format!("`{text}` is not a cursor of this search"),
            field: Some("cursor"),
        };
        if sort == SearchSort::Newest {
            let below = text.strip_prefix('n').ok_or_else(bad)?;
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
