//! The one error type of this crate, mapped onto the API's error codes.

use std::io;

use commcenter::wire::ErrorCode;

/// Everything that can go wrong while taking in, checking, storing or transforming a file.
///
/// Each variant maps to one error code of the API (`code()`) and one HTTP status
/// (`status()`); the daemon turns it into the `{"error": {...}}` body without looking
/// inside. Internal failures (`Storage`, `Io`) keep their cause for logs but show the
/// client only a generic message (`public_message()`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The body grew past the size limit (bytes) while streaming, or declared more.
    #[error("file is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit that was exceeded, in bytes.
        limit: u64,
    },
    /// The bytes are of a type that is not allowed, or the declared type or the file name
    /// says something else than the bytes.
    #[error("{0}")]
    UnsupportedType(String),
    /// Well-formed upload whose content cannot be processed (a corrupt image, one whose
    /// dimensions or decoded size exceed the limits).
    #[error("{0}")]
    Unprocessable(String),
    /// The request body itself is malformed (broken multipart, body aborted mid-way).
    #[error("{0}")]
    BadRequest(String),
    /// No blob with this key exists in the store.
    #[error("blob {0} not found")]
    NotFound(String),
    /// A byte range that does not lie within the blob (HTTP 416).
    #[error("range not satisfiable for a blob of {size} bytes")]
    RangeNotSatisfiable {
        /// Size of the whole blob, in bytes, for the `Content-Range: bytes */size` header.
        size: u64,
    },
    /// The blob store failed (object storage unreachable, request refused, ...).
    #[error("storage failure: {0}")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Local file system failure (temp dir full, permissions, ...).
    #[error("i/o failure: {0}")]
    Io(#[from] io::Error),
}

impl FileError {
    /// The API error code (see API.md "Conventions"); its HTTP status is
    /// `code().status()`, so the status map lives in one place, the wire types.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooLarge { .. } => ErrorCode::PayloadTooLarge,
            Self::UnsupportedType(_) => ErrorCode::UnsupportedMediaType,
            Self::Unprocessable(_) => ErrorCode::Unprocessable,
            Self::BadRequest(_) => ErrorCode::BadRequest,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::RangeNotSatisfiable { .. } => ErrorCode::RangeNotSatisfiable,
            Self::Io(e) if is_disk_full(e) => ErrorCode::Unavailable,
            Self::Storage(_) | Self::Io(_) => ErrorCode::Internal,
        }
    }

    /// The HTTP status that goes with `code()`.
    pub fn status(&self) -> u16 {
        self.code().status()
    }

    /// The message for the client: the `Display` text, except for internal failures,
    /// whose details (paths, endpoints) belong in logs only.
    pub fn public_message(&self) -> String {
        match self {
            Self::Io(e) if is_disk_full(e) => {
                "the file storage is full; the file was not kept, try again later".to_owned()
            }
            Self::Storage(_) | Self::Io(_) => "internal error while handling the file".to_owned(),
            other => other.to_string(),
        }
    }

    /// Wraps a storage backend error.
    pub(crate) fn storage(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Storage(Box::new(err))
    }

    /// Maps an `io::Error` of a blob read, turning "no such file" into `NotFound(key)`.
    pub(crate) fn from_blob_io(err: io::Error, key: &str) -> Self {
        if err.kind() == io::ErrorKind::NotFound {
            Self::NotFound(key.to_owned())
        } else {
            Self::Io(err)
        }
    }
}

/// A full disk or an exhausted quota: a condition of the server that passes,
/// not a fault of the request (503, not 500).
pub fn is_disk_full(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

impl From<tokio::task::JoinError> for FileError {
    fn from(err: tokio::task::JoinError) -> Self {
        Self::Io(io::Error::other(err))
    }
}

impl From<image::ImageError> for FileError {
    fn from(err: image::ImageError) -> Self {
        use image::ImageError as E;
        match err {
            E::IoError(io) => Self::Io(io),
            E::Limits(limit) => Self::Unprocessable(format!("image exceeds the limits: {limit}")),
            E::Unsupported(what) => Self::Unprocessable(format!("image not supported: {what}")),
            // Encoding our own pixels cannot fail on the client's account.
            E::Encoding(enc) => Self::Io(io::Error::other(enc)),
            other => Self::Unprocessable(format!("image cannot be decoded: {other}")),
        }
    }
}
