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
            tx.wrote = false;
            let outcome = f(tx);
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

/// Runs one batch in one transaction and answers every job in it.
fn commit_batch(parts: &WriterParts, batch: Vec<Work>) {
    let mut completions = Vec::with_capacity(batch.len());
    let outcome = run_batch(parts, batch, &mut completions);
    match outcome {
        Ok((events, auth_changes)) => {
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
        Err(e) => {
            tracing::error!(error = %e, jobs = completions.len(), "write batch rolled back");
            for complete in completions {
                complete(Err(&e));
            }
        }
    }
}

type Committed = (Vec<Arc<StoredEvent>>, Vec<super::auth::AuthChange>);

fn run_batch(
    parts: &WriterParts,
    batch: Vec<Work>,
    completions: &mut Vec<Completion>,
) -> Result<Committed, StoreError> {
    let mut txn = parts.db.begin_write()?;
    txn.set_durability(Durability::Immediate)
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    let committed = {
        let mut tx = Tx::open(&txn, parts.last_seq.load(Ordering::Acquire))?;
        let mut poisoned = None;
        for work in batch {
            match catch_unwind(AssertUnwindSafe(|| work(&mut tx))) {
                Ok((complete, failed_after_writing)) => {
                    completions.push(complete);
                    if failed_after_writing {
                        poisoned = Some("a write failed after changing the store");
                    }
                }
                Err(_) => poisoned = Some("a write panicked"),
            }
            if poisoned.is_some() {
                break;
            }
        }
        if let Some(reason) = poisoned {
            // The jobs not yet run are dropped; their callers see Closed.
            return Err(StoreError::Internal(reason.into()));
        }
        (
            std::mem::take(&mut tx.events),
            std::mem::take(&mut tx.auth_changes),
        )
    };
    txn.commit()?;
    Ok(committed)
}
