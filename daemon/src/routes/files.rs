//! Files: uploads (one, or a batch), downloads, descriptions, thumbnails.
//!
//! Upload bodies bypass the JSON body limit: they stream through
//! `commcenter_files` into temp files under their own per-file limit
//! (`--max-upload-bytes`), and never sit whole in memory.

use commcenter::access::Caller;
use commcenter::store::{fingerprint, Replay, StoreError, StoredFile, Tx};
use commcenter::wire::{BatchUpload, ErrorCode, FailedUpload, FileMeta, UploadError};
use commcenter_files::multipart::{self, MultipartUpload, Part, BATCH_FILE_PART, SINGLE_FILE_PART};
use commcenter_files::{ingest, sanitize_name, BlobKey, Declared, FileError, Ingested};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, EXPECT};
use http::request::Parts;
use http::HeaderMap;
use http_body_util::{BodyDataStream, BodyExt};
use hyper::body::{Body as _, Incoming};
use tokio::task::JoinHandle;

use super::{idempotency_key, view};
use crate::error::ApiError;
use crate::files::serve::{self, Download};
use crate::files::{Files, Prepared};
use crate::http::{json_bytes, Query, Request, Response};
use crate::router::Ctx;

/// Most files in one batch; later parts are refused one by one.
const MAX_BATCH_FILES: usize = 100;

/// Bytes of multipart framing (boundaries, part headers) allowed per file on
/// top of the file itself.
const PART_OVERHEAD: u64 = 64 * 1024;

/// How long a refused upload's remaining body is read and dropped.
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// # `POST /api/v1/files`
///
/// One file: a multipart part named `file`, or the raw body with its
/// `Content-Type` and `?name=`. → 201 FileMeta.
pub async fn upload(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let caller = ctx.caller()?;
    let key = idempotency_key(&req)?;
    let query = Query::parse(&req);
    let (head, mut body) = req.into_parts();
    let files = ctx.state.files.clone();
    let upload = match receive_one(&files, &head, &query, &mut body).await {
        Ok(upload) => upload,
        Err(e) => {
            drain(&head.headers, &mut body, drain_cap(&files)).await;
            return Err(e.into());
        }
    };
    let manifest = manifest_line(&upload);
    let prepared = files.prepare(&ctx.state.store, upload).await?;
    let idempotency = key.map(|key| (key, print(&head, &manifest)));
    commit(&ctx, caller, idempotency, vec![prepared], |mut metas| {
        let meta = metas
            .pop()
            .ok_or_else(|| StoreError::Internal("no file".into()))?;
        Ok((201, to_json(&meta)?))
    })
    .await
}

/// # `POST /api/v1/files/batch`
///
/// Any number of multipart parts named `files`. → 200 with each file's
/// outcome; one bad file does not fail the others.
pub async fn upload_batch(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let caller = ctx.caller()?;
    let key = idempotency_key(&req)?;
    let boundary = multipart_boundary(req.headers())?;
    let (head, mut body) = req.into_parts();
    let files = ctx.state.files.clone();
    let outcomes = match receive_batch(&ctx, &boundary, &mut body).await {
        Ok(outcomes) => outcomes,
        Err(e) => {
            drain(&head.headers, &mut body, drain_cap(&files)).await;
            return Err(e.into());
        }
    };
    let idempotency = key.map(|key| (key, print(&head, &outcomes.manifest)));
    let failed = outcomes.failed;
    commit(
        &ctx,
        caller,
        idempotency,
        outcomes.prepared,
        move |uploaded| {
            let answer = BatchUpload {
                uploaded_count: uploaded.len(),
                failed_count: failed.len(),
                uploaded,
                failed,
            };
            Ok((200, to_json(&answer)?))
        },
    )
    .await
}

/// # `GET /api/v1/files/{id}`
///
/// The bytes, streamed from the blob store, with ETag, Range and
/// If-None-Match support.
pub async fn download(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let file = readable(&ctx).await?;
    let meta = &file.meta;
    let download = Download {
        key: blob_key(&meta.sha256)?,
        size: meta.size,
        content_type: &meta.content_type,
        name: &meta.name,
    };
    serve::respond(&ctx.state.files, req.headers(), download).await
}

/// # `GET /api/v1/files/{id}/meta`
pub async fn meta(ctx: Ctx) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    view(&ctx, move |v, caller| {
        v.get_file(caller, id).map(|file| file.meta)
    })
    .await
}

