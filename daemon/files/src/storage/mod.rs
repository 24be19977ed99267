//! Content-addressed blob storage: local disk or S3-compatible object storage, chosen
//! by configuration, behind one type.
//!
//! Blobs are named by the SHA-256 of their bytes ([`BlobKey`]), so identical bytes are
//! stored once and a stored blob never changes. Counting how many files use a blob, and
//! deleting it when none does, is the caller's job; `delete` is idempotent.

mod local;
mod range;
mod s3;

use std::path::{Path, PathBuf};
use std::pin::Pin;

use bytes::Bytes;
use futures_core::Stream;

pub use local::LocalBlobs;
pub use range::ByteRange;
pub use s3::{S3Blobs, S3Config};

use crate::{BlobKey, FileError};

/// A stream of a blob's bytes, in chunks of at most 64 KiB (local) or as the object
/// store sends them.
pub type BlobStream = Pin<Box<dyn Stream<Item = Result<Bytes, FileError>> + Send>>;

/// Which backend to use, from the daemon's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// Files under `root` (the daemon uses `<data dir>/files` by default).
    Local {
        /// Directory holding the blobs; created if missing.
        root: PathBuf,
    },
    /// An S3-compatible bucket.
    S3(S3Config),
}

/// What `put` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// The blob was written.
    Stored,
    /// A blob with this key was already there; nothing was written.
    AlreadyPresent,
}

/// A blob found by [`BlobStore::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub key: BlobKey,
    /// Bytes.
    pub size: u64,
}

/// An open blob, ready to stream.
pub struct BlobRead {
    /// Size of the whole blob in bytes (for `Content-Length` or `Content-Range`).
    pub size: u64,
    /// The range being streamed, or `None` for the whole blob.
    pub range: Option<ByteRange>,
    /// The bytes of `range` (or of the whole blob).
    pub body: BlobStream,
}

impl std::fmt::Debug for BlobRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobRead")
            .field("size", &self.size)
            .field("range", &self.range)
            .finish()
    }
}

/// The blob store. Cheap to clone; all clones share the backend.
#[derive(Debug, Clone)]
pub enum BlobStore {
    Local(LocalBlobs),
    S3(S3Blobs),
}

impl BlobStore {
    /// Opens the configured backend (creating the local root if needed). Does not
    /// contact object storage; see [`BlobStore::health`].
    pub async fn open(config: &StorageConfig) -> Result<Self, FileError> {
        match config {
            StorageConfig::Local { root } => Ok(Self::Local(LocalBlobs::open(root.clone()).await?)),
            StorageConfig::S3(s3) => Ok(Self::S3(S3Blobs::open(s3)?)),
        }
    }

    /// Stores the file at `source` as blob `key`, unless that blob already exists.
    ///
    /// Invariant the caller keeps: `key` is the SHA-256 of `source`'s bytes (as computed
    /// by `ingest`), and `source` is not modified afterwards (the local store may
    /// hard-link it instead of copying).
    pub async fn put(&self, key: &BlobKey, source: &Path) -> Result<PutOutcome, FileError> {
        match self {
            Self::Local(local) => local.put(key, source).await,
            Self::S3(s3) => s3.put(key, source).await,
        }
    }

    /// Stores a small in-memory blob (a thumbnail) and returns its key.
    pub async fn put_bytes(&self, bytes: Bytes) -> Result<(BlobKey, PutOutcome), FileError> {
        let key = BlobKey::of_bytes(&bytes);
        let outcome = match self {
            Self::Local(local) => local.put_bytes(&key, bytes).await?,
            Self::S3(s3) => s3.put_bytes(&key, bytes).await?,
        };
        Ok((key, outcome))
    }

    /// Streams blob `key`, or just `range` of it. `NotFound` if there is no such blob,
    /// `RangeNotSatisfiable` if the range does not lie within it.
    pub async fn open_read(
        &self,
        key: &BlobKey,
        range: Option<ByteRange>,
    ) -> Result<BlobRead, FileError> {
        match self {
            Self::Local(local) => local.open_read(key, range).await,
            Self::S3(s3) => s3.open_read(key, range).await,
        }
    }

    /// Whether blob `key` exists.
    pub async fn exists(&self, key: &BlobKey) -> Result<bool, FileError> {
        match self {
            Self::Local(local) => local.exists(key).await,
            Self::S3(s3) => s3.exists(key).await,
        }
    }

    /// Deletes blob `key`; deleting a missing blob succeeds.
    pub async fn delete(&self, key: &BlobKey) -> Result<(), FileError> {
        match self {
            Self::Local(local) => local.delete(key).await,
            Self::S3(s3) => s3.delete(key).await,
        }
    }

    /// Every blob in the store, in no particular order. Anything that is not
    /// named like a blob (the local staging dir, the health probe, foreign
    /// objects under the prefix) is left out.
    ///
    /// Collected into memory: about 100 bytes a blob, so a million blobs take
    /// ~100 MB. Fine for the stores this daemon serves; a stream would be the
    /// next step for bigger ones.
    pub async fn list(&self) -> Result<Vec<StoredBlob>, FileError> {
        match self {
            Self::Local(local) => local.list().await,
            Self::S3(s3) => s3.list().await,
        }
    }

    /// Checks that the store can be written: writes a small probe (local: in its
    /// staging dir, removed again; S3: one fixed `.health` object).
    pub async fn health(&self) -> Result<(), FileError> {
        match self {
            Self::Local(local) => local.health().await,
            Self::S3(s3) => s3.health().await,
        }
    }
}
