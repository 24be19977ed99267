//! Receiving uploads: a request body (raw, or multipart with one file or a
//! batch) into files received, hashed and prepared, ready to be recorded.
//!
//! Upload bodies bypass the JSON body limit: they stream through
//! `commcenter_files` into temp files under their own per-file limit
//! (`--max-upload-bytes`), and never sit whole in memory. A refused body is
//! read on and dropped for a while ([`drain`]), so that a client still
//! sending reads the error instead of a reset connection.

use commcenter::wire::{ErrorCode, FailedUpload, UploadError};
use commcenter_files::multipart::{self, MultipartUpload, Part, BATCH_FILE_PART, SINGLE_FILE_PART};
use commcenter_files::{ingest, sanitize_name, Declared, FileError, Ingested};
use commcenter_store::Store;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, EXPECT};
use http::request::Parts;
use http::HeaderMap;
use http_body_util::{BodyDataStream, BodyExt};
use hyper::body::Body as _;
use tokio::task::JoinHandle;

use super::{Files, Prepared};
use crate::limits::TimedBody;

/// Most files in one batch; later parts are refused one by one.
pub const MAX_BATCH_FILES: usize = 100;

/// Bytes of multipart framing (boundaries, part headers) allowed per file on
/// top of the file itself.
const PART_OVERHEAD: u64 = 64 * 1024;

/// How long a refused upload's remaining body is read and dropped.
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// What a batch body held: the files stored and waiting to be recorded, the
/// files refused, and a line per part for the idempotency fingerprint.
#[derive(Default)]
pub struct BatchOutcomes {
    pub prepared: Vec<Prepared>,
    pub failed: Vec<FailedUpload>,
    pub manifest: String,
}

/// A part of a batch: refused at once, or being prepared on its own task.
enum Pending {
    Failed(FailedUpload),
    Preparing {
        name: String,
        manifest_line: String,
        task: JoinHandle<Result<Prepared, FileError>>,
    },
}

impl Files {
    /// Receives the one file of `POST /files`: the multipart part named
    /// `file`, or the raw body with its `Content-Type` and `name` (from the
    /// query). A refused body is drained.
    pub async fn receive_one(
        &self,
        head: &Parts,
        name: Option<String>,
        body: &mut TimedBody,
    ) -> Result<Ingested, FileError> {
        let received = self.receive_one_body(head, name, body).await;
        if received.is_err() {
            drain(&head.headers, body, self.drain_cap()).await;
        }
        received
    }

    /// Receives a batch body part by part (parts named `files`), preparing
    /// each file as it arrives; one bad file does not fail the others. A
    /// refused body is drained, and files prepared from it are discarded.
    pub async fn receive_batch(
        &self,
        store: &Store,
        head: &Parts,
        boundary: &str,
        body: &mut TimedBody,
    ) -> Result<BatchOutcomes, FileError> {
        let received = self.receive_batch_body(store, boundary, body).await;
        if received.is_err() {
            drain(&head.headers, body, self.drain_cap()).await;
        }
        received
    }

    async fn receive_one_body(
        &self,
        head: &Parts,
        name: Option<String>,
        body: &mut TimedBody,
    ) -> Result<Ingested, FileError> {
        let content_type = head.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
        if let Some(boundary) = content_type.filter(|ct| is_multipart(ct)) {
            let limit = self.limits().max_file_size;
            if declared_length(&head.headers)
                .is_some_and(|l| l > limit.saturating_add(PART_OVERHEAD))
            {
                return Err(FileError::TooLarge { limit });
            }
            let boundary = multipart::boundary(boundary)?;
            return self.receive_single_part(boundary, body).await;
        }
        let declared = Declared {
            name,
            content_type: content_type.map(str::to_owned),
            length: declared_length(&head.headers),
        };
        let stream = BodyDataStream::new(body);
        ingest(stream, declared, self.limits(), self.tmp_dir()).await
    }

    /// The part named `file`; other parts are skipped.
    async fn receive_single_part(
        &self,
        boundary: String,
        body: &mut TimedBody,
    ) -> Result<Ingested, FileError> {
        let limit = self.limits().max_file_size.saturating_add(PART_OVERHEAD);
        let mut parts = MultipartUpload::new(BodyDataStream::new(body), boundary, limit);
        while let Some(part) = parts.next_part().await? {
            if part.field_name() == Some(SINGLE_FILE_PART) {
                let upload = part.ingest(self.limits(), self.tmp_dir()).await?;
                // Reads on to the closing boundary, so the connection stays usable.
                while parts.next_part().await?.is_some() {}
                return Ok(upload);
            }
        }
        Err(FileError::BadRequest(format!(
            "the multipart body has no part named `{SINGLE_FILE_PART}`"
        )))
    }

