//! Image work: limits against decompression bombs, thumbnails, EXIF orientation,
//! compression, and the concurrency cap.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use commcenter::wire::ErrorCode;
use commcenter_files::images::{self, ImagePolicy, ImageWorkers};
use commcenter_files::{BlobKey, FileError, FileKind};
use image::codecs::png::PngEncoder;
use image::GrayImage;
use image::{DynamicImage, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

use common::craft::{bomb_png, bomb_png_1bit, exif_orientation, jpeg};
use common::{fixture_path, photo::photo_like};

const RED: Rgb<u8> = Rgb([220, 20, 20]);
const BLUE: Rgb<u8> = Rgb([20, 20, 220]);

/// EXIF orientation "rotate 90° clockwise to display".
const ROTATE_90: u16 = 6;

fn policy() -> ImagePolicy {
    ImagePolicy::default()
}

fn write_jpeg(path: &Path, image: &RgbImage, quality: u8, orientation: Option<u16>) -> PathBuf {
    std::fs::write(path, jpeg(image, quality, orientation)).unwrap();
    path.to_path_buf()
}

fn write_png(path: &Path, image: &RgbaImage, orientation: Option<u16>) -> PathBuf {
    let mut out = Vec::new();
    let mut encoder = PngEncoder::new(&mut out);
    if let Some(value) = orientation {
        encoder.set_exif_metadata(exif_orientation(value)).unwrap();
    }
    encoder
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgba8,
        )
        .unwrap();
    std::fs::write(path, out).unwrap();
    path.to_path_buf()
}

/// Left half red, right half blue: after a 90° clockwise turn, red is on top.
fn red_left_blue_right(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, _| if x < width / 2 { RED } else { BLUE })
}

fn is_close(pixel: Rgb<u8>, expected: Rgb<u8>) -> bool {
    pixel
        .0
        .iter()
        .zip(expected.0)
        .all(|(a, b)| a.abs_diff(b) < 40)
}

fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).expect("decodable output")
}

fn assert_refused_fast(result: Result<impl std::fmt::Debug, FileError>, started: Instant) {
    let elapsed = started.elapsed();
    match result {
        Err(FileError::Unprocessable(_)) => {}
        other => panic!("expected Unprocessable, got {other:?}"),
    }
    assert!(elapsed < Duration::from_millis(500), "took {elapsed:?}");
}

#[test]
fn png_claiming_100000_by_100000_pixels_is_refused_fast() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.png");
    std::fs::write(&path, bomb_png(100_000, 100_000)).unwrap();
    let started = Instant::now();
    assert_refused_fast(images::thumbnail(&path, FileKind::Png, &policy()), started);
    let started = Instant::now();
    assert_refused_fast(
        images::process(&path, FileKind::Png, 100, &policy(), dir.path()),
        started,
    );
}

#[test]
fn png_within_side_limits_but_over_the_memory_limit_is_refused_fast() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.png");
    std::fs::write(&path, bomb_png(16_000, 16_000)).unwrap(); // 768 MB of RGB
    let started = Instant::now();
    assert_refused_fast(images::thumbnail(&path, FileKind::Png, &policy()), started);
}

#[test]
fn jpeg_claiming_huge_dimensions_is_refused_fast() {
    let dir = tempfile::tempdir().unwrap();
    let mut jpeg = std::fs::read(fixture_path("photo.jpg")).unwrap();
    let sof = jpeg
        .windows(2)
        .position(|m| m == [0xFF, 0xC0])
        .expect("baseline SOF0 marker");
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]); // 60000 × 60000
    let path = dir.path().join("bomb.jpg");
    std::fs::write(&path, jpeg).unwrap();
    let started = Instant::now();
    assert_refused_fast(images::thumbnail(&path, FileKind::Jpeg, &policy()), started);
}

#[test]
fn corrupt_image_is_unprocessable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.jpg");
    std::fs::write(&path, b"\xFF\xD8\xFF\xE0 this is not really a jpeg").unwrap();
    let err = images::thumbnail(&path, FileKind::Jpeg, &policy()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unprocessable);
}

