//! The open tables of one transaction, for reading ([`View`]) or writing ([`Tx`]).

use std::borrow::Borrow;
use std::cell::Cell;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

use redb::{AccessGuard, Database, Key, ReadTransaction, ReadableTable, Value, WriteTransaction};

use super::auth::AuthChange;
use super::events::StoredEvent;
use super::tables::*;
use super::{meta_u64, StoreError, SCHEMA_VERSION};
use commcenter::access::Audience;
use commcenter::wire::EventData;
use commcenter::{Id, Timestamp};

/// Whether tables are opened read-only or for writing; the read methods on
/// [`Tables`] work for both.
pub trait Mode {
    type Table<K: Key + 'static, V: Value + 'static>: ReadableTable<K, V>;
}

pub struct ReadMode;
impl Mode for ReadMode {
    type Table<K: Key + 'static, V: Value + 'static> = redb::ReadOnlyTable<K, V>;
}

pub struct WriteMode<'t>(PhantomData<&'t ()>);
impl<'t> Mode for WriteMode<'t> {
    type Table<K: Key + 'static, V: Value + 'static> = redb::Table<'t, K, V>;
}

type Bytes = &'static [u8];
/// (delivered_at ms, read_at ms) of one recipient.
pub(super) type ReceiptTimes = (Option<i64>, Option<i64>);

