//! Streaming an upload into a temp file while hashing and sniffing it.
//!
//! The async side only counts bytes and batches chunks; a `spawn_blocking` task writes
//! them to the temp file, hashes them and checks for text. They are joined by a bounded
//! channel, so a slow disk slows the client down instead of filling memory: at most
//! `CHANNEL_DEPTH × BATCH_BYTES` (2 MiB) of one upload is in flight.

use std::io::{self, Write};
use std::path::Path;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;
use tokio::sync::mpsc;

use crate::kind::FileKind;
use crate::name::sanitize_name;
use crate::sniff::{self, TextCheck, SNIFF_LEN};
use crate::{BlobKey, FileError};

/// The error type body streams may carry (hyper's and multer's convert into it).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Chunks are merged into batches of this many bytes before crossing to the writer
/// thread, so that a stream of small HTTP frames costs one wake-up per 256 KiB.
const BATCH_BYTES: usize = 256 * 1024;

/// Batches buffered between the body and the writer thread.
const CHANNEL_DEPTH: usize = 8;

/// Default upload size limit: 25 MiB (API.md).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 25 * 1024 * 1024;

/// What the client said about the upload. Only the bytes decide the type; these may
/// refine it or contradict it (→ `UnsupportedType`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declared {
    /// The client's file name (multipart `filename`, or `?name=`), unsanitised.
    pub name: Option<String>,
    /// The declared `Content-Type` (parameters allowed, case-insensitive).
    pub content_type: Option<String>,
    /// The declared length in bytes (`Content-Length` of a raw upload), if any.
    pub length: Option<u64>,
}

/// Limits applied while ingesting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted file, in bytes; one byte more is `TooLarge`.
    pub max_file_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }
}

/// A fully received, type-checked upload, waiting in a temp file to be stored.
///
/// The temp file is deleted when this is dropped, so an upload that fails any later
/// step leaves nothing behind.
#[derive(Debug)]
pub struct Ingested {
    /// The bytes, in a temp file under the ingest `tmp_dir`.
    pub file: NamedTempFile,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes, which is also the blob key.
    pub sha256: BlobKey,
    /// The type decided from the bytes.
    pub kind: FileKind,
    /// The display name, sanitised (see [`sanitize_name`]).
    pub name: String,
}

impl Ingested {
    /// Path of the temp file holding the bytes.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The media type to store and serve.
    pub fn content_type(&self) -> &'static str {
        self.kind.mime()
    }
}

/// Streams `body` into a temp file in `tmp_dir`, hashing and sniffing on the way.
///
/// Fails with `TooLarge` as soon as more than `limits.max_file_size` bytes arrived (or
/// were declared), `BadRequest` when the body stream fails, and `UnsupportedType` when
/// the bytes are not allowed or contradict `declared`. On every failure the temp file is
/// already deleted when this returns; if the future is dropped mid-way, the writer
/// thread deletes it as soon as it notices.
pub async fn ingest<S, E>(
    body: S,
    declared: Declared,
    limits: &Limits,
    tmp_dir: &Path,
) -> Result<Ingested, FileError>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: Into<BoxError>,
{
    if declared
        .length
        .is_some_and(|length| length > limits.max_file_size)
    {
        return Err(FileError::TooLarge {
            limit: limits.max_file_size,
        });
    }
    let (batches, receiver) = mpsc::channel(CHANNEL_DEPTH);
    let tmp_dir = tmp_dir.to_path_buf();
    let writer = tokio::task::spawn_blocking(move || spool(receiver, &tmp_dir));
    let fed = feed(body, batches, limits.max_file_size).await;
    // Always joined, so that on any error the temp file is dropped (deleted) before
    // this function returns.
    let spooled = writer.await?;
    fed?;
    spooled?.into_ingested(declared)
}

/// Forwards the body to the writer in batches, enforcing the size limit. Returns `Ok`
/// early if the writer is gone: its own error is the one to report.
async fn feed<S, E>(body: S, batches: mpsc::Sender<Bytes>, max_size: u64) -> Result<(), FileError>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: Into<BoxError>,
{
    let mut body = std::pin::pin!(body);
    let mut batch = BytesMut::new();
    let mut received: u64 = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(body_error)?;
        received += chunk.len() as u64;
        if received > max_size {
            return Err(FileError::TooLarge { limit: max_size });
        }
        batch.extend_from_slice(&chunk);
        if batch.len() >= BATCH_BYTES {
            let full = std::mem::replace(&mut batch, BytesMut::with_capacity(BATCH_BYTES));
            if batches.send(full.freeze()).await.is_err() {
                return Ok(());
            }
        }
    }
    if !batch.is_empty() {
        let _writer_gone = batches.send(batch.freeze()).await;
    }
    Ok(())
}

/// A body stream's error: a `FileError` passes through (the multipart layer reports
/// `TooLarge` that way); anything else means the body broke off.
fn body_error(err: impl Into<BoxError>) -> FileError {
    match err.into().downcast::<FileError>() {
        Ok(file_error) => *file_error,
        Err(other) => FileError::BadRequest(format!("upload interrupted: {other}")),
    }
}

/// Writer-thread side: everything the bytes tell, gathered in one pass.
struct Spooled {
    file: NamedTempFile,
    size: u64,
    sha256: BlobKey,
    head: Vec<u8>,
    is_text: bool,
}

/// Runs on a blocking thread until the sender is dropped or a write fails.
fn spool(mut batches: mpsc::Receiver<Bytes>, tmp_dir: &Path) -> io::Result<Spooled> {
    let file = tempfile::Builder::new()
        .prefix("upload-")
        .tempfile_in(tmp_dir)?;
    let mut sink = Sink::new(file);
    while let Some(batch) = batches.blocking_recv() {
        sink.write(&batch)?;
    }
    sink.finish()
}

/// Temp file plus the running hash, head and text check.
struct Sink {
    file: NamedTempFile,
    hasher: Sha256,
    size: u64,
    head: Vec<u8>,
    text: TextCheck,
}

impl Sink {
    fn new(file: NamedTempFile) -> Self {
        Self {
            file,
            hasher: Sha256::new(),
            size: 0,
            head: Vec::new(),
            text: TextCheck::new(),
        }
    }

    fn write(&mut self, batch: &[u8]) -> io::Result<()> {
        self.file.as_file_mut().write_all(batch)?;
        self.hasher.update(batch);
        self.text.feed(batch);
        let room = SNIFF_LEN.saturating_sub(self.head.len());
        self.head.extend_from_slice(&batch[..room.min(batch.len())]);
        self.size += batch.len() as u64;
        Ok(())
    }

    /// No fsync here: the local store syncs what it keeps, object storage copies it
    /// away, and a temp file need not survive a crash.
    fn finish(self) -> io::Result<Spooled> {
        Ok(Spooled {
            size: self.size,
            sha256: BlobKey::from_digest(self.hasher.finalize().into()),
            is_text: self.text.finish(),
            head: self.head,
            file: self.file,
        })
    }
}

impl Spooled {
    fn into_ingested(self, declared: Declared) -> Result<Ingested, FileError> {
        let kind = sniff::classify(
            &self.head,
            self.is_text,
            declared.content_type.as_deref(),
            declared.name.as_deref(),
        )?;
        Ok(Ingested {
            file: self.file,
            size: self.size,
            sha256: self.sha256,
            kind,
            name: sanitize_name(declared.name.as_deref().unwrap_or("")),
        })
    }
}
