//! Backups of the running store and the epoch of a restored one.
//!
//! Invariants:
//! - A copy holds exactly the commits before one read transaction (redb's
//!   MVCC snapshot, [`Snapshot`]), each whole: nothing of a later commit,
//!   nothing half. The writer is never paused; while the snapshot lives,
//!   redb only keeps the pages later commits free instead of reusing them.
//! - The copy is a fresh redb file with every table of [`COPIED`], written
//!   in non-durable chunks and made durable by one last `Immediate` commit.
//!   A crash midway leaves a file its caller discards (it writes into a
//!   staging dir), never a store that looks complete.
//! - A store made from a backup gets a new epoch ([`renew_epoch`]): events
//!   after the backup are lost to it, and a client resuming with the old
//!   epoch must be told to resync rather than miss them silently.

use std::path::Path;

use redb::{
    Database, Durability, Key, ReadOnlyDatabase, ReadTransaction, ReadableDatabase, ReadableTable,
    TableDefinition, Value,
};

use super::tables::*;
use super::{meta_u64, Store, StoreError, SCHEMA_VERSION};
use commcenter::{Id, Timestamp};

/// Rows written per non-durable commit of a copy: bounds what one
/// transaction of the copy holds in memory.
const ROWS_PER_COMMIT: usize = 20_000;

/// The store as of one read transaction, held for as long as a backup takes.
pub struct Snapshot {
    txn: ReadTransaction,
    facts: StoreFacts,
}

/// What a store file says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreFacts {
    pub schema_version: u64,
    /// The last committed `seq`.
    pub seq: u64,
    pub epoch: String,
}

/// What a copy wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyStats {
    pub tables: usize,
    pub rows: u64,
}

impl Store {
    /// A snapshot of every commit so far. Cheap: opening a read transaction.
    pub async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let db = self.inner.db.clone();
        tokio::task::spawn_blocking(move || {
            let txn = db.get()?.begin_read().map_err(redb::Error::from)?;
            let facts = facts_of(&txn)?;
            Ok(Snapshot { txn, facts })
        })
        .await
        .map_err(|e| StoreError::Internal(format!("snapshot task failed: {e}")))?
    }
}

impl Snapshot {
    pub fn facts(&self) -> &StoreFacts {
        &self.facts
    }

    /// The blobs files use at the snapshot (as bytes or thumbnail), each
    /// once. Blocking: call it off the async runtime.
    pub fn blob_keys(&self) -> Result<Vec<String>, StoreError> {
        let table = self.txn.open_table(BLOB_FILE)?;
        let mut keys: Vec<String> = Vec::new();
        for row in table.iter()? {
            let (key, _) = row?;
            let (sha256, _file) = key.value();
            if keys.last().map(String::as_str) != Some(sha256) {
                keys.push(sha256.to_owned());
            }
        }
        Ok(keys)
    }

    /// Writes every table as of the snapshot into a new store file at
    /// `path`, which must not exist. Blocking: call it off the async runtime.
    pub fn copy_to(&self, path: &Path) -> Result<CopyStats, StoreError> {
        if path.exists() {
            return Err(StoreError::Internal(format!(
                "{} exists already",
                path.display()
            )));
        }
        let db = Database::create(path).map_err(redb::Error::from)?;
        let rows = copy_tables(&self.txn, &db)?;
        // The chunks were not durable; this makes all of them so.
        let mut last = db.begin_write()?;
        last.set_durability(Durability::Immediate)
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        last.commit()?;
        Ok(CopyStats {
            tables: COPIED_TABLES,
            rows,
        })
    }
}

/// How many tables [`copy_tables`] copies (checked against the store's own
/// list of tables by a test).
const COPIED_TABLES: usize = 41;

