//! Writing one backup, on a blocking thread: the store copy, the blobs
//! (hard links where the file system allows, copies otherwise), the
//! manifest, then the rename of the staging dir into place.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use commcenter::wire::{Backup, ErrorCode};
use commcenter::Timestamp;
use commcenter_files::storage::LocalBlobs;
use commcenter_files::BlobKey;
use commcenter_store::Snapshot;

use super::manifest::{hash_file, Entry, Manifest, MANIFEST_FILE};
use crate::app::STORE_FILE;
use crate::error::ApiError;
use crate::settings::FILES_DIR;

/// Everything one backup needs, moved onto its thread.
pub(super) struct Plan {
    pub snapshot: Snapshot,
    /// The blobs the snapshot names (empty with S3 storage).
    pub blobs: Vec<String>,
    /// The local blob store, or `None` with S3 storage.
    pub local: Option<LocalBlobs>,
    pub dest: PathBuf,
    pub created_at: Timestamp,
}

/// Writes the backup `plan` describes; on failure removes what it wrote.
pub(super) fn write(plan: Plan) -> Result<Backup, ApiError> {
    let staging = staging_dir(&plan.dest);
    if let Err(e) = create_private_dir(&staging) {
        let parent = staging.parent().unwrap_or(Path::new("/"));
        return Err(ApiError::new(
            ErrorCode::Unprocessable,
            format!(
                "the daemon cannot write in {}: {e} (it writes backups as its own user; under the systemd unit only the data dir is writable)",
                parent.display()
            ),
        )
        .with_field("to"));
    }
    let written = write_into(&plan, &staging).and_then(|manifest| {
        // `rename` replaces an empty directory, so an empty `to` works too.
        fs::rename(&staging, &plan.dest)?;
        sync_dir(plan.dest.parent().unwrap_or(Path::new("/")))?;
        Ok(manifest)
    });
    match written {
        Ok(manifest) => Ok(Backup {
            path: plan.dest.display().to_string(),
            size: manifest.bytes() + manifest_size(&plan.dest),
            seq: manifest.seq,
            epoch: manifest.epoch,
            created_at: manifest.created_at,
        }),
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            Err(io_error(&plan.dest, e))
        }
    }
}

fn write_into(plan: &Plan, staging: &Path) -> io::Result<Manifest> {
    let mut manifest = Manifest::new(plan.snapshot.facts(), plan.created_at);
    let store = staging.join(STORE_FILE);
    plan.snapshot
        .copy_to(&store)
        .map_err(|e| io::Error::other(e.to_string()))?;
    fs::set_permissions(&store, fs::Permissions::from_mode(0o600))?;
    let (size, sha256) = hash_file(&store)?;
    manifest.files.push(Entry {
        path: STORE_FILE.into(),
        size,
        sha256,
    });
    if let Some(local) = &plan.local {
        for key in &plan.blobs {
            manifest.files.push(place_blob(local, key, staging)?);
        }
    }
    write_manifest(staging, &manifest)?;
    sync_dir(staging)?;
    Ok(manifest)
}

/// Links (or copies) blob `key` into the backup. A blob's name is the
/// SHA-256 of its bytes, so the manifest takes it from the name rather than
/// reading every blob again; the restore checks the bytes.
fn place_blob(local: &LocalBlobs, key: &str, staging: &Path) -> io::Result<Entry> {
    let blob = BlobKey::parse(key)
        .ok_or_else(|| io::Error::other(format!("`{key}` is not a blob key")))?;
    let relative = Path::new(FILES_DIR)
        .join(&key[0..2])
        .join(&key[2..4])
        .join(key);
    let source = local.path_of(&blob);
    let target = staging.join(&relative);
    let shard = target.parent().expect("a blob path has a shard dir");
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(shard)?;
    if fs::hard_link(&source, &target).is_err() {
        // Another file system (or none with hard links): copy and sync.
        fs::copy(&source, &target)
            .map_err(|e| io::Error::new(e.kind(), format!("blob {key}: {e}")))?;
        fs::File::open(&target)?.sync_all()?;
    }
    Ok(Entry {
        path: relative.to_string_lossy().into_owned(),
        size: fs::metadata(&target)?.len(),
        sha256: key.to_owned(),
    })
}

fn write_manifest(staging: &Path, manifest: &Manifest) -> io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(staging.join(MANIFEST_FILE))?;
    serde_json::to_writer_pretty(&mut file, manifest)?;
    file.write_all(b"\n")?;
    file.sync_all()
}

fn manifest_size(dir: &Path) -> u64 {
    fs::metadata(dir.join(MANIFEST_FILE)).map_or(0, |m| m.len())
}

/// `.<name>.partial-<random>` beside `dest`: the same file system, so the
/// final rename is atomic.
fn staging_dir(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map_or_else(|| "backup".into(), |n| n.to_string_lossy().into_owned());
    let suffix: u32 = rand::random();
    dest.with_file_name(format!(".{name}.partial-{suffix:08x}"))
}

/// Creates `dir` (and missing parents) readable by the daemon's user only.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Whether the directory `dir` is empty (an error if it is missing or not
/// a directory).
pub(crate) fn is_empty_dir(dir: &Path) -> io::Result<bool> {
    Ok(fs::read_dir(dir)?.next().is_none())
}

pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// A failed backup as an answer: a full disk is 503 (try again later),
/// anything else 500 with the cause in the log.
fn io_error(dest: &Path, e: io::Error) -> ApiError {
    if e.kind() == io::ErrorKind::StorageFull {
        return ApiError::new(
            ErrorCode::Unavailable,
            format!("no space left for the backup in {}", dest.display()),
        );
    }
    tracing::error!(error = %e, dest = %dest.display(), "backup failed");
    ApiError::new(
        ErrorCode::Internal,
        format!("the backup to {} failed: {e}", dest.display()),
    )
}
