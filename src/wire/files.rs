use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Id, Timestamp};

/// A stored file's description, as attached to messages.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct FileMeta {
    pub id: Id,
    pub name: String,
    pub content_type: String,
    /// Bytes as stored (after compression, when `compressed`).
    pub size: u64,
    /// Lower-case hex SHA-256 of the stored bytes.
    pub sha256: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub compressed: bool,
    /// Bytes as uploaded, when `compressed`.
    pub original_size: Option<u64>,
    pub thumbnail: bool,
    pub uploaded_by: Id,
    pub created_at: Timestamp,
}

/// `POST /api/v1/files/batch`: every file's outcome; one bad file does not
/// fail the others.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct BatchUpload {
    /// The files stored, in the order of their parts.
    pub uploaded: Vec<FileMeta>,
    /// The files refused, in the order of their parts.
    pub failed: Vec<FailedUpload>,
    pub uploaded_count: usize,
    pub failed_count: usize,
}

/// One refused file of a batch: its (sanitised) name and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct FailedUpload {
    pub name: String,
    pub error: UploadError,
}

/// Why a file of a batch was refused: the code and message the file would
/// have got as a single upload.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct UploadError {
    pub code: super::ErrorCode,
    pub message: String,
}
