//! Shrinking images over `ImagePolicy::compress_above` until they fit under it.
//!
//! Strategy: decode upright, then re-encode as JPEG at the best of the quality steps
//! that fits, chosen in one pass: a sample of the image's rows is encoded at the steps
//! (an eighth of the work each) to predict the size of the whole, which is then encoded
//! once. If even the lowest step is predicted too big, downscale by `DOWNSCALE` and
//! predict again (the smaller image may fit at a higher quality). Images with transparency
//! stay PNG and only get downscaled. The result carries no EXIF (orientation is already
//! applied, and location data goes with it).

use std::io::Write;
use std::path::Path;

use image::{imageops, DynamicImage, ImageBuffer, Pixel, RgbImage};

use super::decode::decode_upright;
use super::plan::Plan;
use super::{encode, Compressed, ImagePolicy};
use crate::{BlobKey, FileError, FileKind};

/// JPEG qualities tried, best first.
const QUALITY_STEPS: [u8; 4] = [85, 75, 65, 50];

/// The sample for predicting the encoded size: bands of this many rows (two rows of
/// 16-pixel blocks, as 4:2:0 JPEG codes them)...
const BAND_ROWS: u32 = 32;

/// ...one band in this many...
const SAMPLE_EVERY: u32 = 8;

/// ...and at least this many bands in the sample.
const MIN_SAMPLED_BANDS: u32 = 4;

/// A quality is chosen when its predicted size is at most this fraction of the target
/// (the prediction is typically within a few per cent).
const PREDICTION_MARGIN: f64 = 0.95;

/// Each downscale multiplies both sides by this.
const DOWNSCALE: f64 = 0.75;

/// Below this longest side (px) we give up rather than ship a postage stamp.
const MIN_SIDE: u32 = 256;

/// The compressed version of the image at `source` (`size` bytes), in a temp file under
/// `tmp_dir`, or `None` when it is small enough already or of a kind that is not
/// recompressed (GIF keeps its animation; HEIC is not decoded).
pub fn compress(
    source: &Path,
    kind: FileKind,
    size: u64,
    policy: &ImagePolicy,
    tmp_dir: &Path,
) -> Result<Option<Compressed>, FileError> {
    if !kind.is_decodable_image() {
        return Ok(None);
    }
    let plan = Plan::read(source, kind, size, policy)?;
    if !plan.compress {
        return Ok(None);
    }
    let bytes = std::fs::read(source)?;
    let image = decode_upright(&bytes, &plan, policy)?;
    drop(bytes);
    from_image(image, size, policy, tmp_dir).map(Some)
}

/// The compressed version of `image` (decoded upright from an upload of
/// `original_size` bytes), in a temp file under `tmp_dir`.
pub(super) fn from_image(
    image: DynamicImage,
    original_size: u64,
    policy: &ImagePolicy,
    tmp_dir: &Path,
) -> Result<Compressed, FileError> {
    let fitted = fit_under(image, policy.compress_above)?;
    write_temp(fitted, original_size, tmp_dir)
}

/// An encoding that fits, with the size of the image it encodes.
struct Fitted {
    kind: FileKind,
    bytes: Vec<u8>,
    width: u32,
    height: u32,
}

fn fit_under(image: DynamicImage, target: u64) -> Result<Fitted, FileError> {
    if encode::has_transparency(&image) {
        let rgba = image.into_rgba8();
        return fit_loop(rgba, target, |rgba| {
            let bytes = encode::png(rgba)?;
            Ok((bytes.len() as u64 <= target).then_some((FileKind::Png, bytes)))
        });
    }
    // Converted once (no copy when it is 8-bit RGB already), not per quality step.
    let rgb = image.into_rgb8();
    fit_loop(rgb, target, |rgb| {
        // The whole image is encoded once, at the quality the sample predicts; a
        // step lower only if the prediction fell short (rarely).
        let Some(first) = predicted_step(rgb, target)? else {
            return Ok(None);
        };
        for quality in &QUALITY_STEPS[first..] {
            let bytes = encode::jpeg(rgb, *quality)?;
            if bytes.len() as u64 <= target {
                return Ok(Some((FileKind::Jpeg, bytes)));
            }
        }
        Ok(None)
    })
}

