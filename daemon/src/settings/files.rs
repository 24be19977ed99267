//! Settings of file uploads and storage: size limits, image work and the
//! blob store backend (local disk or S3-compatible object storage).

use std::fmt;
use std::path::{Path, PathBuf};

use commcenter_files::images::DEFAULT_MEMORY_BUDGET;
use commcenter_files::storage::{S3Config, StorageConfig};
use commcenter_files::DEFAULT_MAX_FILE_SIZE;

use super::{values, SettingsError};

/// Images larger than this many bytes are stored re-encoded (API.md: 2 MiB).
pub const DEFAULT_COMPRESS_ABOVE: u64 = 2 * 1024 * 1024;

/// Name of the local blob directory inside the data dir.
pub const FILES_DIR: &str = "files";

/// Where uploads are spooled while they arrive: inside the local blob root,
/// so that storing one is a hard link on the same file system, or in the
/// data dir with S3.
const UPLOADS_DIR: &str = ".uploads";

/// Which blob store backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StorageKind {
    Local,
    S3,
}

/// The file settings in force.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Files")]
pub struct FilesSettings {
    /// Largest file accepted by an upload, in bytes; one byte more is 413
    #[arg(
        long,
        env = "COMMCENTER_MAX_UPLOAD_BYTES",
        value_name = "BYTES",
        default_value_t = DEFAULT_MAX_FILE_SIZE
    )]
    pub max_upload_bytes: u64,

    /// Images larger than this are stored re-encoded to fit, in bytes
    #[arg(
        long,
        env = "COMMCENTER_COMPRESS_ABOVE_BYTES",
        value_name = "BYTES",
        default_value_t = DEFAULT_COMPRESS_ABOVE
    )]
    pub compress_above_bytes: u64,

    /// Image decodes and encodes (thumbnails, compression) run at once
    /// [default: the number of CPUs]
    #[arg(
        long,
        env = "COMMCENTER_IMAGE_WORKERS",
        value_name = "N",
        value_parser = values::at_least_one,
        default_value_t = available_cpus(),
        hide_default_value = true
    )]
    pub image_workers: usize,

    /// Memory all image work (decodes, thumbnails, compression) may hold at
    /// once, in bytes; work that would exceed it waits, and an image needing
    /// more on its own is refused with 422
    #[arg(
        long,
        env = "COMMCENTER_IMAGE_MEMORY_BYTES",
        value_name = "BYTES",
        default_value_t = DEFAULT_MEMORY_BUDGET
    )]
    pub image_memory_bytes: u64,

    /// The storage settings as given; [`Self::storage`] is resolved from them.
    #[command(flatten)]
    pub storage_flags: StorageFlags,

    /// The blob store backend in force, resolved from `storage_flags` when
    /// the settings are loaded (tests set it directly).
    #[arg(skip = StorageConfig::Local { root: PathBuf::new() })]
    pub storage: StorageConfig,

    /// Where uploads are spooled while they arrive; emptied at start.
    #[arg(skip)]
    pub upload_tmp_dir: PathBuf,
}

/// Where file bytes are kept.
#[derive(Clone, clap::Args)]
#[command(next_help_heading = "File storage")]
pub struct StorageFlags {
    /// Where file bytes are kept
    #[arg(
        long,
        env = "COMMCENTER_FILE_STORAGE",
        value_name = "KIND",
        default_value = "local"
    )]
    pub file_storage: StorageKind,

    /// Directory of the local file storage [default: DATA_DIR/files]
    #[arg(long, env = "COMMCENTER_FILES_DIR", value_name = "DIR")]
    pub files_dir: Option<PathBuf>,

    /// S3 bucket (must exist); required with --file-storage s3
    #[arg(long, env = "COMMCENTER_S3_BUCKET", value_name = "BUCKET")]
    pub s3_bucket: Option<String>,

    /// S3 region
    #[arg(
        long,
        env = "COMMCENTER_S3_REGION",
        value_name = "REGION",
        default_value = "us-east-1"
    )]
    pub s3_region: String,

    /// S3 endpoint URL for S3-compatible servers (path-style requests) [default: AWS]
    #[arg(long, env = "COMMCENTER_S3_ENDPOINT", value_name = "URL")]
    pub s3_endpoint: Option<String>,

    /// S3 access key id; required with --file-storage s3
    #[arg(long, env = "COMMCENTER_S3_ACCESS_KEY_ID", value_name = "ID")]
    pub s3_access_key_id: Option<String>,

    /// S3 secret access key (prefer the environment variable to the flag);
    /// required with --file-storage s3
    #[arg(
        long,
        env = "COMMCENTER_S3_SECRET_ACCESS_KEY",
        value_name = "SECRET",
        hide_env_values = true,
        hide_default_value = true
    )]
    pub s3_secret_access_key: Option<String>,

    /// Key prefix of the blobs in the bucket
    #[arg(
        long,
        env = "COMMCENTER_S3_PREFIX",
        value_name = "PREFIX",
        default_value = "blobs"
    )]
    pub s3_prefix: String,

    /// Allow a plain http:// S3 endpoint
    #[arg(long, env = "COMMCENTER_S3_ALLOW_HTTP")]
    pub s3_allow_http: bool,
}

