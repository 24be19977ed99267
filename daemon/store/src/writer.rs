//! The single writer thread and its group commit.
//!
//! Why one thread: redb allows one write transaction at a time, and an fsync
//! costs the same for one record as for a thousand. The writer takes every
//! job waiting when it wakes (up to `MAX_BATCH`), runs them in one
//! transaction, commits with `Durability::Immediate` (one fsync), then
//! publishes the batch's events and answers each job. Nobody is answered
//! before the commit, so an answer means durable. Each commit is counted in
//! [`WriteStats`] (batch size, commit time) for `/metrics`.
//!
//! Every job is answered, whatever happens: a batch that fails before
//! running any job answers all of its jobs with that failure instead of
//! trying them again, so the loop always makes progress.
//!
//! When the storage fails (a full disk), redb refuses everything until the
//! database is reopened. The writer then answers the batch and every later
//! job at once with 503 (`recover`), reopens the database so that reads go
//! on (as a read-only view held in memory if the reopen's repair cannot
//! write either), and resumes writing as soon as the disk takes a write
//! again, on the file reopened for real.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redb::{Database, Durability};
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::auth::AuthCache;
use super::events::StoredEvent;
use super::health::{DbSlot, WriteHealth};
use super::stats::WriteStats;
use super::{StoreError, StoreOptions, Tx};

/// The most jobs committed in one transaction; bounds the latency of the
/// first job of a large batch.
const MAX_BATCH: usize = 2_048;
/// Jobs that may wait for the writer before `Store::write` waits to submit.
const QUEUE_DEPTH: usize = 8_192;
/// While writes fail: how often waiting jobs are answered, how often a
/// recovery is tried, and how often the refusals are summed up in the log.
const REFUSE_EVERY: Duration = Duration::from_millis(20);
const RECOVER_EVERY: Duration = Duration::from_millis(500);
const LOG_EVERY: Duration = Duration::from_secs(30);
/// Bytes a recovery probe must be able to write and fsync next to the store
/// before writes are let through again.
const PROBE_BYTES: usize = 1 << 20;

/// Runs after commit with the commit's outcome; sends the job's answer.
type Completion = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;

