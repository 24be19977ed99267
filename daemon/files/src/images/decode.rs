//! Decoding under explicit limits, with EXIF orientation applied.
//!
//! Images are decoded from their bytes in memory (read whole once the memory budget
//! is reserved), so a decoder's I/O error can only mean that the image ends early:
//! every decoding failure is the client's (`Unprocessable`), never a 500.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageFormat, ImageReader};

use super::plan::Plan;
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

/// Decodes the (first frame of the) image in `bytes`, described by `plan`, upright.
pub(super) fn decode_upright(
    bytes: &[u8],
    plan: &Plan,
    policy: &ImagePolicy,
) -> Result<DynamicImage, FileError> {
    let fast = match &plan.jpeg {
        Some(jpeg) if jpeg.scalable() => super::jpeg::decode_rgb(bytes, None).ok(),
        _ => None,
    };
    let mut image = match fast {
        Some(rgb) => DynamicImage::ImageRgb8(rgb),
        None => decode_with_image(bytes, plan.kind, policy)?,
    };
    image.apply_orientation(plan.orientation);
    Ok(image)
}

/// Decodes with the `image` crate: every format, and JPEGs libjpeg-turbo refuses
/// (CMYK, 12-bit, and files cut short, whose missing rows come out gray).
fn decode_with_image(
    bytes: &[u8],
    kind: FileKind,
    policy: &ImagePolicy,
) -> Result<DynamicImage, FileError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format_of(kind)?);
    reader.limits(limits(policy));
    let decoder = reader.into_decoder().map_err(corrupt)?;
    DynamicImage::from_decoder(decoder).map_err(corrupt)
}

/// Maps a failure to decode bytes held in memory: an I/O error there is the image
/// ending early.
pub(super) fn corrupt(err: image::ImageError) -> FileError {
    match err {
        image::ImageError::IoError(io) => {
            FileError::Unprocessable(format!("image is truncated or corrupt: {io}"))
        }
        other => other.into(),
    }
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

pub(super) fn format_of(kind: FileKind) -> Result<ImageFormat, FileError> {
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
