//! Thumbnails with longest side ≤ `ImagePolicy::thumbnail_max_side`.
//!
//! JPEG takes a fast path: libjpeg-turbo scales while decoding (IDCT at 1/8 to 7/8), so
//! a 12-megapixel photo is decoded straight to 500×375 and never exists in memory at
//! full size. Other formats, and JPEGs the fast path cannot handle (CMYK, 12-bit,
//! lossless, anything libjpeg-turbo refuses), are decoded in full under the limits.

use std::path::Path;

use image::imageops::FilterType;
use image::DynamicImage;

use super::decode::{decode_upright, swaps_sides};
use super::plan::{JpegHeader, Plan};
use super::{encode, Dimensions, ImagePolicy, Thumbnail};
use crate::{FileError, FileKind};

/// JPEG quality of thumbnails.
const THUMBNAIL_QUALITY: u8 = 80;

/// The thumbnail of the image at `path`, and the dimensions of the original (as
/// displayed). `Unprocessable` for corrupt images and images over the limits.
pub fn thumbnail(
    path: &Path,
    kind: FileKind,
    policy: &ImagePolicy,
) -> Result<(Dimensions, Thumbnail), FileError> {
    let plan = Plan::read(path, kind, 0, policy)?;
    let bytes = std::fs::read(path)?;
    from_bytes(&bytes, &plan, policy)
}

/// The thumbnail of the image in `bytes`, described by `plan`, and its dimensions.
pub(super) fn from_bytes(
    bytes: &[u8],
    plan: &Plan,
    policy: &ImagePolicy,
) -> Result<(Dimensions, Thumbnail), FileError> {
    let fast = match &plan.jpeg {
        Some(jpeg) if jpeg.scalable() => shrink_on_load(bytes, jpeg, policy).ok(),
        _ => None,
    };
    // A JPEG the fast path refuses (a truncated one, say) may still decode in full.
    let (dimensions, small) = match fast {
        Some(found) => found,
        None => {
            let image = decode_upright(bytes, plan, policy)?;
            (dimensions_of(&image), shrink(image, policy))
        }
    };
    Ok((dimensions, encode_thumbnail(&small)?))
}

/// The thumbnail of an image decoded (upright) already.
pub(super) fn of_image(image: &DynamicImage, policy: &ImagePolicy) -> Result<Thumbnail, FileError> {
    let side = policy.thumbnail_max_side;
    if image.width().max(image.height()) > side {
        encode_thumbnail(&image.thumbnail(side, side))
    } else {
        encode_thumbnail(image)
    }
}

pub(super) fn dimensions_of(image: &DynamicImage) -> Dimensions {
    Dimensions {
        width: image.width(),
        height: image.height(),
    }
}

/// `image` shrunk to fit the thumbnail side, if it is larger.
fn shrink(image: DynamicImage, policy: &ImagePolicy) -> DynamicImage {
    let side = policy.thumbnail_max_side;
    if image.width().max(image.height()) > side {
        image.thumbnail(side, side)
    } else {
        image
    }
}

/// The JPEG fast path: decoded at a DCT scale, never at full size.
fn shrink_on_load(
    bytes: &[u8],
    jpeg: &JpegHeader,
    policy: &ImagePolicy,
) -> Result<(Dimensions, DynamicImage), FileError> {
    let scaled = super::jpeg::decode_rgb(bytes, Some(policy.thumbnail_max_side))?;
    let image = DynamicImage::ImageRgb8(scaled);
    let mut small = fit(image, policy.thumbnail_max_side);
    small.apply_orientation(jpeg.orientation);
    let (width, height) = (jpeg.width, jpeg.height);
    let dimensions = if swaps_sides(jpeg.orientation) {
        Dimensions {
            width: height,
            height: width,
        }
    } else {
        Dimensions { width, height }
    };
    Ok((dimensions, small))
}

/// `image` shrunk (never enlarged) to fit a `max_side` square, keeping its aspect.
fn fit(image: DynamicImage, max_side: u32) -> DynamicImage {
    if image.width().max(image.height()) <= max_side {
        return image;
    }
    image.resize(max_side, max_side, FilterType::Triangle)
}

fn encode_thumbnail(small: &DynamicImage) -> Result<Thumbnail, FileError> {
    let (kind, bytes) = encode::for_storage(small, THUMBNAIL_QUALITY)?;
    Ok(Thumbnail {
        bytes: bytes.into(),
        kind,
        width: small.width(),
        height: small.height(),
    })
}
