//! A blob as a file download: conditional requests (`If-None-Match` → 304),
//! single byte ranges (206, 416), and the headers that keep a browser from
//! running what it downloads.

use std::io;

use bytes::Bytes;
use commcenter::wire::ErrorCode;
use commcenter_files::storage::{BlobRead, ByteRange};
use commcenter_files::{BlobKey, FileError};
use futures_util::TryStreamExt;
use http::header::{
    HeaderName, HeaderValue, ACCEPT_RANGES, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH,
    CONTENT_RANGE, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, IF_RANGE, RANGE,
    X_CONTENT_TYPE_OPTIONS,
};
use http::{HeaderMap, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;

use super::Files;
use crate::error::ApiError;
use crate::http::{full, Response};

/// A blob to send and how to present it.
#[derive(Debug)]
pub struct Download<'a> {
    pub key: BlobKey,
    /// Bytes.
    pub size: u64,
    pub content_type: &'a str,
    /// The sanitised display name, for `Content-Disposition`.
    pub name: &'a str,
}

/// Answers a download request (whose headers are `request`) with the blob:
/// 304 when the client has it, 206 for a satisfiable range, 416 for one
/// outside the blob, else 200 with the bytes streamed from the blob store.
pub async fn respond(
    files: &Files,
    request: &HeaderMap,
    download: Download<'_>,
) -> Result<Response, ApiError> {
    let etag = format!("\"{}\"", download.key);
    if has_current_copy(request, &etag) {
        return Ok(without_body(StatusCode::NOT_MODIFIED, &etag));
    }
    let range = match requested_range(request, &etag, download.size) {
        Err(FileError::RangeNotSatisfiable { size }) => return Ok(unsatisfiable(&etag, size)),
        other => other?,
    };
    let read = files
        .blobs()
        .open_read(&download.key, range)
        .await
        .map_err(|e| missing_blob(files.note_failure("read", e), &download.key))?;
    Ok(with_bytes(read, &download, &etag))
}