/// A write waiting for the writer: run it in a transaction, or refuse it.
pub(super) trait Work: Send {
    /// Runs the job's writes; says whether the job failed after writing (a
    /// bug that forces the whole batch to roll back).
    fn run(self: Box<Self>, tx: &mut Tx<'_>) -> (Completion, bool);
    /// Answers the job with `error` without running it.
    fn refuse(self: Box<Self>, error: StoreError);
}

pub(super) enum Job {
    Write(Box<dyn Work>),
    Stop(oneshot::Sender<()>),
}

struct Typed<T, F> {
    f: F,
    answer: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Work for Typed<T, F>
where
    T: Send + 'static,
    F: FnOnce(&mut Tx<'_>) -> Result<T, StoreError> + Send + 'static,
{
    fn run(self: Box<Self>, tx: &mut Tx<'_>) -> (Completion, bool) {
        let Typed { f, answer } = *self;
        let wrote_before = tx.wrote;
        let batch_time = tx.now;
        tx.wrote = false;
        let outcome = f(tx);
        // A job may have moved the clock (imports of history); the next one
        // gets the batch's time again.
        tx.now = batch_time;
        let failed_after_writing = outcome.is_err() && tx.wrote;
        tx.wrote |= wrote_before;
        let completion: Completion = Box::new(move |commit| {
            let answer_now = match commit {
                Ok(()) => outcome,
                Err(e) => Err(e.for_each_job()),
            };
            let _ = answer.send(answer_now);
        });
        (completion, failed_after_writing)
    }

    fn refuse(self: Box<Self>, error: StoreError) {
        let _ = self.answer.send(Err(error));
    }
}

impl Job {
    /// Wraps a caller's closure into a job and the receiver of its answer.
    pub(super) fn new<T, F>(f: F) -> (Job, oneshot::Receiver<Result<T, StoreError>>)
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, answer_rx) = oneshot::channel();
        (Job::Write(Box::new(Typed { f, answer })), answer_rx)
    }
}

impl StoreError {
    /// What each job of a batch that failed as a whole is answered.
    fn for_each_job(&self) -> StoreError {
        match self {
            StoreError::Unavailable(why) => StoreError::Unavailable(why.clone()),
            other => StoreError::Internal(format!("commit failed: {other}")),
        }
    }
}

pub(super) struct WriterParts {
    pub db: Arc<DbSlot>,
    /// Where the store lives and how to open it, to reopen it after an I/O error.
    pub path: PathBuf,
    pub options: StoreOptions,
    pub health: Arc<WriteHealth>,
    pub stats: Arc<WriteStats>,
    pub auth: Arc<AuthCache>,
    pub events: broadcast::Sender<Arc<StoredEvent>>,
    pub last_seq: Arc<AtomicU64>,
    /// The last id made, carried from batch to batch (see `Tx::new_id`).
    pub last_id: std::cell::Cell<u128>,
}

pub(super) fn start(
    parts: WriterParts,
) -> Result<(mpsc::Sender<Job>, std::thread::JoinHandle<()>), StoreError> {
    let (jobs_tx, jobs_rx) = mpsc::channel(QUEUE_DEPTH);
    let thread = std::thread::Builder::new()
        .name("store-writer".into())
        .spawn(move || run(parts, jobs_rx))
        .map_err(|e| StoreError::Internal(format!("cannot start the writer: {e}")))?;
    Ok((jobs_tx, thread))
}

fn run(parts: WriterParts, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        if parts.health.is_failing() {
            if let Recovery::Stop(done) = recover(&parts, &mut jobs) {
                return stop(jobs, done);
            }
        }
        let Some(first) = jobs.blocking_recv() else {
            return;
        };
        let mut stop_request = None;
        collect(first, &mut batch, &mut stop_request);
        while batch.len() < MAX_BATCH && stop_request.is_none() {
            match jobs.try_recv() {
                Ok(job) => collect(job, &mut batch, &mut stop_request),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            commit_batch(&parts, std::mem::take(&mut batch));
        }
        if stop_request.is_some() {
            return stop(jobs, stop_request);
        }
    }
}

/// Refuses the writes that raced the stop (their senders see Closed) and
/// says the writer is done, to whoever asked (nobody, when every sender is
/// gone).
fn stop(mut jobs: mpsc::Receiver<Job>, done: Option<oneshot::Sender<()>>) {
    jobs.close();
    while let Ok(job) = jobs.try_recv() {
        drop(job);
    }
    if let Some(done) = done {
        let _ = done.send(());
    }
}

fn collect(job: Job, batch: &mut Vec<Box<dyn Work>>, stop: &mut Option<oneshot::Sender<()>>) {
    match job {
        Job::Write(work) => batch.push(work),
        Job::Stop(done) => *stop = Some(done),
    }
}

/// Runs a batch in one transaction and answers every job in it. When a job
/// panics or fails after writing, the transaction is rolled back, the jobs
/// already run in it are answered with an error (nothing of theirs was
/// kept), and the jobs not yet run go on in a fresh transaction. When the
/// storage fails, every job left is refused and the writer turns to
/// `recover`.
fn commit_batch(parts: &WriterParts, batch: Vec<Box<dyn Work>>) {
    let mut pending = batch;
    while !pending.is_empty() {
        let mut completions = Vec::with_capacity(pending.len());
        let mut rest = pending.into_iter();
        let outcome = run_batch(parts, &mut rest, &mut completions);
        pending = rest.collect();
        let e = match outcome {
            Ok((events, auth_changes)) => {
                publish(parts, events, auth_changes, completions);
                continue;
            }
            Err(e) => e,
        };
        let ran = completions.len();
        for complete in completions {
            complete(Err(&e));
        }
        if e.is_storage_failure() {
            parts.health.fail(&e);
        } else {
            tracing::error!(error = %e, jobs = ran, "write batch rolled back");
        }
        if e.is_storage_failure() || ran == 0 {
            for work in pending.drain(..) {
                work.refuse(e.for_each_job());
            }
        }
    }
}

/// After a commit: the token cache, the last seq, the events, the answers.
fn publish(
    parts: &WriterParts,
    events: Vec<Arc<StoredEvent>>,
    auth_changes: Vec<super::auth::AuthChange>,
    completions: Vec<Completion>,
) {
    parts.auth.apply(auth_changes);
    if let Some(last) = events.last() {
        parts.last_seq.store(last.seq, Ordering::Release);
    }
    for event in events {
        // No subscriber is fine: the event is in the log.
        let _ = parts.events.send(event);
    }
    for complete in completions {
        complete(Ok(()));
    }
}

type Committed = (Vec<Arc<StoredEvent>>, Vec<super::auth::AuthChange>);

/// Runs jobs from `jobs` in one transaction until they run out or one
/// poisons it, then commits (or, poisoned, rolls back).
fn run_batch(
    parts: &WriterParts,
    jobs: &mut impl Iterator<Item = Box<dyn Work>>,
    completions: &mut Vec<Completion>,
) -> Result<Committed, StoreError> {
    let db = parts.db.get()?;
    let mut txn = db.begin_write()?;
    txn.set_durability(Durability::Immediate)
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    let committed = {
        let mut tx = Tx::open(&txn, parts.last_seq.load(Ordering::Acquire))?;
        tx.last_id.set(parts.last_id.get());
        for work in jobs.by_ref() {
            let poisoned = match catch_unwind(AssertUnwindSafe(|| work.run(&mut tx))) {
                Ok((complete, failed_after_writing)) => {
                    completions.push(complete);
                    failed_after_writing.then_some("a write failed after changing the store")
                }
                Err(_) => Some("a write panicked"),
            };
            if let Some(reason) = poisoned {
                return Err(StoreError::Internal(reason.into()));
            }
        }
        tx.finish()?;
        parts.last_id.set(tx.last_id.get());
        (
            std::mem::take(&mut tx.events),
            std::mem::take(&mut tx.auth_changes),
        )
    };
    let started = Instant::now();
    txn.commit()?;
    parts.stats.committed(completions.len(), started.elapsed());
    Ok(committed)
}

/// How a spell of failing writes ended.
enum Recovery {
    /// The disk takes writes again.
    Writing,
    /// Shutdown came first (from `Store::close`, or every sender dropped).
    Stop(Option<oneshot::Sender<()>>),
}

/// While the storage fails: refuses every job at once with 503, reopens the
/// database (redb wants that after an I/O error) so that reads go on, and
/// returns when a probe write next to the store succeeds again.
fn recover(parts: &WriterParts, jobs: &mut mpsc::Receiver<Job>) -> Recovery {
    let started = Instant::now();
    let (mut refused, mut logged) = (0u64, Instant::now());
    let mut opened = Opened::Failed;
    let mut next_try = Instant::now();
    loop {
        loop {
            match jobs.try_recv() {
                Ok(Job::Write(work)) => {
                    work.refuse(parts.health.refusal());
                    refused += 1;
                }
                Ok(Job::Stop(done)) => return Recovery::Stop(Some(done)),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return Recovery::Stop(None),
            }
        }
        if Instant::now() >= next_try {
            next_try = Instant::now() + RECOVER_EVERY;
            match try_recover(parts, &mut opened) {
                Ok(()) => {
                    parts.health.recovered();
                    tracing::info!(
                        after_s = started.elapsed().as_secs(),
                        refused,
                        "the store writes again"
                    );
                    return Recovery::Writing;
                }
                Err(e) => parts.health.fail(&e),
            }
        }
        if logged.elapsed() >= LOG_EVERY {
            logged = Instant::now();
            let cause = parts.health.check().err().unwrap_or_default();
            tracing::warn!(%cause, refused, "the store still cannot write");
        }
        std::thread::sleep(REFUSE_EVERY);
    }
}

/// What the slot holds during a spell of failing writes.
#[derive(Clone, Copy, PartialEq)]
enum Opened {
    /// The failed database, or nothing.
    Failed,
    /// A read-only view of the file ([`super::view`]): reads go on.
    Viewing,
    /// The file, reopened for writing.
    Writable,
}

/// One recovery attempt: reopen the database (for real if the disk lets
/// the reopen write, else as a read-only view), then probe the disk. A view
/// is swapped for the real file only once the probe passes.
fn try_recover(parts: &WriterParts, opened: &mut Opened) -> Result<(), StoreError> {
    match *opened {
        Opened::Writable => return probe_disk(parts),
        Opened::Viewing => probe_disk(parts)?,
        Opened::Failed => {}
    }
    match reopen(parts, super::open_database) {
        Ok(()) => {
            *opened = Opened::Writable;
            probe_disk(parts)
        }
        Err(e) => {
            *opened = match reopen(parts, super::view::open) {
                Ok(()) => Opened::Viewing,
                Err(view) => {
                    tracing::warn!(error = %view, "not even a read-only view of the store opens");
                    parts.db.down();
                    Opened::Failed
                }
            };
            Err(e)
        }
    }
}

/// Closes the database in the slot and opens the file again with `open`,
/// re-reading the last committed `seq` and the tokens (the failed commit
/// may or may not have reached the disk).
fn reopen(
    parts: &WriterParts,
    open: fn(&std::path::Path, &StoreOptions) -> Result<Database, StoreError>,
) -> Result<(), StoreError> {
    if let Some(old) = parts.db.take() {
        wait_for_readers(old);
    }
    let db = open(&parts.path, &parts.options)?;
    let last_seq = super::tx::read_last_seq(&db)?;
    parts.auth.reload(&db)?;
    parts.last_seq.store(last_seq, Ordering::Release);
    parts.db.put(Arc::new(db));
    Ok(())
}

/// Drops the last handle of `db` once the reads holding it end (each read is
/// one short transaction), so that its file lock is released for the reopen.
fn wait_for_readers(mut db: Arc<Database>) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match Arc::try_unwrap(db) {
            Ok(db) => return drop(db),
            Err(shared) if Instant::now() < deadline => {
                db = shared;
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => {
                tracing::error!("reads still hold the failed store after 5 s");
                return;
            }
        }
    }
}

