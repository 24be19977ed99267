//! Backups of the running daemon and their restore.
//!
//! A backup is a directory: `commcenter.redb` (every table as of one read
//! transaction, see `commcenter_store::Snapshot`), `files/ab/cd/<sha256>`
//! (the local blobs the store names at that moment) and `manifest.json`
//! (every file with its size and SHA-256, the schema version, `seq`, epoch
//! and time).
//!
//! Invariants:
//! - Writes go on during a backup: it holds a read snapshot, never the
//!   writer. Its cost to writers is CPU and disk bandwidth, not a lock.
//! - Every blob the snapshot names is leased before the snapshot is taken
//!   ([`lease_and_snapshot`]), so nothing deletes it while it is copied.
//! - A backup is written into a staging dir beside its destination and
//!   renamed into place when whole: a destination either holds a complete
//!   backup or nothing.
//! - One backup at a time ([`Backups`]); a second is refused with 409.
//! - With S3 file storage only the store is backed up: the bucket keeps the
//!   blobs (the manifest then lists no `files/`).

pub mod manifest;
pub mod restore;
mod write;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use commcenter::wire::{Backup, ErrorCode};
use commcenter::Timestamp;
use commcenter_files::storage::BlobStore;
use commcenter_files::BlobKey;
use commcenter_store::Snapshot;

use crate::app::AppState;
use crate::error::ApiError;
use crate::files::Lease;

/// The directory of default backups inside the data dir.
pub const BACKUPS_DIR: &str = "backups";

/// The daemon's backups: at most one runs at a time.
#[derive(Clone, Default)]
pub struct Backups {
    running: Arc<tokio::sync::Mutex<()>>,
}

impl Backups {
    /// The right to run the one backup, or 409 while another runs.
    fn begin(&self) -> Result<tokio::sync::OwnedMutexGuard<()>, ApiError> {
        self.running.clone().try_lock_owned().map_err(|_| {
            ApiError::new(
                ErrorCode::Conflict,
                "a backup is running; try again when it is done",
            )
        })
    }
}

/// Makes a backup of the running daemon into `to` (see [`destination`]).
pub async fn back_up(state: &AppState, to: Option<&str>) -> Result<Backup, ApiError> {
    let _running = state.backups.begin()?;
    let created_at = Timestamp::now();
    let dest = destination(&state.settings.data_dir, to, created_at)?;
    let (snapshot, blobs, _leases) = lease_and_snapshot(state).await?;
    let local = match state.files.blobs() {
        BlobStore::Local(local) => Some(local.clone()),
        BlobStore::S3(_) => None,
    };
    let plan = write::Plan {
        snapshot,
        blobs: if local.is_some() { blobs } else { Vec::new() },
        local,
        dest,
        created_at,
    };
    let backup = tokio::task::spawn_blocking(move || write::write(plan))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("backup task failed: {e}")))??;
    tracing::info!(path = %backup.path, size = backup.size, seq = backup.seq, "backup written");
    Ok(backup)
}

/// Where a backup goes: `to`, which must be an absolute path that does not
/// exist yet (in a directory that does) or an empty directory; by default
/// `DATA_DIR/backups/<UTC time>`.
fn destination(data_dir: &Path, to: Option<&str>, at: Timestamp) -> Result<PathBuf, ApiError> {
    let refuse = |code, message: String| Err(ApiError::new(code, message).with_field("to"));
    let dest = match to {
        None => {
            let dir = data_dir.join(BACKUPS_DIR);
            write::create_private_dir(&dir).map_err(|e| {
                ApiError::new(ErrorCode::Internal, format!("{}: {e}", dir.display()))
            })?;
            dir.join(default_name(at))
        }
        Some(to) if !Path::new(to).is_absolute() => {
            return refuse(
                ErrorCode::Unprocessable,
                format!("`{to}` is not an absolute path"),
            )
        }
        Some(to) => PathBuf::from(to),
    };
    match write::is_empty_dir(&dest) {
        Ok(true) => Ok(dest),
        Ok(false) => refuse(
            ErrorCode::Conflict,
            format!("{} exists and is not empty", dest.display()),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match dest.parent() {
            Some(parent) if parent.is_dir() => Ok(dest),
            _ => refuse(
                ErrorCode::Unprocessable,
                format!(
                    "the directory {} is to be in does not exist",
                    dest.display()
                ),
            ),
        },
        Err(e) => refuse(ErrorCode::Unprocessable, format!("{}: {e}", dest.display())),
    }
}

/// `20261203T070216.123Z`: the backup's time, sortable, without `:`.
fn default_name(at: Timestamp) -> String {
    at.to_string().replace(['-', ':'], "")
}

/// A snapshot and the blobs it names, each leased. Leases are taken for
/// the blobs of a first look, then the snapshot is taken again until it
/// names no blob without a lease: a blob leased before the snapshot was
/// taken cannot be deleted after it (see `files::leases`).
async fn lease_and_snapshot(
    state: &AppState,
) -> Result<(Snapshot, Vec<String>, Vec<Lease>), ApiError> {
    let mut leases: HashMap<String, Lease> = HashMap::new();
    loop {
        let snapshot = state.store.snapshot().await?;
        let (snapshot, keys) = tokio::task::spawn_blocking(move || {
            let keys = snapshot.blob_keys();
            (snapshot, keys)
        })
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("snapshot task failed: {e}")))?;
        let keys = keys?;
        let new: Vec<&String> = keys.iter().filter(|k| !leases.contains_key(*k)).collect();
        if new.is_empty() {
            return Ok((snapshot, keys, leases.into_values().collect()));
        }
        drop(snapshot);
        for key in new {
            let Some(blob) = BlobKey::parse(key) else {
                return Err(ApiError::new(
                    ErrorCode::Internal,
                    format!("the store names a blob `{key}` that is not a SHA-256"),
                ));
            };
            leases.insert(key.clone(), state.files.leases().lease(&blob).await);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_name_is_the_time_without_separators() {
        let at = Timestamp::parse("2026-12-03T07:02:16.123Z").unwrap();
        assert_eq!(default_name(at), "20261203T070216.123Z");
    }

    #[test]
    fn a_relative_or_occupied_destination_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let at = Timestamp::now();
        let relative = destination(dir.path(), Some("backups/x"), at).unwrap_err();
        assert_eq!(
            (relative.code, relative.field.as_deref()),
            (ErrorCode::Unprocessable, Some("to"))
        );
        std::fs::write(dir.path().join("x"), "x").unwrap();
        let occupied = destination(Path::new("/"), dir.path().to_str(), at).unwrap_err();
        assert_eq!(occupied.code, ErrorCode::Conflict);
        let orphan = dir.path().join("no/such/dir");
        let orphan = destination(dir.path(), orphan.to_str(), at).unwrap_err();
        assert_eq!(orphan.code, ErrorCode::Unprocessable);
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert_eq!(destination(dir.path(), empty.to_str(), at).unwrap(), empty);
    }

    #[tokio::test]
    async fn a_second_backup_is_refused_while_one_runs() {
        let backups = Backups::default();
        let first = backups.begin().unwrap();
        assert_eq!(backups.begin().unwrap_err().code, ErrorCode::Conflict);
        drop(first);
        assert!(backups.begin().is_ok());
    }
}
