//! Message search: an inverted index kept in the store itself.
//!
//! Why in the store and not a separate engine: the index rows are written in
//! the transaction that writes the message, so a search never misses an
//! acknowledged message and a crash cannot leave the two apart; there is
//! nothing to catch up at start and nothing else to back up.
//!
//! Invariants:
//! - one [`tokenize`] cuts both the indexed text (subject, body, attachment
//!   names) and the query;
//! - every message has exactly one doc number, one `search_doc` row and one
//!   posting per distinct token, and the document frequencies in
//!   `search_term` count exactly those postings;
//! - who may see a hit is decided by [`commcenter::access`] on the hit's
//!   record while the query runs, before it counts towards the page, so a
//!   page is never short because of what the caller may not see.

mod index;
mod parse;
mod postings;
mod query;
mod rank;
mod rules;
mod snippet;
mod sources;
mod tokenize;

pub use index::Pending;
pub use parse::ParsedQuery;

use redb::ReadableTable;

use crate::records::{decode, MessageRecord};
use crate::tx::{Mode, Tables, Tx};
use crate::{StoreError, View};
use commcenter::access::Caller;
use commcenter::wire::{Page, SearchHit, SearchQuery};
use commcenter::Id;
use postings::Posting;

/// Meta keys: documents indexed and tokens in them (BM25's average length).
const SEARCH_DOCS: &str = "search_docs";
const SEARCH_TOKENS: &str = "search_tokens";
/// Meta key: the last message id indexed by [`backfill`]; "done" when the
/// store's messages predating the index are all in it.
const SEARCH_BACKFILL: &str = "search_backfill";

/// What a search reads about a document: its message and conversation
/// (whose record says whose it is), and its posting traits. 34 bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DocRecord {
    pub message: Id,
    pub conversation: Id,
    pub traits: Posting,
}

const DOC_RECORD_BYTES: usize = 34;

impl DocRecord {
    fn of(message: &MessageRecord, traits: Posting) -> DocRecord {
        DocRecord {
            message: message.id,
            conversation: message.conversation_id,
            traits,
        }
    }

    fn encode(&self) -> [u8; DOC_RECORD_BYTES] {
        let mut out = [0u8; DOC_RECORD_BYTES];
        out[..16].copy_from_slice(&self.message.to_u128().to_be_bytes());
        out[16..32].copy_from_slice(&self.conversation.to_u128().to_be_bytes());
        out[32] = self.traits.flags;
        out[33] = self.traits.norm;
        out
    }

    fn decode(doc: u64, bytes: &[u8]) -> Result<DocRecord, StoreError> {
        let bytes: &[u8; DOC_RECORD_BYTES] = bytes
            .try_into()
            .map_err(|_| StoreError::Corrupt(format!("search doc {doc} is damaged")))?;
        let id = |at: usize| {
            let mut raw = [0u8; 16];
            raw.copy_from_slice(&bytes[at..at + 16]);
            Id::from_u128(u128::from_be_bytes(raw))
        };
        Ok(DocRecord {
            message: id(0),
            conversation: id(16),
            traits: Posting {
                doc,
                flags: bytes[32],
                norm: bytes[33],
            },
        })
    }
}

impl<M: Mode> Tables<M> {
    fn doc_record(&self, doc: u64) -> Result<Option<DocRecord>, StoreError> {
        match self.search_doc.get(doc)? {
            Some(v) => Ok(Some(DocRecord::decode(doc, v.value())?)),
            None => Ok(None),
        }
    }
}

/// The size of the search index, for benchmarks and operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSize {
    /// Documents (messages) indexed.
    pub docs: u64,
    /// Bytes of the index's tables: stored data, page metadata and unused
    /// space inside their pages.
    pub bytes: u64,
    /// The same, table by table.
    pub tables: Vec<(&'static str, u64)>,
}

