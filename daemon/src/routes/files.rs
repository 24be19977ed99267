//! Files: uploads (one, or a batch), downloads, descriptions, thumbnails.
//! Receiving an upload is [`crate::files::upload`]'s; here it is recorded.

use commcenter::access::Caller;
use commcenter::wire::{BatchUpload, ErrorCode, FileMeta};
use commcenter_files::multipart;
use commcenter_files::{sanitize_name, BlobKey};
use commcenter_store::{StoreError, StoredFile};
use http::header::CONTENT_TYPE;
use http::request::Parts;
use http::HeaderMap;

use super::idempotency::{self, to_json, write_once, Idempotency, Replayable};
use super::{view, Ctx};
use crate::error::ApiError;
use crate::files::serve::{self, Download};
use crate::files::upload::{is_multipart, manifest_line};
use crate::files::Prepared;
use crate::http::{json_bytes, Query, Request, Response};

/// # `POST /api/v1/files`
///
/// One file: a multipart part named `file`, or the raw body with its
/// `Content-Type` and `?name=`. → 201 FileMeta.
pub async fn upload(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let caller = ctx.caller()?;
    let key = idempotency::key(req.headers())?;
    let name = Query::parse(&req).get("name").map(str::to_owned);
    let (head, mut body) = req.into_parts();
    let files = &ctx.state.files;
    let upload = files.receive_one(&head, name, &mut body).await?;
    let idempotency = key.map(|key| keyed(key, &head, &manifest_line(&upload)));
    let prepared = files.prepare(&ctx.state.store, upload).await?;
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
    let key = idempotency::key(req.headers())?;
    let boundary = multipart_boundary(req.headers())?;
    let (head, mut body) = req.into_parts();
    let (files, store) = (&ctx.state.files, &ctx.state.store);
    let outcomes = files
        .receive_batch(store, &head, &boundary, &mut body)
        .await?;
    let idempotency = key.map(|key| keyed(key, &head, &outcomes.manifest));
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

/// Records the prepared files (with the idempotency answer, if keyed) in one
/// store write and answers with what `answer` makes of their descriptions.
/// If the write fails, the blobs only these files used are deleted again.
async fn commit<A>(
    ctx: &Ctx,
    caller: Caller,
    idempotency: Option<Idempotency>,
    prepared: Vec<Prepared>,
    answer: A,
) -> Result<Response, ApiError>
where
    A: FnOnce(Vec<FileMeta>) -> Result<(u16, String), StoreError> + Send + 'static,
{
    let new_files = prepared.iter().map(|p| p.file.clone()).collect();
    let written = write_once(ctx, caller, idempotency, Replayable::Yes, |tx, caller| {
        answer(tx.create_files(caller, new_files)?)
    })
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

/// An upload's key, fingerprinted with the manifest of what it received.
fn keyed(key: String, head: &Parts, manifest: &str) -> Idempotency {
    Idempotency::new(key, &head.method, &head.uri, manifest.as_bytes())
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
