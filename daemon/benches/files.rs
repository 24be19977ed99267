//! File uploads against a real release `commcenterd` on 127.0.0.1.
//!
//! 1. One 256 MiB upload (a video: MP4 header, incompressible bytes), three
//!    times with different bytes: MiB/s end to end (201 answered, blob fsync'd,
//!    record committed), and the daemon's peak RSS growth during the upload
//!    (`VmHWM` reset through `/proc/PID/clear_refs` before, read after),
//!    next to `sha256sum` over the same bytes in the same run.
//! 2. Thumbnail of a 12-megapixel JPEG: the image pipeline's median in this
//!    process, and the median of whole uploads of that JPEG (kept under the
//!    2 MiB compression threshold, so the daemon only makes the thumbnail).
//! 3. Against Pillow (libjpeg-turbo), on the same bytes in the same run: a
//!    12 MP JPEG of about 1.7 MiB (thumbnail only) and one of about 3.1 MiB
//!    (full decode, re-encode under 2 MiB, thumbnail), each uploaded whole to
//!    the daemon (median of whole uploads, and of the image pipeline in this
//!    process) next to `pillow_peer.py` doing the same work (median, from the
//!    bytes in memory). Pillow comes from PyPI (`sh scripts/test-peers.sh`).
//! 4. One batch request of 50 phone-size photos (12 MP JPEGs over 2 MiB, so
//!    each is thumbnailed and compressed): total seconds, and the daemon's CPU
//!    seconds over wall seconds (how many cores it kept busy).
//!
//! Run: `cargo bench -p commcenterd --bench files [-- PART...]`, where a PART
//! is `upload`, `thumbnail`, `pillow` or `batch` (default: all); `images` is
//! `thumbnail pillow batch`.

#[path = "../files/tests/common/craft.rs"]
mod craft;
#[path = "../files/tests/common/photo.rs"]
mod photo;
mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use commcenter::client::{Client, RawResponse};
use commcenter::wire::{BatchUpload, FileMeta};
use commcenter_files::images::{self, ImagePolicy, ProcessedImage};
use commcenter_files::FileKind;
use http::Method;
use image::RgbImage;
use support::{status_kib, Daemon};

const MIB: usize = 1024 * 1024;
const BIG_MIB: usize = 256;
const BIG_RUNS: usize = 3;
const THUMB_RUNS: usize = 15;
const BATCH_PHOTOS: usize = 50;
const PILLOW_RUNS: usize = 15;
/// 12 megapixels, 4:3, as phones take them.
const PHOTO: (u32, u32) = (4000, 3000);
/// Grain and JPEG quality of the 12 MP photo of about 1.7 MiB (under the 2 MiB
/// compression threshold) and of the one of about 3.1 MiB (over it).
const SMALL_PHOTO: (u64, u8) = (5, 85);
const LARGE_PHOTO: (u64, u8) = (8, 90);

/// Resets the peak RSS (`VmHWM`) of `pid` to its current RSS.
fn reset_peak_rss(pid: u32) {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("reset VmHWM");
}