impl View {
    /// How big the search index is.
    pub fn search_index_size(&self) -> Result<IndexSize, StoreError> {
        use redb::ReadableTableMetadata;
        let mut tables = Vec::new();
        for (name, stats) in [
            ("search_posting", self.search_posting.stats()?),
            ("search_term", self.search_term.stats()?),
            ("search_doc", self.search_doc.stats()?),
            (
                "search_conversation_doc",
                self.search_conversation_doc.stats()?,
            ),
        ] {
            let bytes = stats.stored_bytes() + stats.metadata_bytes() + stats.fragmented_bytes();
            tables.push((name, bytes));
        }
        Ok(IndexSize {
            docs: crate::meta_u64(&self.meta, SEARCH_DOCS)?.unwrap_or(0),
            bytes: tables.iter().map(|(_, b)| b).sum(),
            tables,
        })
    }

    /// `GET /search/messages`: the messages `caller` may see that match.
    pub fn search_messages(
        &self,
        caller: &Caller,
        query: &SearchQuery,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<SearchHit>, StoreError> {
        let parsed = ParsedQuery::parse(query.q.as_deref().unwrap_or(""))?;
        query::run(self, caller, query, &parsed, limit, cursor)
    }
}

/// Indexes the messages a store holds from before it had a search index,
/// in transactions of [`BACKFILL_BATCH`] messages, resuming where a stopped
/// run left off. Runs at open, before the writer starts.
pub(crate) fn backfill(db: &redb::Database, last_seq: u64) -> Result<u64, StoreError> {
    let mut indexed = 0;
    loop {
        let txn = db.begin_write()?;
        let done = {
            let mut tx = Tx::open(&txn, last_seq)?;
            let after = match tx.meta.get(SEARCH_BACKFILL)? {
                Some(v) if v.value() == b"done" => None,
                Some(v) => Some(decode::<Id>(v.value())?.to_u128()),
                None => Some(0),
            };
            let Some(after) = after else {
                return Ok(indexed);
            };
            let batch = backfill_batch(&mut tx, after)?;
            indexed += batch.len() as u64;
            let marker = match batch.last() {
                Some(last) => crate::records::encode(last)?,
                None => b"done".to_vec(),
            };
            tx.insert(|t| &mut t.meta, SEARCH_BACKFILL, marker.as_slice())?;
            tx.flush_search()?;
            batch.is_empty()
        };
        txn.commit()?;
        if done {
            return Ok(indexed);
        }
    }
}

const BACKFILL_BATCH: usize = 5_000;

/// Indexes up to [`BACKFILL_BATCH`] messages after id `after`; their ids.
fn backfill_batch(tx: &mut Tx<'_>, after: u128) -> Result<Vec<Id>, StoreError> {
    let mut records = Vec::new();
    for row in tx.message.range(after + 1..)?.take(BACKFILL_BATCH) {
        let (_, v) = row?;
        records.push(decode::<MessageRecord>(v.value())?);
    }
    let mut ids = Vec::with_capacity(records.len());
    for message in &records {
        tx.index_message(message)?;
        ids.push(message.id);
    }
    Ok(ids)
}

impl crate::Store {
    /// Test support: removes the search index from the store file at
    /// `path` (which no daemon may have open), as a store written before
    /// search existed has none, so that tests can check the backfill.
    #[doc(hidden)]
    pub fn drop_search_index(path: &std::path::Path) -> Result<(), StoreError> {
        use crate::tables::{
            META, SEARCH_CONVERSATION_DOC, SEARCH_DOC, SEARCH_POSTING, SEARCH_TERM,
        };
        let db = redb::Database::open(path)?;
        let txn = db.begin_write()?;
        txn.delete_table(SEARCH_POSTING)?;
        txn.delete_table(SEARCH_TERM)?;
        txn.delete_table(SEARCH_DOC)?;
        txn.delete_table(SEARCH_CONVERSATION_DOC)?;
        {
            let mut meta = txn.open_table(META)?;
            for key in [SEARCH_DOCS, SEARCH_TOKENS, SEARCH_BACKFILL] {
                meta.remove(key)?;
            }
        }
        txn.commit()?;
        Ok(())
    }
}
