//! Leases on blobs, so that deleting an unused blob never races an upload
//! that is about to use it.
//!
//! Blobs are shared by every file with the same bytes, and an upload that
//! finds its blob already present writes nothing, so "this request wrote the
//! blob" does not mean "only this request uses it". The rule:
//! - an upload leases each blob before storing it and holds the lease until
//!   its file record is committed (or refused);
//! - a blob may be deleted only while nobody leases it and the store says no
//!   file uses it; during the deletion, new leases of that blob wait.
//!
//! A blob some lease holds is never deleted, so the worst a failure can leave
//! is an unused blob, never a file without its bytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use commcenter_files::BlobKey;
use tokio::sync::Notify;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// This many uploads hold the blob.
    Held(usize),
    /// The blob is being deleted; leases wait for the end.
    Deleting,
}

/// The leases of one daemon. Cheap to clone; clones share the leases.
#[derive(Debug, Clone, Default)]
pub struct BlobLeases {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Only blobs that are held or being deleted have an entry.
    states: Mutex<HashMap<BlobKey, State>>,
    /// Woken whenever a deletion ends.
    deletion_ended: Notify,
}

/// A held lease; released on drop.
#[derive(Debug)]
pub struct Lease {
    leases: BlobLeases,
    key: BlobKey,
}

/// The right to delete one blob, granted while nobody leases it; new leases
/// wait until it is dropped.
#[derive(Debug)]
pub struct Deletion {
    leases: BlobLeases,
    key: BlobKey,
}

impl BlobLeases {
    /// Leases `key`, first waiting for a deletion of it to end.
    pub async fn lease(&self, key: &BlobKey) -> Lease {
        loop {
            // Registered before looking, so that an end in between still wakes us.
            let ended = self.inner.deletion_ended.notified();
            if self.try_hold(key) {
                return Lease {
                    leases: self.clone(),
                    key: key.clone(),
                };
            }
            ended.await;
        }
    }

    /// Starts deleting `key` unless someone leases it (or deletes it already).
    pub fn begin_deletion(&self, key: &BlobKey) -> Option<Deletion> {
        let mut states = self.states();
        if states.contains_key(key) {
            return None;
        }
        states.insert(key.clone(), State::Deleting);
        Some(Deletion {
            leases: self.clone(),
            key: key.clone(),
        })
    }

    fn try_hold(&self, key: &BlobKey) -> bool {
        let mut states = self.states();
        match states.get_mut(key) {
            Some(State::Deleting) => false,
            Some(State::Held(count)) => {
                *count += 1;
                true
            }
            None => {
                states.insert(key.clone(), State::Held(1));
                true
            }
        }
    }

    fn release(&self, key: &BlobKey) {
        let mut states = self.states();
        if let Some(State::Held(count)) = states.get_mut(key) {
            *count -= 1;
            if *count == 0 {
                states.remove(key);
            }
        }
    }

    fn end_deletion(&self, key: &BlobKey) {
        self.states().remove(key);
        self.inner.deletion_ended.notify_waiters();
    }

    /// The map; a panic while it was held cannot leave it inconsistent (every
    /// critical section is a single insert, update or remove), so poisoning
    /// is ignored.
    fn states(&self) -> MutexGuard<'_, HashMap<BlobKey, State>> {
        self.inner
            .states
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Lease {
    pub fn key(&self) -> &BlobKey {
        &self.key
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.leases.release(&self.key);
    }
}

impl Drop for Deletion {
    fn drop(&mut self) {
        self.leases.end_deletion(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn key(byte: u8) -> BlobKey {
        BlobKey::of_bytes(&[byte])
    }

    #[tokio::test]
    async fn a_leased_blob_cannot_be_deleted() {
        let leases = BlobLeases::default();
        let lease = leases.lease(&key(1)).await;
        assert!(leases.begin_deletion(&key(1)).is_none());
        drop(lease);
        assert!(leases.begin_deletion(&key(1)).is_some());
    }

    #[tokio::test]
    async fn a_blob_stays_leased_until_every_lease_is_dropped() {
        let leases = BlobLeases::default();
        let first = leases.lease(&key(2)).await;
        let second = leases.lease(&key(2)).await;
        drop(first);
        assert!(leases.begin_deletion(&key(2)).is_none());
        drop(second);
        assert!(leases.begin_deletion(&key(2)).is_some());
    }

    #[tokio::test]
    async fn a_lease_waits_for_a_deletion_to_end() {
        let leases = BlobLeases::default();
        let deletion = leases.begin_deletion(&key(3)).expect("nobody holds it");
        let waiting = tokio::spawn({
            let leases = leases.clone();
            async move { leases.lease(&key(3)).await.key().clone() }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the lease waits");
        drop(deletion);
        let leased = tokio::time::timeout(Duration::from_secs(5), waiting).await;
        assert_eq!(leased.expect("woken").expect("task"), key(3));
    }
}
