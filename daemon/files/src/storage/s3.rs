//! Blobs as objects `<prefix>/<64 hex>` in an S3-compatible bucket (`object_store`).

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use object_store::{
    BackoffConfig, ClientOptions, GetOptions, GetRange, ObjectMeta, ObjectStore, ObjectStoreExt,
    PutPayload, RetryConfig,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{BlobRead, ByteRange, PutOutcome, StoredBlob};
use crate::{BlobKey, FileError};

/// Objects up to this size go up in one request; larger ones as a multipart upload of
/// parts this big (S3's minimum part size is 5 MiB).
const PART_SIZE: usize = 8 * 1024 * 1024;

/// Parts of one upload in flight at once; with `PART_SIZE` this bounds an upload's
/// memory to about 3 parts (24 MiB).
const PARTS_IN_FLIGHT: usize = 2;

/// Bytes read from the source file per step.
const READ_CHUNK: usize = 1024 * 1024;

/// A bucket that does not answer fails an upload within seconds rather than
/// holding it for the client library's default of minutes of retries.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// One request (a part of at most `PART_SIZE`) may take this long.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
const MAX_RETRIES: usize = 3;
const RETRY_WINDOW: std::time::Duration = std::time::Duration::from_secs(30);

/// Object written by the health check.
const HEALTH_OBJECT: &str = ".health";

/// Connection settings for an S3-compatible bucket.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    /// Bucket name; the bucket must exist.
    pub bucket: String,
    /// Region, e.g. `us-east-1` (any value for most S3-compatible servers).
    pub region: String,
    /// Endpoint URL for non-AWS servers (`http://127.0.0.1:9000`); `None` for AWS.
    /// Requests use path-style addressing (`<endpoint>/<bucket>/<key>`).
    pub endpoint: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Allow plain `http://` endpoints (local test servers).
    pub allow_http: bool,
    /// Key prefix of all blobs, without slashes at the ends (e.g. `blobs`).
    pub prefix: String,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("allow_http", &self.allow_http)
            .field("prefix", &self.prefix)
            .finish()
    }
}

/// Blob store on S3-compatible object storage. Cheap to clone.
#[derive(Debug, Clone)]
pub struct S3Blobs {
    bucket: Arc<AmazonS3>,
    prefix: String,
}

