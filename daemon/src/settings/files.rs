//! Settings of file uploads and storage: size limits, image work and the
//! blob store backend (local disk or S3-compatible object storage).

use std::fmt;
use std::path::{Path, PathBuf};

use commcenter_files::images::DEFAULT_MEMORY_BUDGET;
use commcenter_files::storage::{S3Config, StorageConfig};
use commcenter_files::DEFAULT_MAX_FILE_SIZE;
use serde::Deserialize;

use super::FileSettings as ConfigFile;

/// Images larger than this many bytes are stored re-encoded (API.md: 2 MiB).
pub const DEFAULT_COMPRESS_ABOVE: u64 = 2 * 1024 * 1024;

/// Name of the local blob directory inside the data dir.
pub const FILES_DIR: &str = "files";

/// Where uploads are spooled while they arrive: inside the local blob root,
/// so that storing one is a hard link on the same file system, or in the
/// data dir with S3.
const UPLOADS_DIR: &str = ".uploads";

/// Which blob store backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    Local,
    S3,
}

/// The file flags, flattened into [`super::Args`].
#[derive(Clone, Default, clap::Args)]
pub struct FileArgs {
    /// Largest file accepted by an upload, in bytes [default: 26214400]
    #[arg(long, env = "COMMCENTER_MAX_UPLOAD_BYTES", value_name = "BYTES")]
    pub max_upload_bytes: Option<u64>,

    /// Images larger than this are stored re-encoded to fit, in bytes [default: 2097152]
    #[arg(long, env = "COMMCENTER_COMPRESS_ABOVE_BYTES", value_name = "BYTES")]
    pub compress_above_bytes: Option<u64>,

    /// Image decodes and encodes run at once [default: the number of CPUs]
    #[arg(long, env = "COMMCENTER_IMAGE_WORKERS", value_name = "N")]
    pub image_workers: Option<usize>,

    /// Memory all image work (decodes, thumbnails, compression) may hold at once, in
    /// bytes; an image needing more on its own is refused with 422 [default: 268435456]
    #[arg(long, env = "COMMCENTER_IMAGE_MEMORY_BYTES", value_name = "BYTES")]
    pub image_memory_bytes: Option<u64>,

    /// Where file bytes are kept: local or s3 [default: local]
    #[arg(long, env = "COMMCENTER_FILE_STORAGE", value_name = "KIND")]
    pub file_storage: Option<StorageKind>,

    /// Directory of the local file storage [default: DATA_DIR/files]
    #[arg(long, env = "COMMCENTER_FILES_DIR", value_name = "DIR")]
    pub files_dir: Option<PathBuf>,

    /// S3 bucket (must exist); required with --file-storage s3
    #[arg(long, env = "COMMCENTER_S3_BUCKET", value_name = "BUCKET")]
    pub s3_bucket: Option<String>,

    /// S3 region [default: us-east-1]
    #[arg(long, env = "COMMCENTER_S3_REGION", value_name = "REGION")]
    pub s3_region: Option<String>,

    /// S3 endpoint URL for S3-compatible servers (path-style requests) [default: AWS]
    #[arg(long, env = "COMMCENTER_S3_ENDPOINT", value_name = "URL")]
    pub s3_endpoint: Option<String>,

    /// S3 access key id
    #[arg(long, env = "COMMCENTER_S3_ACCESS_KEY_ID", value_name = "ID")]
    pub s3_access_key_id: Option<String>,

    /// S3 secret access key (prefer the environment variable to the flag)
    #[arg(
        long,
        env = "COMMCENTER_S3_SECRET_ACCESS_KEY",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub s3_secret_access_key: Option<String>,

    /// Key prefix of the blobs in the bucket [default: blobs]
    #[arg(long, env = "COMMCENTER_S3_PREFIX", value_name = "PREFIX")]
    pub s3_prefix: Option<String>,

    /// Allow a plain http:// S3 endpoint
    #[arg(long, env = "COMMCENTER_S3_ALLOW_HTTP")]
    pub s3_allow_http: bool,
}

impl fmt::Debug for FileArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileArgs")
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("compress_above_bytes", &self.compress_above_bytes)
            .field("image_workers", &self.image_workers)
            .field("image_memory_bytes", &self.image_memory_bytes)
            .field("file_storage", &self.file_storage)
            .field("files_dir", &self.files_dir)
            .field("s3_bucket", &self.s3_bucket)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_secret_access_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// The file settings in force.
#[derive(Debug, Clone)]
pub struct FilesSettings {
    /// Largest accepted file, in bytes; one byte more is 413.
    pub max_upload_bytes: u64,
    /// Images over this many bytes are re-encoded until they fit, in bytes.
    pub compress_above_bytes: u64,
    /// Image jobs (decode, thumbnail, compression) running at once.
    pub image_workers: usize,
    /// Memory all image work may hold at once, in bytes.
    pub image_memory_bytes: u64,
    /// The blob store backend.
    pub storage: StorageConfig,
    /// Where uploads are spooled while they arrive; emptied at start.
    pub upload_tmp_dir: PathBuf,
}

