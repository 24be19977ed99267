//! Files on the daemon's side: the blob store, the image workers and the
//! upload pipeline between a request body and its store record.
//!
//! An upload goes: body ([`upload`]) → temp file (hashed and type-checked while it
//! streams, `commcenter_files::ingest`) → image work (thumbnail, dimensions,
//! compression; on the image workers) → blobs stored under leases
//! ([`leases`]) → file record committed by the store → leases released.
//! Bytes are never held whole in memory, and every CPU-heavy or blocking
//! step runs off the async runtime's workers. A crash between storing a
//! blob and recording its file leaves an unused blob, which the next start
//! deletes ([`sweep`]).

mod leases;
mod prepare;
pub mod serve;
mod sweep;
pub mod upload;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use commcenter_files::images::{ImagePolicy, ImageWorkers};
use commcenter_files::storage::BlobStore;
use commcenter_files::{FileError, Limits};

pub use leases::{BlobLeases, Lease};
pub use prepare::Prepared;
pub use sweep::Swept;

use crate::metrics::FileStorageErrors;
use crate::settings::FilesSettings;

/// How long `/readyz` waits for the file storage to answer.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(3);

/// Everything the file routes need; cheap to clone.
#[derive(Clone)]
pub struct Files {
    inner: Arc<Inner>,
}

struct Inner {
    blobs: BlobStore,
    images: ImageWorkers,
    limits: Limits,
    tmp_dir: PathBuf,
    leases: BlobLeases,
    /// Failed blob store operations (`/metrics`).
    storage_errors: FileStorageErrors,
}

impl Files {
    /// Opens the configured blob store (not contacting object storage yet;
    /// `/readyz` does) and empties the upload temp dir of what a previous
    /// run may have left.
    pub async fn open(settings: &FilesSettings) -> anyhow::Result<Files> {
        let blobs = BlobStore::open(&settings.storage)
            .await
            .map_err(|e| anyhow::anyhow!("file storage: {e}"))?;
        reset_dir(&settings.upload_tmp_dir).await?;
        let policy = ImagePolicy {
            compress_above: settings.compress_above_bytes,
            memory_budget: settings.image_memory_bytes,
            ..ImagePolicy::default()
        };
        Ok(Files {
            inner: Arc::new(Inner {
                blobs,
                images: ImageWorkers::new(policy, settings.image_workers),
                limits: Limits {
                    max_file_size: settings.max_upload_bytes,
                },
                tmp_dir: settings.upload_tmp_dir.clone(),
                leases: BlobLeases::default(),
                storage_errors: FileStorageErrors::default(),
            }),
        })
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.inner.blobs
    }

    /// Failed blob store operations, by operation.
    pub fn storage_errors(&self) -> &FileStorageErrors {
        &self.inner.storage_errors
    }

    /// Counts `error` as a failure of the storage's `operation` when it is
    /// one (an I/O or object storage failure, not a missing blob or a bad
    /// range), and hands it back.
    pub fn note_failure(&self, operation: &'static str, error: FileError) -> FileError {
        if matches!(error, FileError::Storage(_) | FileError::Io(_)) {
            self.inner.storage_errors.failed(operation);
        }
        error
    }

    /// The per-file upload limits.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The leases on blobs (a backup holds them while it copies blobs).
    pub fn leases(&self) -> &BlobLeases {
        &self.inner.leases
    }

    /// Where uploads are spooled while they arrive.
    pub fn tmp_dir(&self) -> &Path {
        &self.inner.tmp_dir
    }

    /// Whether the blob store can be written (for `/readyz`), within
    /// [`HEALTH_TIMEOUT`] (object storage clients retry for minutes).
    pub async fn healthy(&self) -> bool {
        match tokio::time::timeout(HEALTH_TIMEOUT, self.inner.blobs.health()).await {
            Ok(Ok(())) => true,
            Ok(Err(error)) => {
                self.inner.storage_errors.failed("health");
                tracing::warn!(%error, "file storage is not healthy");
                false
            }
            Err(_) => {
                self.inner.storage_errors.failed("health");
                tracing::warn!("file storage did not answer within {HEALTH_TIMEOUT:?}");
                false
            }
        }
    }
}

/// Removes `dir` with everything in it and creates it empty. Only ever given
/// the daemon's own upload temp dir.
async fn reset_dir(dir: &Path) -> anyhow::Result<()> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || {
        match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => std::fs::create_dir_all(&dir),
        }
        .map_err(|e| anyhow::anyhow!("upload temp dir {}: {e}", dir.display()))
    })
    .await?
}
