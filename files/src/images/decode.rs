//! Decoding under explicit limits, with EXIF orientation applied.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use super::ImagePolicy;
use crate::{FileError, FileKind};

/// The `image` crate's limits for `policy`.
pub(super) fn limits(policy: &ImagePolicy) -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(policy.max_width);
    limits.max_image_height = Some(policy.max_height);
    limits.max_alloc = Some(policy.max_alloc);
    limits
}

/// Decodes the (first frame of the) image at `path`, upright.
///
/// Dimensions are checked against `policy` from the header, before any pixel buffer is
/// allocated, so a small file claiming 100000×100000 px fails in microseconds.
pub(super) fn decode_upright(
    path: &Path,
    kind: FileKind,
    policy: &ImagePolicy,
) -> Result<DynamicImage, FileError> {
    let mut reader = ImageReader::with_format(BufReader::new(File::open(path)?), format_of(kind)?);
    reader.limits(limits(policy));
    let mut decoder = reader.into_decoder()?;
    check_alloc(decoder.total_bytes(), policy)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// Refuses pixel buffers over `policy.max_alloc` bytes.
pub(super) fn check_alloc(bytes: u64, policy: &ImagePolicy) -> Result<(), FileError> {
    if bytes > policy.max_alloc {
        return Err(FileError::Unprocessable(format!(
            "image would need {bytes} bytes of memory to decode; the limit is {}",
            policy.max_alloc
        )));
    }
    Ok(())
}

/// Whether `orientation` turns the image by 90° (so width and height swap).
pub(super) fn swaps_sides(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

fn format_of(kind: FileKind) -> Result<ImageFormat, FileError> {
    match kind {
        FileKind::Jpeg => Ok(ImageFormat::Jpeg),
        FileKind::Png => Ok(ImageFormat::Png),
        FileKind::Gif => Ok(ImageFormat::Gif),
        FileKind::Webp => Ok(ImageFormat::WebP),
        other => Err(FileError::Unprocessable(format!(
            "{other} images are not decoded"
        ))),
    }
}