/// Every table of `tables.rs`, copied one after the other.
fn copy_tables(from: &ReadTransaction, to: &Database) -> Result<u64, StoreError> {
    let rows = [
        copy(from, to, META)?,
        copy(from, to, USER)?,
        copy(from, to, TOKEN)?,
        copy(from, to, TOKEN_HASH_TOKEN)?,
        copy(from, to, USER_TOKEN)?,
        copy(from, to, PROJECT)?,
        copy(from, to, CUSTOMER_PROJECT)?,
        copy(from, to, CREW_PROJECT)?,
        copy(from, to, CONVERSATION)?,
        copy(from, to, ACTIVITY_CONVERSATION)?,
        copy(from, to, CUSTOMER_CONVERSATION)?,
        copy(from, to, MESSAGE)?,
        copy(from, to, CONVERSATION_MESSAGE)?,
        copy(from, to, MESSAGE_RECEIPT)?,
        copy(from, to, CONVERSATION_READ_MARKER)?,
        copy(from, to, EVENT)?,
        copy(from, to, USER_IDEMPOTENCY)?,
        copy(from, to, WS_TICKET)?,
        copy(from, to, FILE)?,
        copy(from, to, BLOB_FILE)?,
        copy(from, to, FILE_MESSAGE)?,
        copy(from, to, SEARCH_POSTING)?,
        copy(from, to, SEARCH_TERM)?,
        copy(from, to, SEARCH_DOC)?,
        copy(from, to, SEARCH_CONVERSATION_DOC)?,
        copy(from, to, TEMPLATE)?,
        copy(from, to, TEMPLATE_NAME_TEMPLATE)?,
        copy(from, to, ANALYTICS_HOUR)?,
        copy(from, to, ANALYTICS_MESSAGE)?,
        copy(from, to, ANALYTICS_ACTIVE)?,
        copy(from, to, ANALYTICS_CUSTOMER)?,
        copy(from, to, ANALYTICS_TURN)?,
        copy(from, to, ANALYTICS_TURN_HOUR)?,
        copy(from, to, ANALYTICS_OPEN_TURN)?,
        copy(from, to, ANALYTICS_STATUS)?,
        copy(from, to, ANALYTICS_ASSIGNED_OPEN)?,
        copy(from, to, ANALYTICS_STAFF)?,
        copy(from, to, ANALYTICS_CONTACT)?,
        copy(from, to, OUTBOX)?,
        copy(from, to, PROVIDER_MESSAGE)?,
        copy(from, to, PORTAL_CODE)?,
    ];
    debug_assert_eq!(rows.len(), COPIED_TABLES);
    Ok(rows.iter().sum())
}

/// Copies one table in key order (the cheapest order to insert into a
/// B-tree), [`ROWS_PER_COMMIT`] rows per non-durable commit.
fn copy<K: Key + 'static, V: Value + 'static>(
    from: &ReadTransaction,
    to: &Database,
    table: TableDefinition<K, V>,
) -> Result<u64, StoreError> {
    let source = from.open_table(table)?;
    let mut rows = source.iter()?;
    let mut copied = 0u64;
    loop {
        let mut txn = to.begin_write()?;
        txn.set_durability(Durability::None)
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        let mut in_chunk = 0;
        {
            let mut target = txn.open_table(table)?;
            for row in rows.by_ref().take(ROWS_PER_COMMIT) {
                let (key, value) = row?;
                target.insert(key.value(), value.value())?;
                in_chunk += 1;
            }
        }
        txn.commit()?;
        copied += in_chunk as u64;
        if in_chunk < ROWS_PER_COMMIT {
            return Ok(copied);
        }
    }
}

fn facts_of(txn: &ReadTransaction) -> Result<StoreFacts, StoreError> {
    let meta = txn.open_table(META)?;
    let epoch = match meta.get("epoch")? {
        Some(v) => String::from_utf8_lossy(v.value()).into_owned(),
        None => return Err(StoreError::Corrupt("meta `epoch` is missing".into())),
    };
    Ok(StoreFacts {
        schema_version: meta_u64(&meta, "schema_version")?.unwrap_or(0),
        seq: meta_u64(&meta, "last_seq")?.unwrap_or(0),
        epoch,
    })
}

/// Gives the store file at `path`, which no daemon has open, a new epoch
/// (see the module's invariants) and answers it. Refuses a store written by
/// a newer build.
pub fn renew_epoch(path: &Path) -> Result<String, StoreError> {
    let db = Database::open(path).map_err(redb::Error::from)?;
    let txn = db.begin_write()?;
    {
        let mut meta = txn.open_table(META)?;
        let found = meta_u64(&meta, "schema_version")?.unwrap_or(0);
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let epoch = Id::generate(Timestamp::now().millis()).to_string();
        meta.insert("epoch", epoch.as_bytes())?;
    }
    txn.commit()?;
    let facts = facts_of(&db.begin_read()?)?;
    Ok(facts.epoch)
}

