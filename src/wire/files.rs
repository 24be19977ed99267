use serde::{Deserialize, Serialize};

use crate::{Id, Timestamp};

/// A stored file's description, as attached to messages.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
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