/// # `GET /api/v1/files/{id}/thumbnail`
///
/// The thumbnail made at upload (longest side ≤ 320 px); 404 for files
/// without one (everything but JPEG, PNG, GIF and WebP images).
pub async fn thumbnail(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let file = readable(&ctx).await?;
    let Some(thumbnail) = &file.thumbnail else {
        let message = format!("file {} has no thumbnail", file.meta.id);
        return Err(ApiError::not_found(message));
    };
    let name = thumbnail_name(&file.meta.name, &thumbnail.content_type);
    let download = Download {
        key: blob_key(&thumbnail.sha256)?,
        size: thumbnail.size,
        content_type: &thumbnail.content_type,
        name: &name,
    };
    serve::respond(&ctx.state.files, req.headers(), download).await
}

/// The file of the path's `{id}` if the caller may read it; else 404.
async fn readable(ctx: &Ctx) -> Result<StoredFile, ApiError> {
    let (id, caller) = (ctx.id()?, ctx.caller()?);
    Ok(ctx
        .state
        .store
        .read(move |v| v.get_file(&caller, id))
        .await?)
}

fn blob_key(sha256: &str) -> Result<BlobKey, ApiError> {
    BlobKey::parse(sha256).ok_or_else(|| {
        tracing::error!(sha256, "a file record holds a malformed blob key");
        ApiError::internal()
    })
}

/// `photo.jpg` → `photo-thumbnail.jpg` (or `.png` for a PNG thumbnail).
fn thumbnail_name(name: &str, content_type: &str) -> String {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let extension = if content_type == "image/png" {
        "png"
    } else {
        "jpg"
    };
    sanitize_name(&format!("{stem}-thumbnail.{extension}"))
}

/// Receives the one file of `POST /files`, multipart or raw.
async fn receive_one(
    files: &Files,
    head: &Parts,
    query: &Query,
    body: &mut Incoming,
) -> Result<Ingested, FileError> {
    let content_type = head.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if let Some(boundary) = content_type.filter(|ct| is_multipart(ct)) {
        let boundary = multipart::boundary(boundary)?;
        return receive_single_part(files, boundary, body).await;
    }
    let declared = Declared {
        name: query.get("name").map(str::to_owned),
        content_type: content_type.map(str::to_owned),
        length: declared_length(&head.headers),
    };
    let stream = BodyDataStream::new(body);
    ingest(stream, declared, files.limits(), files.tmp_dir()).await
}

/// The part named `file`; other parts are skipped.
async fn receive_single_part(
    files: &Files,
    boundary: String,
    body: &mut Incoming,
) -> Result<Ingested, FileError> {
    let limit = files.limits().max_file_size.saturating_add(PART_OVERHEAD);
    let mut parts = MultipartUpload::new(BodyDataStream::new(body), boundary, limit);
    while let Some(part) = parts.next_part().await? {
        if part.field_name() == Some(SINGLE_FILE_PART) {
            let upload = part.ingest(files.limits(), files.tmp_dir()).await?;
            // Reads on to the closing boundary, so the connection stays usable.
            while parts.next_part().await?.is_some() {}
            return Ok(upload);
        }
    }
    Err(FileError::BadRequest(format!(
        "the multipart body has no part named `{SINGLE_FILE_PART}`"
    )))
}

