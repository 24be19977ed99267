//! Shrinking images over `ImagePolicy::compress_above` until they fit under it.
//!
//! Strategy: decode upright, then re-encode as JPEG at stepwise lower quality; if even
//! the lowest step is too big, downscale by `DOWNSCALE` and try again (starting from the
//! highest quality, since the smaller image may fit at it). Images with transparency
//! stay PNG and only get downscaled. The result carries no EXIF (orientation is already
//! applied, and location data goes with it).

use std::io::Write;
use std::path::Path;

use image::imageops::FilterType;
use image::DynamicImage;

use super::decode::decode_upright;
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
    if size <= policy.compress_above
        || !matches!(kind, FileKind::Jpeg | FileKind::Png | FileKind::Webp)
    {
        return Ok(None);
    }
    let image = decode_upright(source, kind, policy)?;
    let fitted = fit_under(image, policy.compress_above)?;
    let compressed = write_temp(fitted, size, tmp_dir)?;
    Ok(Some(compressed))
}

/// An encoding that fits, with the size of the image it encodes.
struct Fitted {
    kind: FileKind,
    bytes: Vec<u8>,
    width: u32,
    height: u32,
}

fn fit_under(mut image: DynamicImage, target: u64) -> Result<Fitted, FileError> {
    let transparent = encode::has_transparency(&image);
    loop {
        if let Some(fitted) = try_qualities(&image, transparent, target)? {
            return Ok(fitted);
        }
        if image.width().max(image.height()) <= MIN_SIDE {
            return Err(FileError::Unprocessable(format!(
                "image cannot be compressed below {target} bytes"
            )));
        }
        image = downscale(&image);
    }
}

/// The first encoding of `image` down the quality steps that is ≤ `target` bytes.
fn try_qualities(
    image: &DynamicImage,
    transparent: bool,
    target: u64,
) -> Result<Option<Fitted>, FileError> {
    let fitted = |kind, bytes| Fitted {
        kind,
        bytes,
        width: image.width(),
        height: image.height(),
    };
    if transparent {
        let bytes = encode::png(image)?;
        return Ok((bytes.len() as u64 <= target).then(|| fitted(FileKind::Png, bytes)));
    }
    let rgb = image.to_rgb8(); // once, not per quality step
    for quality in QUALITY_STEPS {
        let bytes = encode::jpeg(&rgb, quality)?;
        if bytes.len() as u64 <= target {
            return Ok(Some(fitted(FileKind::Jpeg, bytes)));
        }
    }
    Ok(None)
}

fn downscale(image: &DynamicImage) -> DynamicImage {
    let shrink = |side: u32| ((f64::from(side) * DOWNSCALE) as u32).max(1);
    image.resize_exact(
        shrink(image.width()),
        shrink(image.height()),
        FilterType::Triangle,
    )
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