impl S3Blobs {
    /// Builds the client; does not contact the server.
    pub fn open(config: &S3Config) -> Result<Self, FileError> {
        // Client options first: setting them replaces the whole set, and
        // `with_allow_http` below is one of them.
        let mut builder = AmazonS3Builder::new()
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(CONNECT_TIMEOUT)
                    .with_timeout(REQUEST_TIMEOUT),
            )
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key)
            .with_allow_http(config.allow_http)
            .with_virtual_hosted_style_request(false)
            .with_retry(RetryConfig {
                backoff: BackoffConfig::default(),
                max_retries: MAX_RETRIES,
                retry_timeout: RETRY_WINDOW,
            });
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        let bucket = builder.build().map_err(FileError::storage)?;
        Ok(Self {
            bucket: Arc::new(bucket),
            prefix: config.prefix.trim_matches('/').to_owned(),
        })
    }

    pub(super) async fn put(&self, key: &BlobKey, source: &Path) -> Result<PutOutcome, FileError> {
        if self.exists(key).await? {
            return Ok(PutOutcome::AlreadyPresent);
        }
        let upload = BufWriter::with_capacity(self.bucket.clone(), self.location(key), PART_SIZE)
            .with_max_concurrency(PARTS_IN_FLIGHT);
        upload_file(source, upload).await?;
        Ok(PutOutcome::Stored)
    }

    pub(super) async fn put_bytes(
        &self,
        key: &BlobKey,
        bytes: Bytes,
    ) -> Result<PutOutcome, FileError> {
        if self.exists(key).await? {
            return Ok(PutOutcome::AlreadyPresent);
        }
        let payload = PutPayload::from_bytes(bytes);
        self.bucket
            .put(&self.location(key), payload)
            .await
            .map_err(FileError::storage)?;
        Ok(PutOutcome::Stored)
    }

    pub(super) async fn open_read(
        &self,
        key: &BlobKey,
        range: Option<ByteRange>,
    ) -> Result<BlobRead, FileError> {
        let location = self.location(key);
        let (size, range) = match range {
            None => (None, None),
            Some(range) => {
                let size = self
                    .bucket
                    .head(&location)
                    .await
                    .map_err(|err| object_error(err, key))?
                    .size;
                (Some(size), Some(range.within(size)?))
            }
        };
        let options = GetOptions {
            range: range.map(|r| GetRange::Bounded(r.first()..r.last() + 1)),
            ..GetOptions::default()
        };
        let found = self
            .bucket
            .get_opts(&location, options)
            .await
            .map_err(|err| object_error(err, key))?;
        let size = size.unwrap_or(found.meta.size);
        let body = found.into_stream().map_err(FileError::storage);
        Ok(BlobRead {
            size,
            range,
            body: Box::pin(body),
        })
    }

    pub(super) async fn exists(&self, key: &BlobKey) -> Result<bool, FileError> {
        match self.bucket.head(&self.location(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(other) => Err(FileError::storage(other)),
        }
    }

    pub(super) async fn delete(&self, key: &BlobKey) -> Result<(), FileError> {
        match self.bucket.delete(&self.location(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(other) => Err(FileError::storage(other)),
        }
    }

    pub(super) async fn list(&self) -> Result<Vec<StoredBlob>, FileError> {
        let prefix = ObjectPath::from(self.prefix.as_str());
        let objects: Vec<ObjectMeta> = self
            .bucket
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(FileError::storage)?;
        Ok(objects
            .into_iter()
            .filter_map(|o| self.blob_at(o))
            .collect())
    }

    /// The blob an object is, if it lies directly under the prefix and is
    /// named by a blob key.
    fn blob_at(&self, object: ObjectMeta) -> Option<StoredBlob> {
        let location = object.location.as_ref();
        let name = match self.prefix.as_str() {
            "" => location,
            prefix => location.strip_prefix(prefix)?.strip_prefix('/')?,
        };
        let key = BlobKey::parse(name)?;
        Some(StoredBlob {
            key,
            size: object.size,
        })
    }

    pub(super) async fn health(&self) -> Result<(), FileError> {
        let probe = ObjectPath::from(format!("{}/{HEALTH_OBJECT}", self.prefix));
        self.bucket
            .put(&probe, PutPayload::from_static(b"ok"))
            .await
            .map_err(FileError::storage)?;
        Ok(())
    }

    fn location(&self, key: &BlobKey) -> ObjectPath {
        ObjectPath::from(format!("{}/{key}", self.prefix))
    }
}

/// Streams the file at `source` into `upload` and completes it. Memory: one read chunk
/// plus the writer's parts in flight.
async fn upload_file(source: &Path, mut upload: BufWriter) -> Result<(), FileError> {
    if let Err(err) = write_chunks(source, &mut upload).await {
        // Leaves no half-written multipart upload behind; the first error is the one
        // to report. (Only before `shutdown`: `BufWriter` cannot abort after it.)
        if let Err(abort_error) = upload.abort().await {
            tracing::warn!(%abort_error, "could not abort a failed multipart upload");
        }
        return Err(err);
    }
    upload.shutdown().await?;
    Ok(())
}

async fn write_chunks(source: &Path, upload: &mut BufWriter) -> Result<(), FileError> {
    let mut file = tokio::fs::File::open(source).await?;
    loop {
        let mut chunk = BytesMut::with_capacity(READ_CHUNK);
        while chunk.len() < READ_CHUNK {
            if file.read_buf(&mut chunk).await? == 0 {
                break;
            }
        }
        if chunk.is_empty() {
            return Ok(());
        }
        upload
            .put(chunk.freeze())
            .await
            .map_err(FileError::storage)?;
    }
}

fn object_error(err: object_store::Error, key: &BlobKey) -> FileError {
    match err {
        object_store::Error::NotFound { .. } => FileError::NotFound(key.to_string()),
        other => FileError::storage(other),
    }
}
