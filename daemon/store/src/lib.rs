//! The embedded store: one redb file holding users, tokens, projects,
//! conversations, messages, receipts, the event log and idempotency answers.
//!
//! Reads run on a blocking thread in their own read transaction ([`Store::read`]).
//! Writes go to the single writer thread ([`Store::write`]), which commits
//! every write waiting at that moment in one transaction with one fsync
//! (group commit) and only then answers each: an `Ok` means durable.
//! Every state change writes its event, with the next global `seq`, in the
//! same transaction, and committed events are published on a broadcast
//! channel ([`Store::subscribe`]) in `seq` order.

mod analytics;
mod auth;
mod conversations;
mod error;
mod events;
mod files;
mod health;
mod idempotency;
mod inbound;
mod messages;
mod outbox;
mod portal;
mod projects;
mod realtime;
mod receipts;
mod records;
mod rendering;
#[cfg(test)]
mod rollback_tests;
mod search;
mod tables;
mod templates;
mod tx;
mod users;
mod view;
mod writer;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use redb::{Database, ReadableDatabase, ReadableTable};
use tokio::sync::{broadcast, mpsc};

pub use analytics::AnalyticsQuery;
pub use auth::AuthCache;
pub use error::StoreError;
pub use events::StoredEvent;
pub use files::{BlobRef, NewFile, StoredFile};
pub use health::WriteHealth;
pub use idempotency::{fingerprint, IdempotentAnswer, Replay, IDEMPOTENCY_WINDOW_MS};
pub use inbound::InboundMessage;
pub use messages::{ImportedMessage, MAX_ATTACHMENTS, MAX_BODY_CHARS, MAX_SUBJECT_CHARS};
pub use outbox::{DeliveryOutcome, OutboxAttachment, OutboxJob};
pub use search::IndexSize as SearchIndexSize;
pub use tx::{Tx, View};

/// The schema this build writes. A store with a higher version was written by
/// a newer build and is refused rather than misread.
pub const SCHEMA_VERSION: u64 = 1;

/// How many committed events a slow subscriber may fall behind before it is
/// told it lagged.
const EVENT_BROADCAST_CAPACITY: usize = 16_384;

/// A handle to the open store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: Arc<health::DbSlot>,
    health: Arc<WriteHealth>,
    jobs: mpsc::Sender<writer::Job>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    auth: Arc<AuthCache>,
    events: broadcast::Sender<Arc<StoredEvent>>,
    last_seq: Arc<AtomicU64>,
    epoch: String,
}

/// Settings of the store itself.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// redb's page cache, in bytes.
    pub cache_bytes: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            cache_bytes: 32 * 1024 * 1024,
        }
    }
}

impl Store {
    /// Opens (or creates) the store file at `path` and starts its writer thread.
    pub fn open(path: &Path, options: &StoreOptions) -> Result<Store, StoreError> {
        let db = open_database(path, options)?;
        let (epoch, last_seq) = tx::initialise(&db)?;
        let backfilled = search::backfill(&db, last_seq)?;
        if backfilled > 0 {
            tracing::info!(
                messages = backfilled,
                "indexed the store's messages for search"
            );
        }
        analytics::rebuild_if_stale(&db)?;
        let auth = Arc::new(AuthCache::load(&db)?);
        let db = Arc::new(health::DbSlot::new(db));
        let health = Arc::new(WriteHealth::default());
        let (events, _) = broadcast::channel(EVENT_BROADCAST_CAPACITY);
        let last_seq = Arc::new(AtomicU64::new(last_seq));
        let (jobs, thread) = writer::start(writer::WriterParts {
            db: db.clone(),
            path: path.to_owned(),
            options: options.clone(),
            health: health.clone(),
            auth: auth.clone(),
            events: events.clone(),
            last_seq: last_seq.clone(),
            last_id: std::cell::Cell::new(0),
        })?;
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                health,
                jobs,
                writer: Mutex::new(Some(thread)),
                auth,
                events,
                last_seq,
                epoch,
            }),
        })
    }

    /// Runs `f` in a read transaction on a blocking thread.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&View) -> Result<T, StoreError> + Send + 'static,
    {
        let db = self.inner.db.clone();
        tokio::task::spawn_blocking(move || {
            let db = db.get()?;
            let txn = db.begin_read().map_err(redb::Error::from)?;
            let view = View::open(&txn)?;
            f(&view)
        })
        .await
        .map_err(|e| StoreError::Internal(format!("read task failed: {e}")))?
    }

    /// Runs `f` in the writer's next transaction and waits until it is durable.
    ///
    /// `f` must validate before it writes: when it returns an error it must
    /// not have changed anything, because it shares the transaction with
    /// other callers' writes (see `writer`).
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (job, answer) = writer::Job::new(f);
        self.inner
            .jobs
            .send(job)
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// The authentication cache: token hash → caller, kept in step with the
    /// token table by the writer.
    pub fn auth(&self) -> &AuthCache {
        &self.inner.auth
    }

    /// Committed events, in `seq` order, from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoredEvent>> {
        self.inner.events.subscribe()
    }

    /// The highest committed `seq`.
    pub fn last_seq(&self) -> u64 {
        self.inner.last_seq.load(Ordering::Acquire)
    }

    /// The store's epoch: changes only when history is lost.
    pub fn epoch(&self) -> &str {
        &self.inner.epoch
    }

    /// `Err(cause)` while the store cannot write (a full disk); writes are
    /// then refused at once with [`StoreError::Unavailable`].
    pub fn write_health(&self) -> Result<(), String> {
        self.inner.health.check()
    }

    /// Whether the store answers a read.
    pub async fn ping(&self) -> bool {
        self.read(|v| v.meta_ok()).await.is_ok()
    }

    /// Lets the writer finish every write already submitted, then stops it.
    /// Later writes fail with [`StoreError::Closed`].
    pub async fn close(&self) {
        let (done, wait) = tokio::sync::oneshot::channel();
        if self.inner.jobs.send(writer::Job::Stop(done)).await.is_ok() {
            let _ = wait.await;
        }
        let thread = self.inner.writer.lock().ok().and_then(|mut t| t.take());
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

/// Opens (or creates) the redb file; also how the writer reopens it after
/// an I/O error.
fn open_database(path: &Path, options: &StoreOptions) -> Result<Database, StoreError> {
    Ok(Database::builder()
        .set_cache_size(options.cache_bytes)
        .create(path)
        .map_err(redb::Error::from)?)
}

/// Reads a `u64` meta value. They are stored as 8 big-endian bytes (a value
/// encoding, not a key order: it only has to stay the same).
fn meta_u64(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<u64>, StoreError> {
    let Some(value) = table.get(key)? else {
        return Ok(None);
    };
    let bytes: [u8; 8] = value
        .value()
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("meta `{key}` is not a u64")))?;
    Ok(Some(u64::from_be_bytes(bytes)))
}
