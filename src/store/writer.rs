//! The single writer thread and its group commit.
//!
//! Why one thread: redb allows one write transaction at a time, and an fsync
//! costs the same for one record as for a thousand. The writer takes every
//! job waiting when it wakes (up to `MAX_BATCH`), runs them in one
//! transaction, commits with `Durability::Immediate` (one fsync), then
//! publishes the batch's events and answers each job. Nobody is answered
//! before the commit, so an answer means durable.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use redb::{Database, Durability};
use tokio::sync::{broadcast, mpsc, oneshot};

use super::auth::AuthCache;
use super::events::StoredEvent;
use super::{StoreError, Tx};

/// The most jobs committed in one transaction; bounds the latency of the
/// first job of a large batch.
const MAX_BATCH: usize = 2_048;
/// Jobs that may wait for the writer before `Store::write` waits to submit.
const QUEUE_DEPTH: usize = 8_192;

/// Runs after commit with the commit's outcome; sends the job's answer.
type Completion = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;
/// Runs a job's writes; says whether the job failed after writing (a bug
/// that forces the whole batch to roll back).
type Work = Box<dyn FnOnce(&mut Tx<'_>) -> (Completion, bool) + Send>;

pub(super) enum Job {
    Write(Work),
    Stop(oneshot::Sender<()>),
}

impl Job {
    /// Wraps a caller's closure into a job and the receiver of its answer.
    pub(super) fn new<T, F>(f: F) -> (Job, oneshot::Receiver<Result<T, StoreError>>)
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer_tx, answer_rx) = oneshot::channel();
        let work: Work = Box::new(move |tx: &mut Tx<'_>| {
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
                let answer = match commit {
                    Ok(()) => outcome,
                    Err(e) => Err(StoreError::Internal(format!("commit failed: {e}"))),
                };
                let _ = answer_tx.send(answer);
            });
            (completion, failed_after_writing)
        });
        (Job::Write(work), answer_rx)
    }
}

pub(super) struct WriterParts {
    pub db: Arc<Database>,
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
    while let Some(first) = jobs.blocking_recv() {
        let mut stop = None;
        collect(first, &mut batch, &mut stop);
        while batch.len() < MAX_BATCH && stop.is_none() {
            match jobs.try_recv() {
                Ok(job) => collect(job, &mut batch, &mut stop),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            commit_batch(&parts, std::mem::take(&mut batch));
        }
        if let Some(done) = stop {
            jobs.close();
            // Writes that raced the stop are refused: their senders see Closed.
            while let Ok(job) = jobs.try_recv() {
                drop(job);
            }
            let _ = done.send(());
            return;
        }
    }
}

fn collect(job: Job, batch: &mut Vec<Work>, stop: &mut Option<oneshot::Sender<()>>) {
    match job {
        Job::Write(work) => batch.push(work),
        Job::Stop(done) => *stop = Some(done),
    }
}

/// Runs a batch in one transaction and answers every job in it. When a job
/// panics or fails after writing, the transaction is rolled back, the jobs
/// already run in it are answered with an error (nothing of theirs was
/// kept), and the jobs not yet run go on in a fresh transaction.
fn commit_batch(parts: &WriterParts, batch: Vec<Work>) {
    let mut pending = batch;
    while !pending.is_empty() {
        let mut completions = Vec::with_capacity(pending.len());
        let mut rest = pending.into_iter();
        let outcome = run_batch(parts, &mut rest, &mut completions);
        pending = rest.collect();
        match outcome {
            Ok((events, auth_changes)) => publish(parts, events, auth_changes, completions),
            Err(e) => {
                tracing::error!(error = %e, jobs = completions.len(), "write batch rolled back");
                for complete in completions {
                    complete(Err(&e));
                }
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
    jobs: &mut impl Iterator<Item = Work>,
    completions: &mut Vec<Completion>,
) -> Result<Committed, StoreError> {
    let mut txn = parts.db.begin_write()?;
    txn.set_durability(Durability::Immediate)
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    let committed = {
        let mut tx = Tx::open(&txn, parts.last_seq.load(Ordering::Acquire))?;
        tx.last_id.set(parts.last_id.get());
        for work in jobs.by_ref() {
            let poisoned = match catch_unwind(AssertUnwindSafe(|| work(&mut tx))) {
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
    txn.commit()?;
    Ok(committed)
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
