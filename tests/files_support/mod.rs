//! Support for `tests/files.rs`: a daemon on either storage backend (local
//! disk, or S3 on a moto server this test binary starts on 127.0.0.1),
//! upload requests, and images made on the fly.

#![allow(dead_code)] // not every helper is used by every backend

#[path = "../../daemon/files/tests/common/craft.rs"]
mod craft;
#[path = "../../daemon/files/tests/common/photo.rs"]
pub mod photo;

/// Runs each listed `async fn name(backend: Backend)` as a test per backend.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod local {
            $(#[tokio::test]
            async fn $name() {
                super::$name(super::Backend::Local).await
            })*
        }
        mod s3 {
            $(#[tokio::test]
            async fn $name() {
                super::$name(super::Backend::S3).await
            })*
        }
    };
}

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use commcenter::client::{Client, RawResponse};
use commcenter::wire::FileMeta;
use commcenter::Id;
use commcenter_files::storage::{S3Config, StorageConfig};
use commcenterd::Settings;
use http::Method;

use crate::common::TestDaemon;
#[allow(unused_imports)] // each test binary uses some of them
pub use craft::{bomb_png, bomb_png_1bit, jpeg, multipart_body};

/// Which blob store the daemon under test uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Local,
    S3,
}

/// A daemon on one backend, and where its files go.
pub struct Setup {
    pub daemon: TestDaemon,
    pub storage: StorageConfig,
    /// Where uploads are spooled while they arrive.
    pub tmp_dir: PathBuf,
}

/// A daemon with default file settings on `backend`.
pub async fn start(backend: Backend) -> Setup {
    start_adjusted(backend, |_| {}).await
}

/// A daemon on `backend` with settings adjusted by `adjust`.
pub async fn start_adjusted(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut seen = None;
    let daemon = TestDaemon::start_with(dir, |settings| {
        if backend == Backend::S3 {
            settings.files.storage = StorageConfig::S3(s3_config(&fresh_bucket()));
            settings.files.upload_tmp_dir = settings.data_dir.join("uploads");
        }
        adjust(settings);
        seen = Some((
            settings.files.storage.clone(),
            settings.files.upload_tmp_dir.clone(),
        ));
    })
    .await;
    let (storage, tmp_dir) = seen.expect("settings were adjusted");
    Setup {
        daemon,
        storage,
        tmp_dir,
    }
}

impl Setup {
    /// The keys of every blob in storage, sorted.
    pub fn stored_blobs(&self) -> Vec<String> {
        let mut keys = match &self.storage {
            StorageConfig::Local { root } => local_blobs(root),
            StorageConfig::S3(s3) => s3_blobs(&s3.bucket),
        };
        keys.sort();
        keys
    }

    /// Whatever is left in the upload temp dir.
    pub fn temp_files(&self) -> Vec<String> {
        std::fs::read_dir(&self.tmp_dir)
            .expect("the upload temp dir exists")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    }
}

/// Blob files under a local root: `<ab>/<cd>/<key>`, without the staging
/// and upload dirs.
fn local_blobs(root: &Path) -> Vec<String> {
    let mut keys = Vec::new();
    for shard in dir_entries(root).filter(|p| !name_of(p).starts_with('.')) {
        for sub in dir_entries(&shard) {
            keys.extend(dir_entries(&sub).map(|p| name_of(&p)));
        }
    }
    keys
}

fn dir_entries(dir: &Path) -> impl Iterator<Item = PathBuf> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("entry").path())
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned()
}

// --- Requests ------------------------------------------------------------

/// `POST /api/v1/files?name=` with a raw body.
pub async fn upload_raw(by: &Client, name: &str, content_type: &str, bytes: &[u8]) -> RawResponse {
    let path = format!("/api/v1/files?name={}", encode(name));
    let headers = [("content-type", content_type)];
    by.send_raw(Method::POST, &path, Some(bytes.to_vec()), &headers)
        .await
        .expect("the daemon answers")
}