/// Every table, open in one transaction.
pub struct Tables<M: Mode> {
    pub(super) meta: M::Table<&'static str, Bytes>,
    pub(super) user: M::Table<u128, Bytes>,
    pub(super) token: M::Table<u128, Bytes>,
    pub(super) token_hash_token: M::Table<Bytes, u128>,
    pub(super) user_token: M::Table<(u128, u128), ()>,
    pub(super) project: M::Table<u128, Bytes>,
    pub(super) customer_project: M::Table<(u128, u128), ()>,
    pub(super) crew_project: M::Table<(u128, u128), ()>,
    pub(super) conversation: M::Table<u128, Bytes>,
    pub(super) activity_conversation: M::Table<(i64, u128), ()>,
    pub(super) customer_conversation: M::Table<(u128, u128), ()>,
    pub(super) message: M::Table<u128, Bytes>,
    pub(super) conversation_message: M::Table<(u128, u64), u128>,
    pub(super) message_receipt: M::Table<(u128, u128), ReceiptTimes>,
    pub(super) conversation_read_marker: M::Table<(u128, u128), (u64, u64)>,
    pub(super) event: M::Table<u64, Bytes>,
    pub(super) user_idempotency: M::Table<(u128, &'static str), Bytes>,
    pub(super) ws_ticket: M::Table<Bytes, (u128, i64)>,
    pub(super) file: M::Table<u128, Bytes>,
    pub(super) blob_file: M::Table<(&'static str, u128), ()>,
    pub(super) file_message: M::Table<(u128, u128), ()>,
    pub(super) search_posting: M::Table<(&'static str, u64), Bytes>,
    pub(super) search_term: M::Table<&'static str, u64>,
    pub(super) search_doc: M::Table<u64, Bytes>,
    pub(super) search_conversation_doc: M::Table<(u128, u64), u16>,
    pub(super) template: M::Table<u128, Bytes>,
    pub(super) template_name_template: M::Table<&'static str, u128>,
    pub(super) analytics_hour: M::Table<(u128, i64), Bytes>,
    pub(super) analytics_message: M::Table<(i64, u128), (u128, u128, u8)>,
    pub(super) analytics_active: M::Table<(i64, u32), Bytes>,
    pub(super) analytics_customer: M::Table<u128, u32>,
    pub(super) analytics_staff: M::Table<u128, ()>,
    pub(super) analytics_turn: M::Table<(u128, i64, u128), TurnReply>,
    pub(super) analytics_turn_hour: M::Table<(u128, i64), Bytes>,
    pub(super) analytics_open_turn: M::Table<u128, (i64, u128)>,
    pub(super) analytics_status: M::Table<(u128, u8), u64>,
    pub(super) analytics_assigned_open: M::Table<u128, u64>,
    pub(super) analytics_contact: M::Table<u128, (i64, i64)>,
    pub(super) outbox: M::Table<u128, Bytes>,
    pub(super) provider_message: M::Table<&'static str, u128>,
    pub(super) portal_code: M::Table<Bytes, (u128, i64)>,
}

macro_rules! open_all {
    ($txn:expr) => {
        Tables {
            meta: $txn.open_table(META)?,
            user: $txn.open_table(USER)?,
            token: $txn.open_table(TOKEN)?,
            token_hash_token: $txn.open_table(TOKEN_HASH_TOKEN)?,
            user_token: $txn.open_table(USER_TOKEN)?,
            project: $txn.open_table(PROJECT)?,
            customer_project: $txn.open_table(CUSTOMER_PROJECT)?,
            crew_project: $txn.open_table(CREW_PROJECT)?,
            conversation: $txn.open_table(CONVERSATION)?,
            activity_conversation: $txn.open_table(ACTIVITY_CONVERSATION)?,
            customer_conversation: $txn.open_table(CUSTOMER_CONVERSATION)?,
            message: $txn.open_table(MESSAGE)?,
            conversation_message: $txn.open_table(CONVERSATION_MESSAGE)?,
            message_receipt: $txn.open_table(MESSAGE_RECEIPT)?,
            conversation_read_marker: $txn.open_table(CONVERSATION_READ_MARKER)?,
            event: $txn.open_table(EVENT)?,
            user_idempotency: $txn.open_table(USER_IDEMPOTENCY)?,
            ws_ticket: $txn.open_table(WS_TICKET)?,
            file: $txn.open_table(FILE)?,
            blob_file: $txn.open_table(BLOB_FILE)?,
            file_message: $txn.open_table(FILE_MESSAGE)?,
            search_posting: $txn.open_table(SEARCH_POSTING)?,
            search_term: $txn.open_table(SEARCH_TERM)?,
            search_doc: $txn.open_table(SEARCH_DOC)?,
            search_conversation_doc: $txn.open_table(SEARCH_CONVERSATION_DOC)?,
            template: $txn.open_table(TEMPLATE)?,
            template_name_template: $txn.open_table(TEMPLATE_NAME_TEMPLATE)?,
            analytics_hour: $txn.open_table(ANALYTICS_HOUR)?,
            analytics_message: $txn.open_table(ANALYTICS_MESSAGE)?,
            analytics_active: $txn.open_table(ANALYTICS_ACTIVE)?,
            analytics_customer: $txn.open_table(ANALYTICS_CUSTOMER)?,
            analytics_staff: $txn.open_table(ANALYTICS_STAFF)?,
            analytics_turn: $txn.open_table(ANALYTICS_TURN)?,
            analytics_turn_hour: $txn.open_table(ANALYTICS_TURN_HOUR)?,
            analytics_open_turn: $txn.open_table(ANALYTICS_OPEN_TURN)?,
            analytics_status: $txn.open_table(ANALYTICS_STATUS)?,
            analytics_assigned_open: $txn.open_table(ANALYTICS_ASSIGNED_OPEN)?,
            analytics_contact: $txn.open_table(ANALYTICS_CONTACT)?,
            outbox: $txn.open_table(OUTBOX)?,
            provider_message: $txn.open_table(PROVIDER_MESSAGE)?,
            portal_code: $txn.open_table(PORTAL_CODE)?,
        }
    };
}

impl Tables<ReadMode> {
    fn open_read(txn: &ReadTransaction) -> Result<Self, StoreError> {
        Ok(open_all!(txn))
    }
}

impl<'t> Tables<WriteMode<'t>> {
    fn open_write(txn: &'t WriteTransaction) -> Result<Self, StoreError> {
        Ok(open_all!(txn))
    }
}

/// A read-only snapshot of the store; its tables are read through `Deref`.
pub struct View {
    t: Tables<ReadMode>,
}

impl View {
    pub(super) fn open(txn: &ReadTransaction) -> Result<View, StoreError> {
        Ok(View {
            t: Tables::open_read(txn)?,
        })
    }

    pub(super) fn meta_ok(&self) -> Result<(), StoreError> {
        meta_u64(&self.meta, "schema_version").map(|_| ())
    }
}

impl std::ops::Deref for View {
    type Target = Tables<ReadMode>;
    fn deref(&self) -> &Self::Target {
        &self.t
    }
}

/// One write inside the writer's current transaction. Reads through it see
/// the writes of earlier jobs in the same batch.
///
/// Its tables are read through `Deref` and changed only through
/// [`Tx::insert`] and [`Tx::remove`], which set `wrote` before they touch a
/// table: a job cannot change the store without the writer knowing.
pub struct Tx<'t> {
    /// Private to this module, so that nothing reaches `&mut` tables
    /// without going through the helpers that set `wrote`.
    t: Tables<WriteMode<'t>>,
    /// The time of this batch; every record written in it carries it.
    pub(super) now: Timestamp,
    pub(super) last_seq: u64,
    pub(super) events: Vec<Arc<StoredEvent>>,
    pub(super) auth_changes: Vec<AuthChange>,
    /// Set by every insert or remove (before it is tried), to catch a job
    /// that fails after writing; the writer resets it before each job.
    pub(super) wrote: bool,
    /// The last id handed out; ids only grow, even within one millisecond
    /// (only the writer makes ids, so this is the whole order).
    pub(super) last_id: Cell<u128>,
    /// Search postings waiting for [`Tx::finish`].
    pub(super) search: super::search::Pending,
}

impl<'t> Tx<'t> {
    pub(super) fn open(txn: &'t WriteTransaction, last_seq: u64) -> Result<Tx<'t>, StoreError> {
        Ok(Tx {
            t: Tables::open_write(txn)?,
            now: Timestamp::now(),
            last_seq,
            events: Vec::new(),
            auth_changes: Vec::new(),
            wrote: false,
            last_id: Cell::new(0),
            search: Default::default(),
        })
    }

    /// The time this transaction stamps on what it writes.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// A new id for a record created in this transaction.
    pub fn new_id(&self) -> Id {
        let fresh = Id::generate(self.now.millis()).to_u128();
        let next = fresh.max(self.last_id.get().saturating_add(1));
        self.last_id.set(next);
        Id::from_u128(next)
    }

    /// Appends an event to the log with the next `seq`. The `seq` is taken
    /// only once the event is written, so a refused event leaves no gap.
    pub(super) fn emit(&mut self, audience: Audience, data: EventData) -> Result<u64, StoreError> {
        let seq = self.last_seq + 1;
        let event = StoredEvent::new(seq, self.now, audience, &data)?;
        let bytes = super::records::encode(&event)?;
        self.insert(|t| &mut t.event, seq, bytes.as_slice())?;
        self.last_seq = seq;
        self.events.push(Arc::new(event));
        Ok(seq)
    }
}

/// Picks one table out of a write transaction's tables: `|t| &mut t.user`.
pub(super) type Pick<'t, K, V> =
    for<'a> fn(&'a mut Tables<WriteMode<'t>>) -> &'a mut redb::Table<'t, K, V>;

impl<'t> Tx<'t> {
    /// Inserts or replaces a row of the table `pick` names. Marks the job as
    /// having written first, so that even a failed insert counts.
    pub(super) fn insert<'k, 'v, K: Key + 'static, V: Value + 'static>(
        &mut self,
        pick: Pick<'t, K, V>,
        key: impl Borrow<K::SelfType<'k>>,
        value: impl Borrow<V::SelfType<'v>>,
    ) -> Result<(), StoreError> {
        self.wrote = true;
        pick(&mut self.t).insert(key, value)?;
        Ok(())
    }

    /// Removes a row of the table `pick` names and answers its value, if
    /// there was one. Marks the job as having written first, like `insert`.
    pub(super) fn remove<'k, K: Key + 'static, V: Value + 'static>(
        &mut self,
        pick: Pick<'t, K, V>,
        key: impl Borrow<K::SelfType<'k>>,
    ) -> Result<Option<AccessGuard<'_, V>>, StoreError> {
        self.wrote = true;
        Ok(pick(&mut self.t).remove(key)?)
    }
}

impl Tx<'_> {
    /// Records the batch's last `seq` in meta, once per transaction, so that
    /// numbering continues after a restart even if the log is pruned empty.
    pub(super) fn finish(&mut self) -> Result<(), StoreError> {
        self.flush_search()?;
        if !self.events.is_empty() {
            let last_seq = self.last_seq.to_be_bytes();
            self.insert(|t| &mut t.meta, "last_seq", last_seq.as_slice())?;
        }
        Ok(())
    }
}