impl FilesSettings {
    /// Defaults: local storage under `DATA_DIR/files`, 25 MiB uploads.
    pub fn for_data_dir(data_dir: &Path) -> FilesSettings {
        let root = data_dir.join(FILES_DIR);
        FilesSettings {
            max_upload_bytes: DEFAULT_MAX_FILE_SIZE,
            compress_above_bytes: DEFAULT_COMPRESS_ABOVE,
            image_workers: available_cpus(),
            image_memory_bytes: DEFAULT_MEMORY_BUDGET,
            upload_tmp_dir: root.join(UPLOADS_DIR),
            storage: StorageConfig::Local { root },
        }
    }

    /// Flags over the config file over defaults.
    pub(super) fn resolve(
        args: FileArgs,
        file: &ConfigFile,
        data_dir: &Path,
    ) -> anyhow::Result<FilesSettings> {
        let d = FilesSettings::for_data_dir(data_dir);
        let kind = args.file_storage.or(file.file_storage);
        let (storage, upload_tmp_dir) = match kind.unwrap_or(StorageKind::Local) {
            StorageKind::Local => {
                let root = args.files_dir.clone().or(file.files_dir.clone());
                let root = root.unwrap_or_else(|| data_dir.join(FILES_DIR));
                (
                    StorageConfig::Local { root: root.clone() },
                    root.join(UPLOADS_DIR),
                )
            }
            StorageKind::S3 => (
                StorageConfig::S3(s3_config(&args, file)?),
                data_dir.join(UPLOADS_DIR),
            ),
        };
        Ok(FilesSettings {
            max_upload_bytes: args
                .max_upload_bytes
                .or(file.max_upload_bytes)
                .unwrap_or(d.max_upload_bytes),
            compress_above_bytes: args
                .compress_above_bytes
                .or(file.compress_above_bytes)
                .unwrap_or(d.compress_above_bytes),
            image_workers: args
                .image_workers
                .or(file.image_workers)
                .unwrap_or(d.image_workers)
                .max(1),
            image_memory_bytes: args
                .image_memory_bytes
                .or(file.image_memory_bytes)
                .unwrap_or(d.image_memory_bytes),
            storage,
            upload_tmp_dir,
        })
    }
}

/// The S3 settings; the bucket and both keys are required.
fn s3_config(args: &FileArgs, file: &ConfigFile) -> anyhow::Result<S3Config> {
    let required = |flag: Option<&String>, key: Option<&String>, name: &str| {
        flag.or(key)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("--file-storage s3 needs --{name}"))
    };
    Ok(S3Config {
        bucket: required(
            args.s3_bucket.as_ref(),
            file.s3_bucket.as_ref(),
            "s3-bucket",
        )?,
        region: args
            .s3_region
            .clone()
            .or(file.s3_region.clone())
            .unwrap_or_else(|| "us-east-1".into()),
        endpoint: args.s3_endpoint.clone().or(file.s3_endpoint.clone()),
        access_key_id: required(
            args.s3_access_key_id.as_ref(),
            file.s3_access_key_id.as_ref(),
            "s3-access-key-id",
        )?,
        secret_access_key: required(
            args.s3_secret_access_key.as_ref(),
            file.s3_secret_access_key.as_ref(),
            "s3-secret-access-key",
        )?,
        allow_http: args.s3_allow_http || file.s3_allow_http.unwrap_or(false),
        prefix: args
            .s3_prefix
            .clone()
            .or(file.s3_prefix.clone())
            .unwrap_or_else(|| "blobs".into()),
    })
}

fn available_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3_args() -> FileArgs {
        FileArgs {
            file_storage: Some(StorageKind::S3),
            s3_bucket: Some("files".into()),
            s3_access_key_id: Some("id".into()),
            s3_secret_access_key: Some("secret".into()),
            ..FileArgs::default()
        }
    }

    #[test]
    fn local_storage_spools_uploads_inside_its_root() {
        let resolved =
            FilesSettings::resolve(FileArgs::default(), &ConfigFile::default(), Path::new("/d"))
                .unwrap();
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
        let resolved =
            FilesSettings::resolve(s3_args(), &ConfigFile::default(), Path::new("/d")).unwrap();
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
        let args = FileArgs {
            s3_bucket: None,
            ..s3_args()
        };
        let error =
            FilesSettings::resolve(args, &ConfigFile::default(), Path::new("/d")).unwrap_err();
        assert!(error.to_string().contains("--s3-bucket"), "{error}");
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        assert!(!format!("{:?}", s3_args()).contains("secret\""));
    }
}
