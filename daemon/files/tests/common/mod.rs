//! Shared test helpers: fixtures, body streams, storage backends (local and a real
//! S3-compatible server, moto, started here).

#![allow(dead_code)] // each test binary uses a different subset

pub mod craft;
pub mod photo;

#[allow(unused_imports)] // each test binary uses some of them
pub use craft::multipart_body;

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::Bytes;
use commcenter_files::storage::{BlobStore, S3Config, StorageConfig};
use commcenter_files::FileKind;
use futures_core::Stream;

/// Every fixture under `fixtures/files/`, with the kind its bytes must be detected as.
pub const FIXTURES: &[(&str, FileKind)] = &[
    ("photo.jpg", FileKind::Jpeg),
    ("photo.png", FileKind::Png),
    ("anim.gif", FileKind::Gif),
    ("photo.webp", FileKind::Webp),
    ("photo.heic", FileKind::Heic),
    ("quote.pdf", FileKind::Pdf),
    ("notes.txt", FileKind::Text),
    ("hours.csv", FileKind::Csv),
    ("letter.docx", FileKind::Docx),
    ("sheet.xlsx", FileKind::Xlsx),
    ("tone.mp3", FileKind::Mp3),
    ("tone.m4a", FileKind::M4a),
    ("tone.ogg", FileKind::Ogg),
    ("tone.wav", FileKind::Wav),
    ("clip.mp4", FileKind::Mp4),
    ("clip.mov", FileKind::Mov),
    ("clip.webm", FileKind::Webm),
];

pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/files")
        .join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|err| panic!("fixture {name}: {err}"))
}

/// `bytes` as a body stream of `chunk`-byte pieces.
pub fn body(
    bytes: &[u8],
    chunk: usize,
) -> impl Stream<Item = Result<Bytes, io::Error>> + Send + 'static {
    let pieces: Vec<Result<Bytes, io::Error>> = bytes
        .chunks(chunk.max(1))
        .map(|piece| Ok(Bytes::copy_from_slice(piece)))
        .collect();
    futures_util::stream::iter(pieces)
}

/// Names of the entries of `dir` (to prove temp files are gone).
pub fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("readable dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// A store on local disk in a fresh temp dir (kept alive by the returned guard).
pub async fn local_store() -> (BlobStore, tempfile::TempDir) {
    let root = tempfile::tempdir().expect("temp dir");
    let config = StorageConfig::Local {
        root: root.path().join("blobs"),
    };
    (BlobStore::open(&config).await.expect("local store"), root)
}

/// A store on the test's moto server, in a bucket of its own.
pub async fn s3_store(bucket: &str) -> BlobStore {
    let endpoint = moto_endpoint();
    create_bucket(endpoint, bucket);
    let config = StorageConfig::S3(S3Config {
        bucket: bucket.to_owned(),
        region: "us-east-1".to_owned(),
        endpoint: Some(format!("http://{endpoint}")),
        access_key_id: "testing".to_owned(),
        secret_access_key: "testing".to_owned(),
        allow_http: true,
        prefix: "blobs".to_owned(),
    });
    BlobStore::open(&config).await.expect("s3 store")
}

/// `127.0.0.1:<port>` of one moto server shared by the tests of this binary.
///
/// The server runs under `sh` reading our stdin pipe: when the test process exits,
/// the pipe closes and `sh` stops the server, so no server outlives the tests.
pub fn moto_endpoint() -> &'static str {
    static SERVER: OnceLock<(Child, String)> = OnceLock::new();
    &SERVER.get_or_init(start_moto).1
}

fn start_moto() -> (Child, String) {
    require_moto();
    let port = free_port();
    let child = Command::new("sh")
        .args(["-c", "moto_server -H 127.0.0.1 -p \"$1\" >/dev/null 2>&1 & server=$!; cat >/dev/null; kill $server"])
        .args(["moto", &port.to_string()])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn sh for moto_server");
    let endpoint = format!("127.0.0.1:{port}");
    wait_for_listener(&endpoint, Duration::from_secs(60));
    (child, endpoint)
}

fn require_moto() {
    let found = Command::new("moto_server")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !found.is_ok_and(|status| status.success()) {
        panic!(
            "`moto_server` is not on PATH, but the S3 backend tests need it. \
             Install it with `sh daemon/files/ci-deps.sh` (pip install 'moto[server]')."
        );
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

fn wait_for_listener(endpoint: &str, patience: Duration) {
    let start = Instant::now();
    while TcpStream::connect(endpoint).is_err() {
        assert!(
            start.elapsed() < patience,
            "moto_server did not listen on {endpoint} within {patience:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Creates `bucket` with a plain HTTP request (moto does not check signatures).
fn create_bucket(endpoint: &str, bucket: &str) {
    let mut stream = TcpStream::connect(endpoint).expect("connect to moto");
    write!(
        stream,
        "PUT /{bucket} HTTP/1.1\r\nHost: {endpoint}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("send create-bucket request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read create-bucket response");
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "create bucket {bucket}: {response}"
    );
}