/// Whether the store's disk takes a write again: writes, fsyncs and removes
/// a scratch file beside the store.
fn probe_disk(parts: &WriterParts) -> Result<(), StoreError> {
    use std::io::Write;
    let probe = parts.path.with_extension("probe");
    let written = std::fs::File::create(&probe).and_then(|mut file| {
        file.write_all(&vec![0u8; PROBE_BYTES])?;
        file.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    written.map_err(|e| StoreError::Unavailable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::super::{Store, StoreOptions};

    fn open() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb"), &StoreOptions::default()).unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn a_panicking_write_fails_alone_and_the_writer_goes_on() {
        let (_dir, store) = open();
        let panicked = store
            .write(|_tx| -> Result<(), _> { panic!("bug in a write") })
            .await;
        assert!(panicked.is_err());
        let created = store.write(|tx| tx.bootstrap_admin("cct_x")).await.unwrap();
        assert!(created.is_some());
        store.close().await;
    }

    #[tokio::test]
    async fn concurrent_writes_are_all_committed_in_order() {
        let (_dir, store) = open();
        let mut handles = Vec::new();
        for n in 0..200 {
            let store = store.clone();
            handles.push(tokio::spawn(async move {
                store
                    .write(move |tx| tx.bootstrap_admin(&format!("cct_{n}")))
                    .await
            }));
        }
        let mut created = 0;
        for h in handles {
            created += usize::from(h.await.unwrap().unwrap().is_some());
        }
        // Only the first write finds the store empty: the writes saw each other.
        assert_eq!(created, 1);
        store.close().await;
    }

    #[tokio::test]
    async fn writes_after_close_are_refused() {
        let (_dir, store) = open();
        store.close().await;
        let refused = store.write(|tx| tx.bootstrap_admin("cct_late")).await;
        assert!(matches!(refused, Err(super::StoreError::Closed)));
    }
}