/// `POST path` with a multipart body of `(field, file name, type, bytes)` parts.
pub async fn upload_parts(
    by: &Client,
    path: &str,
    parts: &[(&str, &str, &str, &[u8])],
) -> RawResponse {
    let (body, boundary) = multipart_body(parts);
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let headers = [("content-type", content_type.as_str())];
    by.send_raw(Method::POST, path, Some(body), &headers)
        .await
        .expect("the daemon answers")
}

/// Uploads one file as the multipart part `file`; expects 201.
pub async fn upload(by: &Client, name: &str, content_type: &str, bytes: &[u8]) -> FileMeta {
    let response = upload_parts(by, "/api/v1/files", &[("file", name, content_type, bytes)]).await;
    assert_eq!(
        response.status,
        201,
        "upload {name}: {}",
        String::from_utf8_lossy(&response.body)
    );
    response.json().expect("FileMeta")
}

/// `GET path` with extra headers.
pub async fn get_with(by: &Client, path: &str, headers: &[(&str, &str)]) -> RawResponse {
    by.send_raw(Method::GET, path, None, headers)
        .await
        .expect("the daemon answers")
}

/// `GET /api/v1/files/{id}`.
pub async fn download(by: &Client, id: Id) -> RawResponse {
    get_with(by, &format!("/api/v1/files/{id}"), &[]).await
}

pub fn header<'r>(response: &'r RawResponse, name: &str) -> &'r str {
    response
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// --- Images --------------------------------------------------------------

pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/files")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// EXIF orientation "rotate 90° clockwise to display".
pub const ROTATE_90: u16 = 6;

// --- S3 on moto ------------------------------------------------------------

fn s3_config(bucket: &str) -> S3Config {
    S3Config {
        bucket: bucket.to_owned(),
        region: "us-east-1".to_owned(),
        endpoint: Some(format!("http://{}", moto_endpoint())),
        access_key_id: "testing".to_owned(),
        secret_access_key: "testing".to_owned(),
        allow_http: true,
        prefix: "blobs".to_owned(),
    }
}

/// A new, empty bucket of its own for one test.
fn fresh_bucket() -> String {
    let name = format!("cc-{}", Id::generate(0).to_string().to_lowercase());
    let response = moto_request("PUT", &format!("/{name}"));
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "create bucket {name}: {response}"
    );
    name
}

/// Object keys under the blob prefix of `bucket`, without the prefix.
fn s3_blobs(bucket: &str) -> Vec<String> {
    let listing = moto_request("GET", &format!("/{bucket}?list-type=2&prefix=blobs/"));
    listing
        .split("<Key>")
        .skip(1)
        .filter_map(|rest| rest.split("</Key>").next())
        .map(|key| key.trim_start_matches("blobs/").to_owned())
        .filter(|key| !key.starts_with('.'))
        .collect()
}

/// A plain HTTP request to moto (it does not check signatures).
fn moto_request(method: &str, target: &str) -> String {
    let endpoint = moto_endpoint();
    let mut stream = TcpStream::connect(endpoint).expect("connect to moto");
    write!(
        stream,
        "{method} {target} HTTP/1.1\r\nHost: {endpoint}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("send to moto");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read from moto");
    response
}

/// `127.0.0.1:<port>` of the moto server of this test binary, started on
/// first use. It runs under `sh` reading our stdin pipe: when the tests end
/// the pipe closes and `sh` stops the server, so none outlives the tests.
pub fn moto_endpoint() -> &'static str {
    static SERVER: OnceLock<(Child, String)> = OnceLock::new();
    &SERVER.get_or_init(start_moto).1
}

fn start_moto() -> (Child, String) {
    let found = Command::new("moto_server")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(
        found.is_ok_and(|status| status.success()),
        "`moto_server` is not on PATH; install it with `sh daemon/files/ci-deps.sh`"
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new("sh")
        .args([
            "-c",
            "moto_server -H 127.0.0.1 -p \"$1\" >/dev/null 2>&1 & server=$!; cat >/dev/null; kill $server",
        ])
        .args(["moto", &port.to_string()])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn sh for moto_server");
    let endpoint = format!("127.0.0.1:{port}");
    let start = Instant::now();
    while TcpStream::connect(&endpoint).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "moto_server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, endpoint)
}
