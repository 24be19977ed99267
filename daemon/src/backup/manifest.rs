//! `manifest.json`: what a backup holds, each file with its size and
//! SHA-256, so that a restore can refuse a damaged backup before it writes
//! anything.
//!
//! Paths are relative to the backup's directory, with `/` separators, and
//! never leave it (a manifest naming `../x` or `/x` is refused as damaged).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use commcenter::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The manifest's own file name inside a backup.
pub const MANIFEST_FILE: &str = "manifest.json";
/// What `format` says in every manifest.
const FORMAT: &str = "commcenter-backup";
/// The layout this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// The store's schema version (`commcenter_store::SCHEMA_VERSION` of the
    /// build that wrote it).
    pub schema_version: u64,
    pub seq: u64,
    pub epoch: String,
    pub created_at: Timestamp,
    pub files: Vec<Entry>,
}

/// One file of a backup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub path: String,
    pub size: u64,
    /// 64 lower-case hex digits.
    pub sha256: String,
}

impl Manifest {
    pub fn new(facts: &commcenter_store::StoreFacts, created_at: Timestamp) -> Manifest {
        Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            schema_version: facts.schema_version,
            seq: facts.seq,
            epoch: facts.epoch.clone(),
            created_at,
            files: Vec::new(),
        }
    }

    /// Reads and checks the manifest of the backup in `dir`.
    pub fn read(dir: &Path) -> Result<Manifest, String> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => format!(
                "{} is not a backup: it has no {MANIFEST_FILE}",
                dir.display()
            ),
            _ => format!("cannot read {}: {e}", path.display()),
        })?;
        let manifest: Manifest = serde_json::from_slice(&text)
            .map_err(|e| format!("{} is damaged: {e}", path.display()))?;
        manifest.check()?;
        Ok(manifest)
    }

    fn check(&self) -> Result<(), String> {
        if self.format != FORMAT || self.format_version != FORMAT_VERSION {
            return Err(format!(
                "{MANIFEST_FILE} is of format {} version {}; this build reads {FORMAT} version {FORMAT_VERSION}",
                self.format, self.format_version
            ));
        }
        for entry in &self.files {
            let sound = relative_path(&entry.path).is_some()
                && entry.sha256.len() == 64
                && entry.sha256.bytes().all(|b| b.is_ascii_hexdigit());
            if !sound {
                return Err(format!(
                    "{MANIFEST_FILE} is damaged: bad entry `{}`",
                    entry.path
                ));
            }
        }
        Ok(())
    }

    /// Bytes of every file listed.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// `path` as a relative path inside a backup, if it is one.
pub fn relative_path(path: &str) -> Option<PathBuf> {
    let path = Path::new(path);
    let inside = !path.as_os_str().is_empty()
        && path.components().all(|c| matches!(c, Component::Normal(_)));
    inside.then(|| path.to_owned())
}

/// The size and SHA-256 (hex) of the file at `path`, read whole.
pub fn hash_file(path: &Path) -> io::Result<(u64, String)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        size += read as u64;
    }
    Ok((size, hex::encode(hasher.finalize())))
}

/// Checks every file the manifest lists against its size and SHA-256; the
/// error names the first file that is missing, truncated or changed.
pub fn verify(dir: &Path, manifest: &Manifest) -> Result<(), String> {
    for entry in &manifest.files {
        let path = dir.join(&entry.path);
        let size = std::fs::metadata(&path)
            .map_err(|e| format!("{}: {e}", entry.path))?
            .len();
        if size != entry.size {
            return Err(format!(
                "{} has {size} bytes, the manifest says {}: the backup is truncated or damaged",
                entry.path, entry.size
            ));
        }
        let (_, sha256) = hash_file(&path).map_err(|e| format!("{}: {e}", entry.path))?;
        if !sha256.eq_ignore_ascii_case(&entry.sha256) {
            return Err(format!(
                "{} does not match its SHA-256 in the manifest: the backup is damaged",
                entry.path
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_are_inside_a_backup() {
        assert!(relative_path("files/ab/cd/abcd").is_some());
        assert!(relative_path("commcenter.redb").is_some());
        for outside in ["", "/etc/passwd", "../x", "files/../../x", "./x"] {
            assert!(relative_path(outside).is_none(), "{outside}");
        }
    }
}
