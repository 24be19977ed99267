//! The open database and whether it can be written.
//!
//! After an I/O error (a full disk), redb refuses every later operation
//! until the database is closed and reopened. So the database sits in a
//! [`DbSlot`] that the writer can empty and refill while readers go on
//! cloning its `Arc` (a read that comes during the reopen waits for it);
//! [`WriteHealth`] tells handlers and `/readyz` whether writes work, and
//! why not.
//!
//! Invariants: only the writer thread empties or refills the slot, and it
//! refills it only with a database whose last commit it has re-read (its
//! `seq` and token cache), so nothing stale is served after a reopen. While
//! the disk is full the slot may hold a read-only view ([`super::view`]);
//! the writer never writes through it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use redb::Database;

use super::StoreError;

/// The open database, or why there is none.
pub(super) struct DbSlot {
    state: Mutex<Slot>,
    changed: Condvar,
}

enum Slot {
    Open(Arc<Database>),
    /// The writer is reopening it: readers wait (up to [`READ_WAIT`]).
    Reopening,
    /// Neither the file nor a read-only view of it opens: readers get 503.
    Down,
}

/// How long a read waits for a reopen before it gets 503; a reopen takes
/// milliseconds unless the file needs a long repair.
const READ_WAIT: Duration = Duration::from_secs(2);

impl DbSlot {
    pub(super) fn new(db: Database) -> DbSlot {
        DbSlot {
            state: Mutex::new(Slot::Open(Arc::new(db))),
            changed: Condvar::new(),
        }
    }

    /// The database, for one transaction; waits while it is being reopened.
    pub(super) fn get(&self) -> Result<Arc<Database>, StoreError> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (state, _) = self
            .changed
            .wait_timeout_while(state, READ_WAIT, |s| matches!(s, Slot::Reopening))
            .unwrap_or_else(|p| p.into_inner());
        match &*state {
            Slot::Open(db) => Ok(db.clone()),
            Slot::Reopening => Err(StoreError::Unavailable(
                "the store is being reopened after a storage error".into(),
            )),
            Slot::Down => Err(StoreError::Unavailable(
                "the store cannot be opened after a storage error".into(),
            )),
        }
    }

    /// Empties the slot for a reopen; readers wait until [`DbSlot::put`] or
    /// [`DbSlot::down`].
    pub(super) fn take(&self) -> Option<Arc<Database>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match std::mem::replace(&mut *state, Slot::Reopening) {
            Slot::Open(db) => Some(db),
            Slot::Reopening | Slot::Down => None,
        }
    }

    pub(super) fn put(&self, db: Arc<Database>) {
        self.set(Slot::Open(db));
    }

    /// Says that the reopen failed, so readers stop waiting for it.
    pub(super) fn down(&self) {
        self.set(Slot::Down);
    }

    fn set(&self, slot: Slot) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = slot;
        self.changed.notify_all();
    }
}

/// Whether the writer can commit, and the cause when it cannot.
#[derive(Default)]
pub struct WriteHealth {
    failing: AtomicBool,
    cause: Mutex<String>,
}

impl WriteHealth {
    /// `Err(cause)` while writes are refused.
    pub fn check(&self) -> Result<(), String> {
        if self.failing.load(Ordering::Acquire) {
            Err(self.cause.lock().unwrap_or_else(|p| p.into_inner()).clone())
        } else {
            Ok(())
        }
    }

    pub(super) fn is_failing(&self) -> bool {
        self.failing.load(Ordering::Acquire)
    }

    /// Marks writes as failing for `cause`; logs only on the transition, so
    /// a full disk is not filled further by its own error log.
    pub(super) fn fail(&self, cause: &StoreError) {
        let cause = match cause {
            StoreError::Unavailable(why) => why.clone(),
            other => other.to_string(),
        };
        *self.cause.lock().unwrap_or_else(|p| p.into_inner()) = cause.clone();
        if !self.failing.swap(true, Ordering::AcqRel) {
            tracing::error!(
                error = %cause,
                "the store cannot write; writes are refused with 503 until it recovers"
            );
        }
    }

    pub(super) fn recovered(&self) {
        self.failing.store(false, Ordering::Release);
    }

    /// The error a write refused now gets.
    pub(super) fn refusal(&self) -> StoreError {
        let cause = self.cause.lock().unwrap_or_else(|p| p.into_inner()).clone();
        StoreError::Unavailable(format!("the store cannot write ({cause})"))
    }
}
