//! Median time of a thumbnail of a 12-megapixel JPEG, the benchmark target
//! (≤ 80 ms on the 2-core reference machine).
//!
//! `cargo run --release -p commcenter-files --example thumb_bench [photo.jpg] [runs]`
//!
//! Without a path (or with a path that does not exist yet), a 4000×3000 photo-like
//! JPEG (smooth gradients plus sensor-like noise, quality 90) is generated first (and,
//! given a path, kept there for other tools to compare). The full decode + resize path is timed too,
//! for comparison, and so is compression (which only runs on photos over 2 MiB).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use commcenter_files::images::{self, ImagePolicy};
use commcenter_files::FileKind;

#[path = "../tests/common/photo.rs"]
mod photo;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let scratch = tempfile::tempdir()?;
    let photo = match args.next().map(PathBuf::from) {
        Some(path) if path.exists() => path,
        Some(path) => generate_photo(&path)?,
        None => generate_photo(&scratch.path().join("photo.jpg"))?,
    };
    let runs: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(21);
    let bytes = std::fs::metadata(&photo)?.len();
    let policy = ImagePolicy::default();
    let (dims, thumb) = images::thumbnail(&photo, FileKind::Jpeg, &policy)?;
    println!(
        "photo {} ({}x{}, {bytes} bytes) -> thumbnail {}x{} ({} bytes)",
        photo.display(),
        dims.width,
        dims.height,
        thumb.width,
        thumb.height,
        thumb.bytes.len()
    );
    report(
        "thumbnail (shrink-on-load)",
        time(runs, || {
            images::thumbnail(&photo, FileKind::Jpeg, &policy).map(drop)
        })?,
    );
    report(
        "full decode + resize",
        time(runs.min(7), || full_decode_thumbnail(&photo))?,
    );
    if bytes > policy.compress_above {
        let tmp = scratch.path();
        report(
            "compress over 2 MiB (whole pipeline)",
            time(3, || {
                let compressed = images::compress(&photo, FileKind::Jpeg, bytes, &policy, tmp)?;
                if let Some(compressed) = compressed {
                    println!(
                        "  compressed to {} bytes, {}x{}",
                        compressed.size, compressed.width, compressed.height
                    );
                }
                Ok(())
            })?,
        );
    }
    Ok(())
}

fn time<F>(runs: usize, mut job: F) -> Result<Vec<Duration>, Box<dyn std::error::Error>>
where
    F: FnMut() -> Result<(), commcenter_files::FileError>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        job()?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times)
}

fn report(what: &str, times: Vec<Duration>) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: median {:.1} ms, min {:.1} ms, max {:.1} ms over {} runs",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
        times.len()
    );
}

/// The plain way, for comparison: decode at full size, then resize.
fn full_decode_thumbnail(photo: &std::path::Path) -> Result<(), commcenter_files::FileError> {
    let image = image::ImageReader::open(photo)?
        .with_guessed_format()?
        .decode()?;
    let small = image.resize(320, 320, image::imageops::FilterType::Triangle);
    std::hint::black_box(small);
    Ok(())
}

/// A 4000×3000 photo-like JPEG at quality 90 (see `tests/common/photo.rs`).
fn generate_photo(path: &std::path::Path) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let image = photo::photo_like(4000, 3000, 6);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&image)?;
    Ok(path.to_path_buf())
}