#[test]
fn landscape_jpeg_thumbnail_has_longest_side_320() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_jpeg(
        &dir.path().join("site.jpg"),
        &photo_like(1600, 1200, 4),
        90,
        None,
    );
    let (original, thumb) = images::thumbnail(&path, FileKind::Jpeg, &policy()).unwrap();
    assert_eq!((original.width, original.height), (1600, 1200));
    assert_eq!(
        (thumb.width, thumb.height, thumb.kind),
        (320, 240, FileKind::Jpeg)
    );
    let decoded = decode(&thumb.bytes);
    assert_eq!((decoded.width(), decoded.height()), (320, 240));
}

#[test]
fn every_decodable_fixture_gets_a_thumbnail() {
    for (name, kind) in [
        ("photo.jpg", FileKind::Jpeg),
        ("photo.png", FileKind::Png),
        ("anim.gif", FileKind::Gif),
        ("photo.webp", FileKind::Webp),
    ] {
        let (original, thumb) = images::thumbnail(&fixture_path(name), kind, &policy()).unwrap();
        let decoded = decode(&thumb.bytes);
        assert_eq!(
            (decoded.width(), decoded.height()),
            (original.width, original.height),
            "{name}: small images are not enlarged"
        );
    }
}

#[test]
fn transparent_png_thumbnail_stays_png() {
    let dir = tempfile::tempdir().unwrap();
    let logo = RgbaImage::from_fn(1000, 500, |x, _| {
        Rgba([0, 0, 0, if x % 2 == 0 { 0 } else { 255 }])
    });
    let path = write_png(&dir.path().join("logo.png"), &logo, None);
    let (_, thumb) = images::thumbnail(&path, FileKind::Png, &policy()).unwrap();
    assert_eq!(
        (thumb.width, thumb.height, thumb.kind),
        (320, 160, FileKind::Png)
    );
    assert!(decode(&thumb.bytes).color().has_alpha());
}

#[test]
fn exif_rotated_jpeg_thumbnail_is_upright() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_jpeg(
        &dir.path().join("phone.jpg"),
        &red_left_blue_right(800, 400),
        90,
        Some(ROTATE_90),
    );
    let (original, thumb) = images::thumbnail(&path, FileKind::Jpeg, &policy()).unwrap();
    assert_eq!((original.width, original.height), (400, 800));
    assert_eq!((thumb.width, thumb.height), (160, 320));
    let upright = decode(&thumb.bytes).to_rgb8();
    assert!(
        is_close(*upright.get_pixel(80, 40), RED),
        "top is the photo's left: red"
    );
    assert!(
        is_close(*upright.get_pixel(80, 280), BLUE),
        "bottom is the photo's right: blue"
    );
}

#[test]
fn exif_rotated_png_thumbnail_is_upright() {
    let dir = tempfile::tempdir().unwrap();
    let opaque = DynamicImage::ImageRgb8(red_left_blue_right(800, 400)).to_rgba8();
    let path = write_png(&dir.path().join("scan.png"), &opaque, Some(ROTATE_90));
    let (original, thumb) = images::thumbnail(&path, FileKind::Png, &policy()).unwrap();
    assert_eq!((original.width, original.height), (400, 800));
    let upright = decode(&thumb.bytes).to_rgb8();
    assert_eq!((upright.width(), upright.height()), (160, 320));
    assert!(is_close(*upright.get_pixel(80, 40), RED));
    assert!(is_close(*upright.get_pixel(80, 280), BLUE));
}