    /// Each received part is prepared (image work, blob storage) on its own
    /// task while the next one arrives, so image work runs on every image
    /// worker at once.
    async fn receive_batch_body(
        &self,
        store: &Store,
        boundary: &str,
        body: &mut TimedBody,
    ) -> Result<BatchOutcomes, FileError> {
        let per_file = self.limits().max_file_size.saturating_add(PART_OVERHEAD);
        let limit = per_file.saturating_mul(MAX_BATCH_FILES as u64);
        let mut parts = MultipartUpload::new(BodyDataStream::new(body), boundary, limit);
        let mut pending = Vec::new();
        let read = self.read_batch_parts(store, &mut parts, &mut pending).await;
        let outcomes = settle(pending).await;
        if let Err(e) = read {
            self.discard(store, outcomes.prepared).await;
            return Err(e);
        }
        Ok(outcomes)
    }

    async fn read_batch_parts(
        &self,
        store: &Store,
        parts: &mut MultipartUpload<'_>,
        pending: &mut Vec<Pending>,
    ) -> Result<(), FileError> {
        while let Some(part) = parts.next_part().await? {
            if part.field_name() != Some(BATCH_FILE_PART) {
                continue;
            }
            let name = part_name(&part);
            if pending.len() >= MAX_BATCH_FILES {
                let too_many = FileError::Unprocessable(format!(
                    "a batch holds at most {MAX_BATCH_FILES} files"
                ));
                pending.push(Pending::Failed(failure(name, &too_many)));
                continue;
            }
            let next = match part.ingest(self.limits(), self.tmp_dir()).await {
                Ok(upload) => self.start_preparing(store, upload),
                Err(e) => Pending::Failed(failure(name, &e)),
            };
            pending.push(next);
        }
        Ok(())
    }

    fn start_preparing(&self, store: &Store, upload: Ingested) -> Pending {
        let (files, store) = (self.clone(), store.clone());
        Pending::Preparing {
            name: upload.name.clone(),
            manifest_line: manifest_line(&upload),
            task: tokio::spawn(async move { files.prepare(&store, upload).await }),
        }
    }

    /// How much of a refused body is read and dropped: up to twice the file
    /// limit, which covers clients that overshoot it by any sensible margin
    /// and costs no more than two accepted uploads.
    fn drain_cap(&self) -> u64 {
        self.limits().max_file_size.saturating_mul(2)
    }
}

/// Waits for every part's preparation, keeping the parts' order.
async fn settle(pending: Vec<Pending>) -> BatchOutcomes {
    let mut outcomes = BatchOutcomes::default();
    for part in pending {
        let (line, result) = match part {
            Pending::Failed(failed) => {
                let line = format!("{}\0{}\n", failed.name, failed.error.message);
                (line, Err(failed))
            }
            Pending::Preparing {
                name,
                manifest_line,
                task,
            } => {
                let prepared = task.await.map_err(FileError::from).and_then(|p| p);
                (manifest_line, prepared.map_err(|e| failure(name, &e)))
            }
        };
        outcomes.manifest.push_str(&line);
        match result {
            Ok(prepared) => outcomes.prepared.push(prepared),
            Err(failed) => outcomes.failed.push(failed),
        }
    }
    outcomes
}

/// An upload's line in the idempotency fingerprint: what it is, not how it
/// was framed (multipart boundaries differ between identical requests).
pub fn manifest_line(upload: &Ingested) -> String {
    format!("{}\0{}\0{}\n", upload.name, upload.kind, upload.sha256)
}

fn part_name(part: &Part<'_>) -> String {
    sanitize_name(part.declared().name.as_deref().unwrap_or(""))
}

fn failure(name: String, error: &FileError) -> FailedUpload {
    let code = error.code();
    if code == ErrorCode::Internal {
        tracing::error!(%error, "a file of a batch failed");
    }
    FailedUpload {
        name,
        error: UploadError {
            code,
            message: error.public_message(),
        },
    }
}

/// Whether a `Content-Type` is `multipart/form-data` (any parameters).
pub fn is_multipart(content_type: &str) -> bool {
    content_type
        .trim_start()
        .get(..19)
        .is_some_and(|start| start.eq_ignore_ascii_case("multipart/form-data"))
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Reads and drops the rest of a refused upload's body (at most `cap` bytes,
/// for at most [`DRAIN_TIME`]), so that a client still sending gets to read
/// the error instead of a reset connection. Not when the client waits for
/// `100 Continue`: then it sends no body until asked.
async fn drain(headers: &HeaderMap, body: &mut TimedBody, cap: u64) {
    let expects_continue = headers
        .get(EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    // A body declared larger than the cap would not be read to its end
    // anyway: answer at once, and the connection closes after the answer.
    let declared_over_cap = declared_length(headers).is_some_and(|length| length > cap);
    if expects_continue || declared_over_cap || body.is_end_stream() {
        return;
    }
    let discard = async {
        let mut left = cap;
        while let Some(Ok(frame)) = body.frame().await {
            let len = frame.data_ref().map_or(0, |data| data.len() as u64);
            match left.checked_sub(len) {
                Some(rest) => left = rest,
                None => return,
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, discard).await;
}
