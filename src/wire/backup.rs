//! Operations: backups of the running daemon.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// `POST /api/v1/admin/backup`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBackup {
    /// Absolute path of the directory to create (or an empty one to fill),
    /// on the daemon's machine [default: DATA_DIR/backups/<UTC time>].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// A finished backup: a directory with `manifest.json`, the store and the
/// local file blobs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Backup {
    /// The backup's directory on the daemon's machine.
    pub path: String,
    /// Bytes of every file in it, the manifest included.
    pub size: u64,
    /// The last event `seq` the backup holds.
    pub seq: u64,
    /// The epoch of the store it was taken from (a restore gets a new one).
    pub epoch: String,
    pub created_at: Timestamp,
}
