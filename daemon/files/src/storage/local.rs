//! Blobs as files on local disk: `<root>/<ab>/<cd>/<abcd…64 hex>`.
//!
//! Writes are crash-safe: a blob is staged under `<root>/.staging` (hard-linked from
//! the upload's temp file when on the same file system, else copied), fsync'd, then
//! renamed into place, and its directory fsync'd. A reader therefore sees either no
//! blob or the whole blob. Two concurrent puts of one key both rename identical bytes
//! into place, which is harmless.

use std::fs::{self, File};
use std::io::{self, SeekFrom, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::TryStreamExt;
use tempfile::NamedTempFile;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::{BlobRead, ByteRange, PutOutcome, StoredBlob};
use crate::{BlobKey, FileError};

/// Chunk size of blob reads.
const READ_CHUNK: usize = 64 * 1024;

/// Name of the staging directory under the root (same file system, so rename is atomic).
const STAGING_DIR: &str = ".staging";

/// Blob store on local disk. Cheap to clone.
#[derive(Debug, Clone)]
pub struct LocalBlobs {
    root: PathBuf,
}

impl LocalBlobs {
    /// Uses `root`, creating it and its staging directory if missing.
    pub async fn open(root: PathBuf) -> Result<Self, FileError> {
        let staging = root.join(STAGING_DIR);
        tokio::fs::create_dir_all(&staging).await?;
        Ok(Self { root })
    }

    /// Where blob `key` lives.
    pub fn path_of(&self, key: &BlobKey) -> PathBuf {
        let (first, second) = key.shards();
        self.root.join(first).join(second).join(key.as_str())
    }

    pub(super) async fn put(&self, key: &BlobKey, source: &Path) -> Result<PutOutcome, FileError> {
        let (store, key, source) = (self.clone(), key.clone(), source.to_path_buf());
        let outcome =
            tokio::task::spawn_blocking(move || store.put_blocking(&key, &source)).await??;
        Ok(outcome)
    }

    pub(super) async fn put_bytes(
        &self,
        key: &BlobKey,
        bytes: Bytes,
    ) -> Result<PutOutcome, FileError> {
        let (store, key) = (self.clone(), key.clone());
        let outcome =
            tokio::task::spawn_blocking(move || store.put_bytes_blocking(&key, &bytes)).await??;
        Ok(outcome)
    }

    pub(super) async fn open_read(
        &self,
        key: &BlobKey,
        range: Option<ByteRange>,
    ) -> Result<BlobRead, FileError> {
        let mut file = tokio::fs::File::open(self.path_of(key))
            .await
            .map_err(|err| FileError::from_blob_io(err, key.as_str()))?;
        let size = file.metadata().await?.len();
        let range = range.map(|range| range.within(size)).transpose()?;
        let (offset, len) = range.map_or((0, size), |range| (range.first(), range.len()));
        file.seek(SeekFrom::Start(offset)).await?;
        let body = ReaderStream::with_capacity(file.take(len), READ_CHUNK).map_err(FileError::Io);
        Ok(BlobRead {
            size,
            range,
            body: Box::pin(body),
        })
    }

    pub(super) async fn exists(&self, key: &BlobKey) -> Result<bool, FileError> {
        Ok(tokio::fs::try_exists(self.path_of(key)).await?)
    }

    pub(super) async fn delete(&self, key: &BlobKey) -> Result<(), FileError> {
        match tokio::fs::remove_file(self.path_of(key)).await {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err.into()),
            _ => Ok(()),
        }
    }

    pub(super) async fn list(&self) -> Result<Vec<StoredBlob>, FileError> {
        let store = self.clone();
        Ok(tokio::task::spawn_blocking(move || store.list_blocking()).await??)
    }

    pub(super) async fn health(&self) -> Result<(), FileError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.probe()).await??;
        Ok(())
    }

    /// Walks `<root>/<ab>/<cd>/<key>`. Only paths that fit that layout count:
    /// the staging and upload dirs (dot names), stray files and a key in the
    /// wrong shard are skipped, so every listed blob is one `delete` removes.
    fn list_blocking(&self) -> io::Result<Vec<StoredBlob>> {
        let mut blobs = Vec::new();
        for first in shard_dirs(&self.root)? {
            for second in shard_dirs(&first)? {
                let in_place =
                    |blob: &StoredBlob| self.path_of(&blob.key) == second.join(blob.key.as_str());
                blobs.extend(blobs_in(&second)?.into_iter().filter(in_place));
            }
        }
        Ok(blobs)
    }

    fn put_blocking(&self, key: &BlobKey, source: &Path) -> io::Result<PutOutcome> {
        if self.path_of(key).try_exists()? {
            return Ok(PutOutcome::AlreadyPresent);
        }
        let staged = self.stage_from(source)?;
        self.commit(staged, key)
    }

    fn put_bytes_blocking(&self, key: &BlobKey, bytes: &[u8]) -> io::Result<PutOutcome> {
        if self.path_of(key).try_exists()? {
            return Ok(PutOutcome::AlreadyPresent);
        }
        let mut staged = tempfile::Builder::new().tempfile_in(self.staging_dir())?;
        staged.write_all(bytes)?;
        self.commit(staged, key)
    }

    /// A staging link to `source`'s bytes; falls back to a copy when hard links are not
    /// possible (another file system, or a file system without them).
    fn stage_from(&self, source: &Path) -> io::Result<NamedTempFile<()>> {
        let builder = tempfile::Builder::new();
        builder
            .make_in(self.staging_dir(), |staged| fs::hard_link(source, staged))
            .or_else(|link_error| {
                tracing::debug!(%link_error, "cannot hard-link the upload into staging; copying");
                builder.make_in(self.staging_dir(), |staged| {
                    fs::copy(source, staged).map(drop)
                })
            })
    }

    /// Makes the staged bytes durable and moves them into place.
    fn commit<F>(&self, staged: NamedTempFile<F>, key: &BlobKey) -> io::Result<PutOutcome> {
        File::open(staged.path())?.sync_all()?;
        let target = self.path_of(key);
        let shard = target.parent().expect("blob paths have a shard directory");
        create_dir_durably(shard)?;
        staged.persist(&target).map_err(|err| err.error)?;
        sync_dir(shard)?;
        Ok(PutOutcome::Stored)
    }

    fn probe(&self) -> io::Result<()> {
        let mut probe = tempfile::Builder::new()
            .prefix("health-")
            .tempfile_in(self.staging_dir())?;
        probe.write_all(b"ok")?;
        probe.as_file().sync_all()
    }

    fn staging_dir(&self) -> PathBuf {
        self.root.join(STAGING_DIR)
    }
}

