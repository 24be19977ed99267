//! `multipart/form-data` uploads, part by part, each streamed into [`ingest`].
//!
//! The body is parsed incrementally by `multer`; a part's bytes go straight from the
//! parser into the temp file, so neither the body nor a part is ever held whole.
//! Parts must be handled one at a time: take the next part only after the previous one
//! was ingested or dropped (its unread rest is then skipped).

use std::path::Path;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::TryStreamExt;

use crate::ingest::{ingest, BoxError, Declared, Ingested, Limits};
use crate::FileError;

/// The part name of a single upload (`POST /api/v1/files`).
pub const SINGLE_FILE_PART: &str = "file";

/// The part name of each file of a batch (`POST /api/v1/files/batch`).
pub const BATCH_FILE_PART: &str = "files";

/// The boundary of a `multipart/form-data` `Content-Type` header value.
pub fn boundary(content_type: &str) -> Result<String, FileError> {
    multer::parse_boundary(content_type)
        .map_err(|err| FileError::BadRequest(format!("not a multipart/form-data body: {err}")))
}

/// A multipart body being read part by part.
pub struct MultipartUpload<'r> {
    parts: multer::Multipart<'r>,
}

impl<'r> MultipartUpload<'r> {
    /// Starts reading `body`, refusing it (`TooLarge`) once more than `max_body_size`
    /// bytes of it, headers and all parts included, were read.
    pub fn new<S, E>(body: S, boundary: impl Into<String>, max_body_size: u64) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'r,
        E: Into<BoxError> + 'r,
    {
        let limits = multer::SizeLimit::new().whole_stream(max_body_size);
        let constraints = multer::Constraints::new().size_limit(limits);
        Self {
            parts: multer::Multipart::with_constraints(body, boundary, constraints),
        }
    }

    /// The next part, or `None` after the last one. Any part not fully read yet is
    /// skipped first.
    pub async fn next_part(&mut self) -> Result<Option<Part<'r>>, FileError> {
        let field = self.parts.next_field().await.map_err(multipart_error)?;
        Ok(field.map(|field| Part { field }))
    }
}

/// One part of a multipart body, not read yet.
pub struct Part<'r> {
    field: multer::Field<'r>,
}

impl Part<'_> {
    /// The form field name (`file`, `files`, ...).
    pub fn field_name(&self) -> Option<&str> {
        self.field.name()
    }

    /// The part's file name and `Content-Type`, as the client declared them.
    pub fn declared(&self) -> Declared {
        Declared {
            name: self.field.file_name().map(str::to_owned),
            content_type: self
                .field
                .content_type()
                .map(|mime| mime.essence_str().to_owned()),
            length: None,
        }
    }

    /// Streams this part into a temp file; see [`ingest`].
    pub async fn ingest(self, limits: &Limits, tmp_dir: &Path) -> Result<Ingested, FileError> {
        let declared = self.declared();
        let body = self
            .field
            .map_err(|err| BoxError::from(multipart_error(err)));
        ingest(body, declared, limits, tmp_dir).await
    }
}

/// Size overruns are the client's `TooLarge`; everything else is a malformed body.
fn multipart_error(err: multer::Error) -> FileError {
    match err {
        multer::Error::StreamSizeExceeded { limit }
        | multer::Error::FieldSizeExceeded { limit, .. } => FileError::TooLarge { limit },
        other => FileError::BadRequest(format!("malformed multipart body: {other}")),
    }
}
