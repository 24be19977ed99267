//! The start-up sweep of blobs no file uses.
//!
//! Cleanup after a failed upload runs on the failure path itself
//! ([`Files::discard`]), so a crash or an aborted task in between can leave
//! a blob that no `blob_file` row names. Such a blob is never read again;
//! the sweep deletes them once per start.

use commcenter_files::storage::StoredBlob;
use commcenter_store::Store;

use super::Files;

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub blobs: usize,
    /// Bytes of the deleted blobs.
    pub bytes: u64,
}

impl Files {
    /// Deletes every stored blob that no file uses.
    ///
    /// Runs before the daemon accepts requests, so no upload is in flight
    /// and none holds a blob that is stored but not yet recorded; the check
    /// against the store and the deletion therefore cannot race one. (The
    /// deletion is still taken through the leases, which costs nothing.)
    /// Never fails: a storage or store error is logged and the start goes
    /// on, since the worst a missed sweep leaves is unused bytes.
    pub async fn sweep_unused_blobs(&self, store: &Store) -> Swept {
        if !self.healthy().await {
            tracing::warn!("skipping the sweep of unused blobs: file storage is not healthy");
            return Swept::default();
        }
        let unused = match self.unused_blobs(store).await {
            Ok(unused) => unused,
            Err(error) => {
                tracing::warn!(%error, "could not sweep unused blobs");
                return Swept::default();
            }
        };
        let swept = self.delete_all(unused).await;
        tracing::info!(
            blobs = swept.blobs,
            bytes = swept.bytes,
            "swept unused blobs"
        );
        swept
    }

    /// The stored blobs that no file uses, checked in one read transaction.
    async fn unused_blobs(&self, store: &Store) -> anyhow::Result<Vec<StoredBlob>> {
        let stored = self.blobs().list().await?;
        let unused = store
            .read(move |view| {
                let mut unused = Vec::new();
                for blob in stored {
                    if !view.blob_in_use(blob.key.as_str())? {
                        unused.push(blob);
                    }
                }
                Ok(unused)
            })
            .await?;
        Ok(unused)
    }

    async fn delete_all(&self, unused: Vec<StoredBlob>) -> Swept {
        let mut swept = Swept::default();
        for blob in unused {
            let Some(_deletion) = self.inner.leases.begin_deletion(&blob.key) else {
                continue;
            };
            match self.blobs().delete(&blob.key).await {
                Ok(()) => {
                    swept.blobs += 1;
                    swept.bytes += blob.size;
                }
                Err(error) => {
                    let error = self.note_failure("delete", error);
                    tracing::warn!(%error, blob = %blob.key, "could not delete an unused blob")
                }
            }
        }
        swept
    }
}