/// The subdirectories of `dir` named like a shard (two lower-case hex digits).
fn shard_dirs(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut shards = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let is_shard = name.to_str().is_some_and(|n| {
            n.len() == 2
                && n.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        });
        if is_shard && entry.file_type()?.is_dir() {
            shards.push(entry.path());
        }
    }
    Ok(shards)
}

/// The blobs in one shard directory: regular files named by a blob key.
fn blobs_in(shard: &Path) -> io::Result<Vec<StoredBlob>> {
    let mut blobs = Vec::new();
    for entry in fs::read_dir(shard)? {
        let entry = entry?;
        let Some(key) = entry.file_name().to_str().and_then(BlobKey::parse) else {
            continue;
        };
        let metadata = entry.metadata()?;
        if metadata.is_file() {
            blobs.push(StoredBlob {
                key,
                size: metadata.len(),
            });
        }
    }
    Ok(blobs)
}

/// Creates `dir` and any missing parents, fsyncing each parent that gained an entry so
/// the new directories survive a crash.
fn create_dir_durably(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let parent = dir.parent().expect("shard directories have a parent");
    create_dir_durably(parent)?;
    match fs::create_dir(dir) {
        Err(err) if err.kind() != io::ErrorKind::AlreadyExists => return Err(err),
        _ => {}
    }
    sync_dir(parent)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