/// The first of [`QUALITY_STEPS`] at which `rgb` is predicted to encode to at most
/// `target` bytes, from encodings of a sample of its rows; `None` when even the last
/// is predicted too big (so the image is downscaled without trying). Images too small
/// to sample start at the first step.
fn predicted_step(rgb: &RgbImage, target: u64) -> Result<Option<usize>, FileError> {
    let Some(sample) = row_sample(rgb) else {
        return Ok(Some(0));
    };
    let scale = f64::from(rgb.height()) / f64::from(sample.height());
    for (step, quality) in QUALITY_STEPS.iter().enumerate() {
        let predicted = encode::jpeg(&sample, *quality)?.len() as f64 * scale;
        if predicted <= target as f64 * PREDICTION_MARGIN {
            return Ok(Some(step));
        }
    }
    Ok(None)
}

/// Every [`SAMPLE_EVERY`]th band of [`BAND_ROWS`] rows of `rgb`, stacked: a picture of
/// how the whole image compresses, at a fraction of the cost. `None` when the image
/// has too few bands for a fair sample.
fn row_sample(rgb: &RgbImage) -> Option<RgbImage> {
    let bands = rgb.height() / BAND_ROWS;
    if bands < SAMPLE_EVERY * MIN_SAMPLED_BANDS {
        return None;
    }
    let row_bytes = rgb.width() as usize * 3;
    let band_bytes = row_bytes * BAND_ROWS as usize;
    let raw = rgb.as_raw();
    let mut pixels = Vec::with_capacity(band_bytes * (bands / SAMPLE_EVERY + 1) as usize);
    for band in (0..bands).step_by(SAMPLE_EVERY as usize) {
        let start = band as usize * band_bytes;
        pixels.extend_from_slice(&raw[start..start + band_bytes]);
    }
    let rows = (pixels.len() / row_bytes) as u32;
    RgbImage::from_raw(rgb.width(), rows, pixels)
}

/// Tries `encode` on `image`, then on smaller and smaller copies of it, until it
/// gives an encoding (or the image gets too small to be worth keeping).
fn fit_loop<P, E>(
    mut image: ImageBuffer<P, Vec<u8>>,
    target: u64,
    encode: E,
) -> Result<Fitted, FileError>
where
    P: Pixel<Subpixel = u8> + 'static,
    E: Fn(&ImageBuffer<P, Vec<u8>>) -> Result<Option<(FileKind, Vec<u8>)>, FileError>,
{
    loop {
        if let Some((kind, bytes)) = encode(&image)? {
            return Ok(Fitted {
                kind,
                bytes,
                width: image.width(),
                height: image.height(),
            });
        }
        if image.width().max(image.height()) <= MIN_SIDE {
            return Err(FileError::Unprocessable(format!(
                "image cannot be compressed below {target} bytes"
            )));
        }
        image = downscale(&image);
    }
}

/// `image` with both sides times [`DOWNSCALE`], averaged over source areas (no
/// intermediate buffer beyond the result).
fn downscale<P>(image: &ImageBuffer<P, Vec<u8>>) -> ImageBuffer<P, Vec<u8>>
where
    P: Pixel<Subpixel = u8> + 'static,
{
    let shrink = |side: u32| ((f64::from(side) * DOWNSCALE) as u32).max(1);
    imageops::thumbnail(image, shrink(image.width()), shrink(image.height()))
}

fn write_temp(fitted: Fitted, original_size: u64, tmp_dir: &Path) -> Result<Compressed, FileError> {
    let mut file = tempfile::Builder::new()
        .prefix("compressed-")
        .tempfile_in(tmp_dir)?;
    file.write_all(&fitted.bytes)?;
    Ok(Compressed {
        file,
        size: fitted.bytes.len() as u64,
        sha256: BlobKey::of_bytes(&fitted.bytes),
        kind: fitted.kind,
        width: fitted.width,
        height: fitted.height,
        original_size,
    })
}