impl fmt::Debug for StorageFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StorageFlags")
            .field("file_storage", &self.file_storage)
            .field("files_dir", &self.files_dir)
            .field("s3_bucket", &self.s3_bucket)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_secret_access_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl FilesSettings {
    /// Sets `storage` and `upload_tmp_dir` from `storage_flags`.
    pub(super) fn resolve_storage(&mut self, data_dir: &Path) -> Result<(), SettingsError> {
        let flags = &self.storage_flags;
        (self.storage, self.upload_tmp_dir) = match flags.file_storage {
            StorageKind::Local => {
                let root = flags
                    .files_dir
                    .clone()
                    .unwrap_or_else(|| data_dir.join(FILES_DIR));
                let spool = root.join(UPLOADS_DIR);
                (StorageConfig::Local { root }, spool)
            }
            StorageKind::S3 => (
                StorageConfig::S3(flags.s3_config()?),
                data_dir.join(UPLOADS_DIR),
            ),
        };
        Ok(())
    }
}

impl StorageFlags {
    /// The S3 settings; the bucket and both keys are required.
    fn s3_config(&self) -> Result<S3Config, SettingsError> {
        let required = |value: &Option<String>, flag: &'static str| {
            value.clone().ok_or(SettingsError::S3Needs(flag))
        };
        Ok(S3Config {
            bucket: required(&self.s3_bucket, "s3-bucket")?,
            region: self.s3_region.clone(),
            endpoint: self.s3_endpoint.clone(),
            access_key_id: required(&self.s3_access_key_id, "s3-access-key-id")?,
            secret_access_key: required(&self.s3_secret_access_key, "s3-secret-access-key")?,
            allow_http: self.s3_allow_http,
            prefix: self.s3_prefix.clone(),
        })
    }
}

fn available_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    /// The settings for a data dir of `/d` and these flags.
    fn resolve(flags: &[&str]) -> Result<Settings, SettingsError> {
        let argv = ["commcenterd", "--data-dir", "/d"];
        Settings::from_argv(argv.iter().chain(flags))
    }

    fn s3_flags() -> Vec<&'static str> {
        vec![
            "--file-storage",
            "s3",
            "--s3-bucket",
            "files",
            "--s3-access-key-id",
            "id",
            "--s3-secret-access-key",
            "secret",
        ]
    }

    #[test]
    fn local_storage_spools_uploads_inside_its_root() {
        let resolved = resolve(&[]).unwrap().files;
        let root = PathBuf::from("/d/files");
        assert_eq!(
            resolved.storage,
            StorageConfig::Local { root: root.clone() }
        );
        assert_eq!(resolved.upload_tmp_dir, root.join(UPLOADS_DIR));
        assert_eq!(resolved.max_upload_bytes, 25 * 1024 * 1024);
        assert_eq!(resolved.image_memory_bytes, 256 * 1024 * 1024);
    }

    #[test]
    fn s3_storage_takes_defaults_for_region_and_prefix() {
        let resolved = resolve(&s3_flags()).unwrap().files;
        let StorageConfig::S3(s3) = resolved.storage else {
            panic!("s3 expected");
        };
        assert_eq!(
            (s3.region.as_str(), s3.prefix.as_str()),
            ("us-east-1", "blobs")
        );
        assert_eq!(
            resolved.upload_tmp_dir,
            PathBuf::from("/d").join(UPLOADS_DIR)
        );
    }

    #[test]
    fn s3_storage_without_a_bucket_is_refused() {
        let mut flags = s3_flags();
        flags.drain(2..4);
        let error = resolve(&flags).unwrap_err();
        assert!(error.to_string().contains("--s3-bucket"), "{error}");
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        let settings = resolve(&s3_flags()).unwrap();
        assert!(!format!("{settings:?}").contains("secret\""));
    }
}