#[test]
fn large_phone_photo_is_stored_upright_under_2_mib() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_jpeg(
        &dir.path().join("big.jpg"),
        &photo_like(2400, 1600, 8),
        98,
        Some(ROTATE_90),
    );
    let original_size = std::fs::metadata(&path).unwrap().len();
    assert!(
        original_size > 2 * 1024 * 1024,
        "fixture must be over the threshold: {original_size}"
    );
    let compressed = images::compress(&path, FileKind::Jpeg, original_size, &policy(), dir.path())
        .unwrap()
        .expect("compressed");
    assert!(
        compressed.size <= 2 * 1024 * 1024,
        "{} bytes",
        compressed.size
    );
    assert_eq!(
        (compressed.kind, compressed.original_size),
        (FileKind::Jpeg, original_size)
    );
    let bytes = std::fs::read(compressed.file.path()).unwrap();
    assert_eq!(
        (bytes.len() as u64, BlobKey::of_bytes(&bytes)),
        (compressed.size, compressed.sha256.clone())
    );
    let stored = decode(&bytes);
    assert_eq!(
        (stored.width(), stored.height()),
        (compressed.width, compressed.height)
    );
    assert!(
        compressed.height > compressed.width,
        "orientation applied: {}x{}",
        compressed.width,
        compressed.height
    );
}

#[test]
fn image_under_the_threshold_is_not_compressed() {
    let path = fixture_path("photo.jpg");
    let size = std::fs::metadata(&path).unwrap().len();
    let dir = tempfile::tempdir().unwrap();
    assert!(
        images::compress(&path, FileKind::Jpeg, size, &policy(), dir.path())
            .unwrap()
            .is_none()
    );
}

#[test]
fn compression_downscales_when_quality_alone_is_not_enough() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_jpeg(
        &dir.path().join("noisy.jpg"),
        &photo_like(1200, 900, 60),
        95,
        None,
    );
    let size = std::fs::metadata(&path).unwrap().len();
    let tight = ImagePolicy {
        compress_above: 100 * 1024,
        ..policy()
    };
    let compressed = images::compress(&path, FileKind::Jpeg, size, &tight, dir.path())
        .unwrap()
        .unwrap();
    assert!(compressed.size <= 100 * 1024);
    assert!(
        compressed.width < 1200,
        "downscaled to {}x{}",
        compressed.width,
        compressed.height
    );
    let aspect = f64::from(compressed.width) / f64::from(compressed.height);
    assert!(
        (aspect - 4.0 / 3.0).abs() < 0.01,
        "aspect kept: {}x{}",
        compressed.width,
        compressed.height
    );
}

#[test]
fn heic_and_documents_are_not_processed() {
    let dir = tempfile::tempdir().unwrap();
    for (name, kind) in [("photo.heic", FileKind::Heic), ("quote.pdf", FileKind::Pdf)] {
        let processed =
            images::process(&fixture_path(name), kind, 3000, &policy(), dir.path()).unwrap();
        assert!(processed.is_none(), "{name}");
    }
}

