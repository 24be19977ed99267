//! Shrinking images over `ImagePolicy::compress_above` until they fit under it.
//!
//! Strategy: decode upright, then re-encode as JPEG at stepwise lower quality; if even
//! the lowest step is too big, downscale by `DOWNSCALE` and try again (starting from the
//! highest quality, since the smaller image may fit at it). Images with transparency
//! stay PNG and only get downscaled. The result carries no EXIF (orientation is already
//! applied, and location data goes with it).

use std::io::Write;
use std::path::Path;

use image::{imageops, DynamicImage, ImageBuffer, Pixel};

use super::decode::decode_upright;
use super::plan::Plan;
use super::{encode, Compressed, ImagePolicy};
use crate::{BlobKey, FileError, FileKind};

/// JPEG qualities tried, best first.
const QUALITY_STEPS: [u8; 4] = [85, 75, 65, 50];

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
        for quality in QUALITY_STEPS {
            let bytes = encode::jpeg(rgb, quality)?;
            if bytes.len() as u64 <= target {
                return Ok(Some((FileKind::Jpeg, bytes)));
            }
        }
        Ok(None)
    })
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
