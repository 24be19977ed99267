//! `commcenterd restore`: a backup directory into a new data dir.
//!
//! Invariants: every file of the manifest is checked (size, then SHA-256)
//! before anything is written, so a damaged backup leaves the target as it
//! was; the target must be empty or not exist; the restored store gets a
//! new epoch (see `commcenter_store::renew_epoch`).

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use commcenter_store::SCHEMA_VERSION;

use super::manifest::{self, Manifest};
use super::write::{create_private_dir, is_empty_dir, sync_dir};
use crate::app::STORE_FILE;

/// What a restore made.
#[derive(Debug, Clone)]
pub struct Restored {
    pub data_dir: PathBuf,
    /// The restored store's new epoch.
    pub epoch: String,
    /// The backup's epoch, which clients holding it must resync from.
    pub old_epoch: String,
    pub seq: u64,
    pub files: usize,
    pub bytes: u64,
}

/// Why a restore was refused or failed; the message says what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RestoreError(String);

/// Restores the backup in `from` into `data_dir` (created if missing).
pub fn restore(from: &Path, data_dir: &Path) -> Result<Restored, RestoreError> {
    let manifest = Manifest::read(from).map_err(RestoreError)?;
    if manifest.schema_version > SCHEMA_VERSION {
        return Err(RestoreError(format!(
            "the backup's store has schema version {}; this commcenterd reads up to {SCHEMA_VERSION}: restore it with a newer commcenterd",
            manifest.schema_version
        )));
    }
    if !manifest.files.iter().any(|f| f.path == STORE_FILE) {
        return Err(RestoreError(format!(
            "{} is damaged: it lists no {STORE_FILE}",
            manifest::MANIFEST_FILE
        )));
    }
    manifest::verify(from, &manifest)
        .map_err(|e| RestoreError(format!("refusing {}: {e}", from.display())))?;
    check_target(data_dir)?;
    copy_all(from, data_dir, &manifest)
        .map_err(|e| RestoreError(format!("restoring into {}: {e}", data_dir.display())))?;
    let epoch = commcenter_store::renew_epoch(&data_dir.join(STORE_FILE))
        .map_err(|e| RestoreError(format!("the restored store does not open: {e}")))?;
    Ok(Restored {
        data_dir: data_dir.to_owned(),
        epoch,
        old_epoch: manifest.epoch.clone(),
        seq: manifest.seq,
        files: manifest.files.len(),
        bytes: manifest.bytes(),
    })
}

/// The target must not exist or be an empty directory.
fn check_target(data_dir: &Path) -> Result<(), RestoreError> {
    match is_empty_dir(data_dir) {
        Ok(true) => Ok(()),
        Ok(false) => Err(RestoreError(format!(
            "{} is not empty: restore into a new or empty directory",
            data_dir.display()
        ))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(RestoreError(format!("{}: {e}", data_dir.display()))),
    }
}

/// Copies every listed file into `data_dir` (0700; files 0600), syncing
/// each, then the directories.
fn copy_all(from: &Path, data_dir: &Path, manifest: &Manifest) -> io::Result<()> {
    create_private_dir(data_dir)?;
    // Every directory made, deepest last, for the final syncs.
    let mut dirs = std::collections::BTreeSet::from([data_dir.to_owned()]);
    for entry in &manifest.files {
        let relative = manifest::relative_path(&entry.path)
            .ok_or_else(|| io::Error::other(format!("bad path `{}`", entry.path)))?;
        let target = data_dir.join(&relative);
        let parent = target.parent().expect("inside data_dir");
        if !dirs.contains(parent) {
            create_private_dir(parent)?;
            let made = parent.ancestors().take_while(|d| d.starts_with(data_dir));
            dirs.extend(made.map(Path::to_owned));
        }
        fs::copy(from.join(&relative), &target)?;
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600))?;
        fs::File::open(&target)?.sync_all()?;
    }
    for dir in dirs.iter().rev() {
        sync_dir(dir)?;
    }
    Ok(())
}