impl<'t> std::ops::Deref for Tx<'t> {
    type Target = Tables<WriteMode<'t>>;
    fn deref(&self) -> &Self::Target {
        &self.t
    }
}

/// Creates every table, checks the schema version and returns the epoch and
/// the last committed `seq`.
pub(super) fn initialise(db: &Database) -> Result<(String, u64), StoreError> {
    let txn = db.begin_write()?;
    let (epoch, last_seq) = {
        let mut t = Tables::open_write(&txn)?;
        match meta_u64(&t.meta, "schema_version")? {
            Some(found) if found > SCHEMA_VERSION => {
                return Err(StoreError::NewerSchema {
                    found,
                    supported: SCHEMA_VERSION,
                })
            }
            Some(_) => {}
            None => {
                t.meta
                    .insert("schema_version", SCHEMA_VERSION.to_be_bytes().as_slice())?;
                let epoch = Id::generate(Timestamp::now().millis()).to_string();
                t.meta.insert("epoch", epoch.as_bytes())?;
            }
        }
        let epoch = match t.meta.get("epoch")? {
            Some(v) => String::from_utf8_lossy(v.value()).into_owned(),
            None => return Err(StoreError::Corrupt("meta `epoch` is missing".into())),
        };
        (epoch, meta_u64(&t.meta, "last_seq")?.unwrap_or(0))
    };
    txn.commit()?;
    Ok((epoch, last_seq))
}

/// The last committed `seq`, read from a reopened database.
pub(super) fn read_last_seq(db: &Database) -> Result<u64, StoreError> {
    use redb::ReadableDatabase;
    let txn = db.begin_read()?;
    let meta = txn.open_table(META)?;
    Ok(meta_u64(&meta, "last_seq")?.unwrap_or(0))
}

impl super::Store {
    /// Test support: overwrites the schema version stored in the store file
    /// at `path`, which no daemon may have open, so that tests can check how
    /// a store written by another build is treated.
    #[doc(hidden)]
    pub fn overwrite_schema_version(path: &Path, version: u64) -> Result<(), StoreError> {
        let db = Database::open(path)?;
        let txn = db.begin_write()?;
        txn.open_table(META)?
            .insert("schema_version", version.to_be_bytes().as_slice())?;
        txn.commit()?;
        Ok(())
    }
}