/// `If-None-Match` names our ETag (weakly compared, as RFC 9110 says) or is `*`.
fn has_current_copy(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

/// The single range asked for, unless `If-Range` names another version
/// (then the whole blob is sent, as RFC 9110 says).
fn requested_range(
    request: &HeaderMap,
    etag: &str,
    size: u64,
) -> Result<Option<ByteRange>, FileError> {
    let Some(range) = request.get(RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let if_range = request.get(IF_RANGE).and_then(|v| v.to_str().ok());
    if if_range.is_some_and(|tag| tag.trim() != etag) {
        return Ok(None);
    }
    ByteRange::from_header(range, size)
}

/// A blob the store has a record of but the blob store lacks is our fault.
fn missing_blob(error: FileError, key: &BlobKey) -> ApiError {
    if matches!(error, FileError::NotFound(_)) {
        tracing::error!(blob = %key, "the blob of a recorded file is missing");
        return ApiError::internal();
    }
    error.into()
}

fn with_bytes(read: BlobRead, download: &Download<'_>, etag: &str) -> Response {
    let (status, length) = match read.range {
        Some(range) => (StatusCode::PARTIAL_CONTENT, range.len()),
        None => (StatusCode::OK, read.size),
    };
    let frames = read.body.map_ok(Frame::data).map_err(io::Error::other);
    let mut response = http::Response::new(StreamBody::new(frames).boxed_unsync());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    file_headers(headers, etag);
    insert(headers, CONTENT_TYPE, served_type(download.content_type));
    insert(headers, CONTENT_LENGTH, length.to_string());
    insert(
        headers,
        CONTENT_DISPOSITION,
        content_disposition(download.name, is_image(download.content_type)),
    );
    if let Some(range) = read.range {
        let value = format!("bytes {}-{}/{}", range.first(), range.last(), read.size);
        insert(headers, CONTENT_RANGE, value);
    }
    response
}

fn without_body(status: StatusCode, etag: &str) -> Response {
    let mut response = http::Response::new(full(Bytes::new()));
    *response.status_mut() = status;
    file_headers(response.headers_mut(), etag);
    response
}

/// 416 with the error body and `Content-Range: bytes */size`.
fn unsatisfiable(etag: &str, size: u64) -> Response {
    let message = format!("the range lies outside the file's {size} bytes");
    let mut response = ApiError::new(ErrorCode::RangeNotSatisfiable, message)
        .with_field("Range")
        .into_response();
    let headers = response.headers_mut();
    file_headers(headers, etag);
    insert(headers, CONTENT_RANGE, format!("bytes */{size}"));
    response
}

/// Headers of every file answer. The policy `sandbox` and `nosniff` keep a
/// browser from running a file as a page of ours; `no-cache` keeps copies
/// but has them revalidated (cheaply, with `If-None-Match`), so that losing
/// the right to read a file takes effect.
fn file_headers(headers: &mut HeaderMap, etag: &str) {
    insert(headers, ETAG, etag.to_owned());
    insert(headers, CACHE_CONTROL, "private, no-cache".to_owned());
    insert(headers, ACCEPT_RANGES, "bytes".to_owned());
    insert(headers, X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned());
    insert(headers, CONTENT_SECURITY_POLICY, "sandbox".to_owned());
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: String) {
    match HeaderValue::try_from(value) {
        Ok(value) => {
            headers.insert(name, value);
        }
        Err(error) => tracing::error!(%error, header = %name, "unrepresentable header value"),
    }
}

fn is_image(content_type: &str) -> bool {
    content_type.starts_with("image/")
}

/// Text is stored only when it is valid UTF-8, so it is served as such.
fn served_type(content_type: &str) -> String {
    if content_type.starts_with("text/") {
        format!("{content_type}; charset=utf-8")
    } else {
        content_type.to_owned()
    }
}

/// `inline` for images, `attachment` for everything else, with the name
/// both as a quoted ASCII fallback and RFC 8187-encoded UTF-8.
pub fn content_disposition(name: &str, inline: bool) -> String {
    let disposition = if inline { "inline" } else { "attachment" };
    let fallback: String = name
        .chars()
        .map(|c| match c {
            ' ' => ' ',
            '"' | '\\' | '%' => '_',
            c if c.is_ascii_graphic() => c,
            _ => '_',
        })
        .collect();
    format!(
        "{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{}",
        percent_encode(name)
    )
}

/// RFC 8187 `value-chars`: `attr-char`s as they are, every other byte as `%XX`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte);
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_quotes_a_safe_fallback_and_encodes_utf8() {
        assert_eq!(
            content_disposition("Angebot \"Küche\".pdf", false),
            "attachment; filename=\"Angebot _K_che_.pdf\"; filename*=UTF-8''Angebot%20%22K%C3%BCche%22.pdf"
        );
        assert!(content_disposition("boiler.jpg", true).starts_with("inline; "));
    }

    #[test]
    fn weak_and_listed_etags_match() {
        let mut request = HeaderMap::new();
        request.insert(IF_NONE_MATCH, HeaderValue::from_static("\"x\", W/\"abc\""));
        assert!(has_current_copy(&request, "\"abc\""));
        assert!(!has_current_copy(&request, "\"abd\""));
    }

    #[test]
    fn a_range_for_another_version_means_the_whole_file() {
        let mut request = HeaderMap::new();
        request.insert(RANGE, HeaderValue::from_static("bytes=0-9"));
        request.insert(IF_RANGE, HeaderValue::from_static("\"old\""));
        assert_eq!(requested_range(&request, "\"new\"", 100).unwrap(), None);
        request.insert(IF_RANGE, HeaderValue::from_static("\"new\""));
        assert_eq!(
            requested_range(&request, "\"new\"", 100).unwrap(),
            ByteRange::new(0, 9)
        );
    }
}
