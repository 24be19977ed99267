//! The open database and whether it can be written.
//!
//! After an I/O error (a full disk), redb refuses every later operation
//! until the database is closed and reopened. So the database sits in a
//! [`DbSlot`] that the writer can empty and refill while readers go on
//! cloning its `Arc`; [`WriteHealth`] tells handlers and `/readyz` whether
//! writes work, and why not.
//!
//! Invariants: only the writer thread empties or refills the slot, and it
//! refills it only with a database whose last commit it has re-read (its
//! `seq` and token cache), so nothing stale is served after a reopen.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use redb::Database;

use super::StoreError;

/// The open database, or nothing while the writer reopens it.
pub(super) struct DbSlot(RwLock<Option<Arc<Database>>>);

impl DbSlot {
    pub(super) fn new(db: Database) -> DbSlot {
        DbSlot(RwLock::new(Some(Arc::new(db))))
    }

    /// The database, for one transaction.
    pub(super) fn get(&self) -> Result<Arc<Database>, StoreError> {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| {
                StoreError::Unavailable("the store is being reopened after a storage error".into())
            })
    }

    /// Empties the slot; readers get 503 until [`DbSlot::put`].
    pub(super) fn take(&self) -> Option<Arc<Database>> {
        self.0.write().unwrap_or_else(|p| p.into_inner()).take()
    }

    pub(super) fn put(&self, db: Arc<Database>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some(db);
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