/// User plus system CPU time of `pid`, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("proc stat");
    let after_name = stat.rsplit_once(')').expect("stat format").1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0 // USER_HZ is 100 on Linux
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// `size` bytes of an MP4 file: an `ftyp` box, then incompressible noise.
fn video_bytes(size: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(size);
    bytes.extend_from_slice(b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2");
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    while bytes.len() < size {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(size);
    bytes
}

fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    craft::jpeg(image, quality, None)
}

/// `base` with `n` after the end marker: other bytes (no dedupe), same image.
fn variant(base: &[u8], n: usize) -> Vec<u8> {
    let mut bytes = base.to_vec();
    bytes.extend_from_slice(format!("variant {n}").as_bytes());
    bytes
}

async fn upload_raw(admin: &Client, name: &str, content_type: &str, bytes: Vec<u8>) -> FileMeta {
    let path = format!("/api/v1/files?name={name}");
    let headers = [("content-type", content_type)];
    let response = admin
        .send_raw(Method::POST, &path, Some(bytes), &headers)
        .await
        .expect("upload");
    expect_status(&response, 201);
    response.json().expect("FileMeta")
}

fn expect_status(response: &RawResponse, status: u16) {
    assert_eq!(
        response.status,
        status,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
}

/// `sha256sum` over `path`; returns the seconds it took.
fn sha256sum_seconds(path: &Path) -> f64 {
    let start = Instant::now();
    let status = Command::new("sha256sum")
        .arg(path)
        .stdout(Stdio::null())
        .status()
        .expect("run sha256sum");
    assert!(status.success());
    start.elapsed().as_secs_f64()
}

async fn big_upload(daemon: &Daemon, admin: &Client, scratch: &Path) {
    let pid = daemon.child.id();
    let mut bytes = video_bytes(BIG_MIB * MIB);
    let path = scratch.join("big.mp4");
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(&bytes))
        .expect("write the big file");
    sha256sum_seconds(&path); // warms the page cache for a fair comparison
    println!("upload of a {BIG_MIB} MiB file (MP4, incompressible):");
    for run in 0..BIG_RUNS {
        bytes[64..72].copy_from_slice(&(run as u64).to_le_bytes());
        let rss_before = status_kib(pid, "VmRSS:");
        reset_peak_rss(pid);
        let start = Instant::now();
        let meta = upload_raw(admin, "big.mp4", "video/mp4", bytes.clone()).await;
        let seconds = start.elapsed().as_secs_f64();
        let growth = status_kib(pid, "VmHWM:").saturating_sub(rss_before);
        assert_eq!(meta.size as usize, BIG_MIB * MIB);
        let sha = sha256sum_seconds(&path);
        println!(
            "  run {}: upload {:>6.0} MiB/s ({:.3} s), peak RSS growth {:>5.1} MiB | sha256sum {:>6.0} MiB/s ({:.3} s)",
            run + 1,
            BIG_MIB as f64 / seconds,
            seconds,
            growth as f64 / 1024.0,
            BIG_MIB as f64 / sha,
            sha
        );
    }
}

async fn thumbnail(admin: &Client, scratch: &Path) {
    // Smooth (no grain) and at quality 75: 12 MP that stays under 2 MiB.
    let base = jpeg(&photo::photo_like(PHOTO.0, PHOTO.1, 0), 75);
    assert!(
        base.len() < 2 * MIB,
        "the thumbnail photo must not be compressed: {} bytes",
        base.len()
    );
    let path = scratch.join("12mp.jpg");
    std::fs::write(&path, &base).expect("write the photo");
    let in_process = time_thumbnails(&path);
    let phone = jpeg(&photo::photo_like(PHOTO.0, PHOTO.1, 6), 90);
    let phone_path = scratch.join("phone.jpg");
    std::fs::write(&phone_path, &phone).expect("write the phone photo");
    let phone_median = median(time_thumbnails(&phone_path));
    let mut uploads = Vec::new();
    for n in 0..THUMB_RUNS {
        let start = Instant::now();
        let meta = upload_raw(admin, "12mp.jpg", "image/jpeg", variant(&base, n)).await;
        uploads.push(start.elapsed());
        assert!(meta.thumbnail && !meta.compressed);
    }
    println!(
        "thumbnail of a {}x{} JPEG ({:.2} MiB): median {:.1} ms in the image pipeline; whole upload through the daemon median {:.1} ms",
        PHOTO.0,
        PHOTO.1,
        base.len() as f64 / MIB as f64,
        ms(median(in_process)),
        ms(median(uploads))
    );
    println!(
        "thumbnail of a {}x{} phone-like JPEG with sensor grain ({:.2} MiB): median {:.1} ms in the image pipeline",
        PHOTO.0,
        PHOTO.1,
        phone.len() as f64 / MIB as f64,
        ms(phone_median)
    );
}

/// [`THUMB_RUNS`] thumbnails of the JPEG at `path`, in this process.
fn time_thumbnails(path: &Path) -> Vec<Duration> {
    let policy = ImagePolicy::default();
    (0..THUMB_RUNS)
        .map(|_| {
            let start = Instant::now();
            images::thumbnail(path, FileKind::Jpeg, &policy).expect("thumbnail");
            start.elapsed()
        })
        .collect()
}

/// A 12 MP photo-like JPEG with sensor grain of ±`grain` at `quality`.
fn photo_jpeg(grain: u64, quality: u8) -> Vec<u8> {
    jpeg(&photo::photo_like(PHOTO.0, PHOTO.1, grain), quality)
}

/// Median milliseconds of `runs` runs of `job`.
fn median_ms(runs: usize, mut job: impl FnMut()) -> f64 {
    let times = (0..runs)
        .map(|_| {
            let start = Instant::now();
            job();
            start.elapsed()
        })
        .collect();
    ms(median(times))
}

/// `pillow_peer.py` doing `job` on the photo at `path`: its median, in ms.
fn pillow_ms(job: &str, path: &Path) -> Option<f64> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/pillow_peer.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(PILLOW_RUNS.to_string())
        .arg(job)
        .arg(path)
        .output()
        .expect("run python3");
    if !output.status.success() {
        println!(
            "  Pillow did not run (install it with `sh scripts/test-peers.sh`): {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
        return None;
    }
    let line = String::from_utf8_lossy(&output.stdout);
    line.split_whitespace()
        .find_map(|field| field.strip_prefix("median_ms="))
        .and_then(|value| value.parse().ok())
}

/// One side-by-side case: uploads of `photo` through the daemon, the image
/// pipeline in this process, and Pillow on the same bytes.
async fn versus_pillow(admin: &Client, scratch: &Path, what: &str, photo: &[u8], job: &str) {
    let path = scratch.join(format!("{job}.jpg"));
    std::fs::write(&path, photo).expect("write the photo");
    let size = photo.len() as u64;
    let policy = ImagePolicy::default();
    let process = || -> ProcessedImage {
        images::process(&path, FileKind::Jpeg, size, &policy, scratch)
            .expect("process")
            .expect("an image")
    };
    let compresses = process().compressed.is_some();
    assert_eq!(compresses, job == "full", "{what}: compression as intended");
    let pipeline = median_ms(PILLOW_RUNS, || drop(process()));
    let mut uploads = Vec::new();
    for n in 0..PILLOW_RUNS {
        let start = Instant::now();
        let meta = upload_raw(admin, "photo.jpg", "image/jpeg", variant(photo, n)).await;
        uploads.push(start.elapsed());
        assert!(meta.thumbnail && meta.compressed == compresses);
    }
    let upload = ms(median(uploads));
    let pillow = pillow_ms(job, &path);
    let ratio = |ours: f64| pillow.map_or("-".to_owned(), |p| format!("{:.2}x", ours / p));
    println!(
        "{what} ({:.2} MiB): whole upload median {upload:.1} ms ({} Pillow), image pipeline median {pipeline:.1} ms ({} Pillow); Pillow {} ms",
        size as f64 / MIB as f64,
        ratio(upload),
        ratio(pipeline),
        pillow.map_or("-".to_owned(), |p| format!("{p:.1}")),
    );
}

async fn pillow(admin: &Client, scratch: &Path) {
    println!("12 MP JPEGs against Pillow (libjpeg-turbo), same bytes, medians of {PILLOW_RUNS}:");
    let small = photo_jpeg(SMALL_PHOTO.0, SMALL_PHOTO.1);
    let large = photo_jpeg(LARGE_PHOTO.0, LARGE_PHOTO.1);
    versus_pillow(admin, scratch, "  thumbnail only", &small, "thumbnail").await;
    versus_pillow(
        admin,
        scratch,
        "  decode, re-encode under 2 MiB, thumbnail",
        &large,
        "full",
    )
    .await;
}

/// A multipart body of `photos` as parts named `files`.
fn batch_body(photos: &[Vec<u8>]) -> (Vec<u8>, String) {
    let boundary = "----commcenter-bench-boundary".to_owned();
    let mut body = Vec::new();
    for (n, photo) in photos.iter().enumerate() {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"IMG_{n:04}.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
        )
        .unwrap();
        body.extend_from_slice(photo);
        body.extend_from_slice(b"\r\n");
    }
    write!(body, "--{boundary}--\r\n").unwrap();
    (body, boundary)
}