#[tokio::test]
async fn image_workers_run_at_most_the_cap_at_once() {
    let workers = ImageWorkers::new(policy(), 2);
    let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let jobs = (0..6).map(|_| {
        let (workers, running, peak) = (workers.clone(), running.clone(), peak.clone());
        tokio::spawn(async move {
            workers
                .run(0, move |_| {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(50));
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok(())
                })
                .await
        })
    });
    for job in jobs.collect::<Vec<_>>() {
        job.await.unwrap().unwrap();
    }
    assert_eq!(peak.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn image_workers_process_an_upload_off_the_runtime() {
    let workers = ImageWorkers::new(policy(), 1);
    let path = fixture_path("photo.png");
    let size = std::fs::metadata(&path).unwrap().len();
    let processed = workers
        .process(path, FileKind::Png, size, std::env::temp_dir())
        .await
        .unwrap()
        .expect("an image");
    assert_eq!(
        (processed.dimensions.width, processed.dimensions.height),
        (160, 120)
    );
    assert!(processed.compressed.is_none());
}

const MIB: u64 = 1024 * 1024;

fn policy_with_budget(memory_budget: u64) -> ImagePolicy {
    ImagePolicy {
        memory_budget,
        ..policy()
    }
}

fn png_bytes(image: &DynamicImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn a_truncated_png_is_unprocessable() {
    let dir = tempfile::tempdir().unwrap();
    let whole = png_bytes(&DynamicImage::ImageRgb8(photo_like(400, 300, 8)));
    let path = dir.path().join("cut.png");
    std::fs::write(&path, &whole[..whole.len() / 2]).unwrap();
    let err = images::thumbnail(&path, FileKind::Png, &policy()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unprocessable, "{err}");
    let size = (whole.len() / 2) as u64;
    let err = images::process(&path, FileKind::Png, size, &policy(), dir.path()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unprocessable, "{err}");
}

#[test]
fn a_png_cut_inside_its_header_is_unprocessable() {
    let dir = tempfile::tempdir().unwrap();
    let whole = png_bytes(&DynamicImage::ImageRgb8(photo_like(40, 30, 8)));
    let path = dir.path().join("cut.png");
    std::fs::write(&path, &whole[..20]).unwrap();
    let err = images::thumbnail(&path, FileKind::Png, &policy()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unprocessable, "{err}");
}

#[test]
fn a_truncated_jpeg_still_gets_its_thumbnail() {
    let dir = tempfile::tempdir().unwrap();
    let whole = jpeg(&photo_like(800, 600, 8), 90, None);
    let path = dir.path().join("cut.jpg");
    std::fs::write(&path, &whole[..whole.len() * 3 / 5]).unwrap();
    let (original, thumb) = images::thumbnail(&path, FileKind::Jpeg, &policy()).unwrap();
    assert_eq!((original.width, original.height), (800, 600));
    assert_eq!(decode(&thumb.bytes).to_rgb8().dimensions(), (320, 240));
}

#[tokio::test]
async fn an_image_needing_more_than_the_whole_budget_is_refused_fast() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bilevel.png");
    // 31 KB-ish on the wire, 256 MB once decoded (one byte a pixel).
    std::fs::write(&path, bomb_png_1bit(16_000, 16_000)).unwrap();
    let workers = ImageWorkers::new(policy_with_budget(64 * MIB), 2);
    let started = Instant::now();
    let result = workers
        .process(path, FileKind::Png, 100, dir.path().to_owned())
        .await;
    assert_refused_fast(result, started);
    assert_eq!(
        workers.budget().available(),
        64 * MIB,
        "nothing stays reserved"
    );
}

#[tokio::test]
async fn image_jobs_wait_for_memory_rather_than_exceed_the_budget() {
    // Room for two 20 MiB jobs at once, though four workers are free.
    let workers = ImageWorkers::new(policy_with_budget(50 * MIB), 4);
    let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let jobs: Vec<_> = (0..6)
        .map(|_| {
            let (workers, running, peak) = (workers.clone(), running.clone(), peak.clone());
            tokio::spawn(async move {
                workers
                    .run(20 * MIB, move |_| {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(50));
                        running.fetch_sub(1, Ordering::SeqCst);
                        Ok(())
                    })
                    .await
            })
        })
        .collect();
    for job in jobs {
        job.await.unwrap().unwrap();
    }
    assert_eq!(peak.load(Ordering::SeqCst), 2);
    assert_eq!(workers.budget().available(), 50 * MIB);
}

#[tokio::test]
async fn large_images_at_once_all_succeed_within_a_budget_for_one() {
    let dir = tempfile::tempdir().unwrap();
    // 3000×3000 gray: 9 MB decoded each; a budget of 24 MiB runs one at a time.
    let gray = DynamicImage::ImageLuma8(GrayImage::from_fn(3000, 3000, |x, y| {
        image::Luma([((x / 7 + y / 5) % 256) as u8])
    }));
    let bytes = png_bytes(&gray);
    let workers = ImageWorkers::new(policy_with_budget(24 * MIB), 4);
    let jobs: Vec<_> = (0..4)
        .map(|n| {
            let path = dir.path().join(format!("scan-{n}.png"));
            std::fs::write(&path, &bytes).unwrap();
            let (workers, tmp, size) = (workers.clone(), dir.path().to_owned(), bytes.len() as u64);
            tokio::spawn(async move { workers.process(path, FileKind::Png, size, tmp).await })
        })
        .collect();
    for job in jobs {
        let processed = job.await.unwrap().unwrap().expect("an image");
        assert_eq!(processed.dimensions.width, 3000);
        assert_eq!(
            (processed.thumbnail.width, processed.thumbnail.height),
            (320, 320)
        );
    }
    assert_eq!(workers.budget().available(), 24 * MIB);
}