/// Why [`inspect`] could not read a store file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// Another process (a running daemon) has it open.
    #[error("another process has the store open")]
    Locked,
    /// It was not closed cleanly; opening it for writing repairs it.
    #[error("the store was not closed cleanly")]
    NeedsRepair,
    #[error("{0}")]
    Unreadable(String),
}

/// The facts of the store file at `path`, opened read-only (changing
/// nothing).
pub fn inspect(path: &Path) -> Result<StoreFacts, InspectError> {
    let db = ReadOnlyDatabase::open(path).map_err(|e| match e {
        redb::DatabaseError::DatabaseAlreadyOpen => InspectError::Locked,
        redb::DatabaseError::RepairAborted => InspectError::NeedsRepair,
        other => InspectError::Unreadable(other.to_string()),
    })?;
    let unreadable = |e: &dyn std::fmt::Display| InspectError::Unreadable(e.to_string());
    let txn = db.begin_read().map_err(|e| unreadable(&e))?;
    facts_of(&txn).map_err(|e| unreadable(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreOptions;

    async fn store_with_an_admin() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb"), &StoreOptions::default()).unwrap();
        store.write(|tx| tx.bootstrap_admin("cct_x")).await.unwrap();
        (dir, store)
    }

    /// Every table of the store file at `path`, by name, with its row count.
    fn tables_of(path: &Path) -> Vec<(String, u64)> {
        use redb::{ReadableTableMetadata, TableHandle};
        let db = ReadOnlyDatabase::open(path).unwrap();
        let txn = db.begin_read().unwrap();
        let mut tables: Vec<(String, u64)> = txn
            .list_tables()
            .unwrap()
            .map(|handle| {
                let name = handle.name().to_owned();
                (name, txn.open_untyped_table(handle).unwrap().len().unwrap())
            })
            .collect();
        tables.sort();
        tables
    }

    #[tokio::test]
    async fn a_copy_has_every_table_of_the_store_with_every_row() {
        let (dir, store) = store_with_an_admin().await;
        let snapshot = store.snapshot().await.unwrap();
        let copy = dir.path().join("copy.redb");
        let stats = snapshot.copy_to(&copy).unwrap();
        drop(snapshot);
        store.close().await;
        drop(store);
        let original = tables_of(&dir.path().join("s.redb"));
        assert_eq!(
            original.len(),
            COPIED_TABLES,
            "a table is missing from the copy list"
        );
        assert_eq!(tables_of(&copy), original);
        assert_eq!(
            stats.rows,
            original.iter().map(|(_, rows)| rows).sum::<u64>()
        );
    }

    /// Whether the test marker `after` is in a store's meta.
    async fn marked(store: &Store) -> bool {
        store
            .read(|v| Ok(v.meta.get("after")?.is_some()))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_copy_holds_nothing_committed_after_its_snapshot() {
        let (dir, store) = store_with_an_admin().await;
        let snapshot = store.snapshot().await.unwrap();
        let before = snapshot.facts().clone();
        store
            .write(|tx| tx.insert(|t| &mut t.meta, "after", b"x".as_slice()))
            .await
            .unwrap();
        assert!(marked(&store).await);
        let copy = dir.path().join("copy.redb");
        snapshot.copy_to(&copy).unwrap();
        drop(snapshot);
        let copied = Store::open(&copy, &StoreOptions::default()).unwrap();
        assert!(!marked(&copied).await);
        assert_eq!(copied.epoch(), before.epoch);
        assert_eq!(copied.last_seq(), before.seq);
        copied.close().await;
        store.close().await;
    }

    #[tokio::test]
    async fn a_renewed_epoch_differs_and_the_rest_stays() {
        let (dir, store) = store_with_an_admin().await;
        let (old, seq) = (store.epoch().to_owned(), store.last_seq());
        store.close().await;
        drop(store);
        let path = dir.path().join("s.redb");
        let new = renew_epoch(&path).unwrap();
        assert_ne!(new, old);
        let facts = inspect(&path).unwrap();
        assert_eq!((facts.epoch, facts.seq), (new, seq));
        assert_eq!(facts.schema_version, SCHEMA_VERSION);
    }
}