async fn batch(daemon: &Daemon, admin: &Client) {
    // Five scenes with phone-like sensor grain, at quality 90 (3 to 5 MiB each).
    let scenes: Vec<Vec<u8>> = (0..5)
        .map(|n| jpeg(&photo::photo_like(PHOTO.0, PHOTO.1, 4 + n), 90))
        .collect();
    let photos: Vec<Vec<u8>> = (0..BATCH_PHOTOS)
        .map(|n| variant(&scenes[n % scenes.len()], n))
        .collect();
    let total: usize = photos.iter().map(Vec::len).sum();
    let (body, boundary) = batch_body(&photos);
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let pid = daemon.child.id();
    let cpu_before = cpu_seconds(pid);
    let start = Instant::now();
    let response = admin
        .send_raw(
            Method::POST,
            "/api/v1/files/batch",
            Some(body),
            &[("content-type", &content_type)],
        )
        .await
        .expect("batch");
    let seconds = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid) - cpu_before;
    expect_status(&response, 200);
    let answer: BatchUpload = response.json().expect("BatchUpload");
    assert_eq!(answer.uploaded_count, BATCH_PHOTOS, "{:?}", answer.failed);
    let compressed = answer.uploaded.iter().filter(|f| f.compressed).count();
    let stored: u64 = answer.uploaded.iter().map(|f| f.size).sum();
    println!(
        "batch of {BATCH_PHOTOS} photos of {}x{} ({:.0} MiB, {compressed} compressed to {:.0} MiB): {seconds:.2} s, daemon CPU {cpu:.1} s = {:.2} cores busy",
        PHOTO.0,
        PHOTO.1,
        total as f64 / MIB as f64,
        stored as f64 / MIB as f64,
        cpu / seconds
    );
}

/// The parts of the bench named on the command line (all when none is).
fn parts() -> Vec<String> {
    let named: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .flat_map(|a| match a.as_str() {
            "images" => vec!["thumbnail".into(), "pillow".into(), "batch".into()],
            _ => vec![a],
        })
        .collect();
    if named.is_empty() {
        ["upload", "thumbnail", "pillow", "batch"]
            .map(String::from)
            .to_vec()
    } else {
        named
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let parts = parts();
    let run = |part: &str| parts.iter().any(|p| p == part);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average at start (the machine may be shared): {}",
        load.trim()
    );
    let daemon = Daemon::start(
        &[],
        &[("COMMCENTER_MAX_UPLOAD_BYTES", (300 * MIB).to_string())],
    );
    let scratch = tempfile::tempdir().expect("scratch dir");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let admin = daemon.admin();
    runtime.block_on(async {
        while admin.healthz().await.is_err() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if run("upload") {
            big_upload(&daemon, &admin, scratch.path()).await;
        }
        if run("thumbnail") {
            thumbnail(&admin, scratch.path()).await;
        }
        if run("pillow") {
            pillow(&admin, scratch.path()).await;
        }
        if run("batch") {
            batch(&daemon, &admin).await;
        }
    });
}