/// What a batch body held: the files stored and waiting to be recorded, the
/// files refused, and a line per part for the idempotency fingerprint.
#[derive(Default)]
struct BatchOutcomes {
    prepared: Vec<Prepared>,
    failed: Vec<FailedUpload>,
    manifest: String,
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

/// Reads a batch part by part. Each received part is prepared (image work,
/// blob storage) on its own task while the next one arrives, so image work
/// runs on every image worker at once.
async fn receive_batch(
    ctx: &Ctx,
    boundary: &str,
    body: &mut Incoming,
) -> Result<BatchOutcomes, FileError> {
    let files = &ctx.state.files;
    let per_file = files.limits().max_file_size.saturating_add(PART_OVERHEAD);
    let limit = per_file.saturating_mul(MAX_BATCH_FILES as u64);
    let mut parts = MultipartUpload::new(BodyDataStream::new(body), boundary, limit);
    let mut pending = Vec::new();
    let read = read_batch_parts(ctx, &mut parts, &mut pending).await;
    let outcomes = settle(pending).await;
    if let Err(e) = read {
        files.discard(&ctx.state.store, outcomes.prepared).await;
        return Err(e);
    }
    Ok(outcomes)
}

async fn read_batch_parts(
    ctx: &Ctx,
    parts: &mut MultipartUpload<'_>,
    pending: &mut Vec<Pending>,
) -> Result<(), FileError> {
    let files = &ctx.state.files;
    while let Some(part) = parts.next_part().await? {
        if part.field_name() != Some(BATCH_FILE_PART) {
            continue;
        }
        let name = part_name(&part);
        if pending.len() >= MAX_BATCH_FILES {
            let too_many =
                FileError::Unprocessable(format!("a batch holds at most {MAX_BATCH_FILES} files"));
            pending.push(Pending::Failed(failure(name, &too_many)));
            continue;
        }
        let next = match part.ingest(files.limits(), files.tmp_dir()).await {
            Ok(upload) => start_preparing(ctx, upload),
            Err(e) => Pending::Failed(failure(name, &e)),
        };
        pending.push(next);
    }
    Ok(())
}

fn start_preparing(ctx: &Ctx, upload: Ingested) -> Pending {
    let (files, store) = (ctx.state.files.clone(), ctx.state.store.clone());
    Pending::Preparing {
        name: upload.name.clone(),
        manifest_line: manifest_line(&upload),
        task: tokio::spawn(async move { files.prepare(&store, upload).await }),
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

/// Records the prepared files (with the idempotency answer, if keyed) in one
/// store write and answers with what `answer` makes of their descriptions.
/// If the write fails, the blobs only these files used are deleted again.
async fn commit<A>(
    ctx: &Ctx,
    caller: Caller,
    idempotency: Option<(String, String)>,
    prepared: Vec<Prepared>,
    answer: A,
) -> Result<Response, ApiError>
where
    A: FnOnce(Vec<FileMeta>) -> Result<(u16, String), StoreError> + Send + 'static,
{
    let new_files = prepared.iter().map(|p| p.file.clone()).collect();
    let written = ctx
        .state
        .store
        .write(move |tx| record(tx, &caller, idempotency, new_files, answer))
        .await;
    match written {
        Ok((status, body)) => {
            // Committed: the records hold the blobs now; the leases may go.
            drop(prepared);
            Ok(json_bytes(status, body))
        }
        Err(e) => {
            ctx.state.files.discard(&ctx.state.store, prepared).await;
            Err(e.into())
        }
    }
}

/// The write of [`commit`]: checks the key first (nothing written on a
/// conflict), then creates, answers and remembers the answer.
fn record<A>(
    tx: &mut Tx<'_>,
    caller: &Caller,
    idempotency: Option<(String, String)>,
    new_files: Vec<commcenter::store::NewFile>,
    answer: A,
) -> Result<(u16, String), StoreError>
where
    A: FnOnce(Vec<FileMeta>) -> Result<(u16, String), StoreError>,
{
    if let Some((key, print)) = &idempotency {
        if let Replay::Answer(first) = tx.idempotency_check(caller, key, print)? {
            return Ok((first.status, first.body));
        }
    }
    let metas = tx.create_files(caller, new_files)?;
    let (status, body) = answer(metas)?;
    if let Some((key, print)) = idempotency {
        tx.idempotency_remember(caller, &key, print, status, body.clone())?;
    }
    Ok((status, body))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Internal(e.to_string()))
}

/// An upload's line in the idempotency fingerprint: what it is, not how it
/// was framed (multipart boundaries differ between identical requests).
fn manifest_line(upload: &Ingested) -> String {
    format!("{}\0{}\0{}\n", upload.name, upload.kind, upload.sha256)
}

fn print(head: &Parts, manifest: &str) -> String {
    let target = head.uri.path_and_query().map_or("", |pq| pq.as_str());
    fingerprint(head.method.as_str(), target, manifest.as_bytes())
}

/// The boundary of a batch body; anything but multipart is 415.
fn multipart_boundary(headers: &HeaderMap) -> Result<String, ApiError> {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    match content_type.filter(|ct| is_multipart(ct)) {
        Some(ct) => Ok(multipart::boundary(ct)?),
        None => Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "a batch upload is a multipart/form-data body with parts named `files`",
        )
        .with_field("Content-Type")),
    }
}

fn is_multipart(content_type: &str) -> bool {
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

/// How much of a refused body is read and dropped: up to twice the file
/// limit, which covers clients that overshoot it by any sensible margin
/// and costs no more than two accepted uploads.
fn drain_cap(files: &Files) -> u64 {
    files.limits().max_file_size.saturating_mul(2)
}

/// Reads and drops the rest of a refused upload's body (at most `cap` bytes,
/// for at most [`DRAIN_TIME`]), so that a client still sending gets to read
/// the error instead of a reset connection. Not when the client waits for
/// `100 Continue`: then it sends no body until asked.
async fn drain(headers: &HeaderMap, body: &mut Incoming, cap: u64) {
    let expects_continue = headers
        .get(EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if expects_continue || body.is_end_stream() {
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
