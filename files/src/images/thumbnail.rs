//! Thumbnails with longest side ≤ `ImagePolicy::thumbnail_max_side`.
//!
//! JPEG takes a fast path: `jpeg-decoder` scales while decoding (IDCT at 1/2, 1/4 or
//! 1/8), so a 12-megapixel photo is decoded straight to about 500×375 and never exists
//! in memory at full size. Other formats, and JPEGs the fast path cannot handle (CMYK,
//! 16-bit, anything `jpeg-decoder` rejects), are decoded in full under the limits.

use std::io::Cursor;
use std::path::Path;

use image::imageops::FilterType;
use image::{DynamicImage, GrayImage, RgbImage};
use jpeg_decoder::PixelFormat;

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
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(usize::try_from(policy.max_alloc).unwrap_or(usize::MAX));
    let (want_w, want_h) = scaled_request(jpeg.width, jpeg.height, policy.thumbnail_max_side);
    decoder
        .scale(want_w, want_h)
        .map_err(|e| FileError::Unprocessable(format!("image cannot be decoded: {e}")))?;
    let pixels = decoder
        .decode()
        .map_err(|e| FileError::Unprocessable(format!("image cannot be decoded: {e}")))?;
    let info = decoder
        .info()
        .ok_or_else(|| FileError::Unprocessable("JPEG without a frame header".into()))?;
    let (out_w, out_h) = (u32::from(info.width), u32::from(info.height));
    let image = match info.pixel_format {
        PixelFormat::L8 => GrayImage::from_raw(out_w, out_h, pixels).map(DynamicImage::ImageLuma8),
        PixelFormat::RGB24 => RgbImage::from_raw(out_w, out_h, pixels).map(DynamicImage::ImageRgb8),
        other => {
            return Err(FileError::Unprocessable(format!(
                "JPEG pixel format {other:?} is not thumbnailed"
            )))
        }
    }
    .ok_or_else(|| {
        FileError::Unprocessable("JPEG decoded to fewer pixels than it claims".into())
    })?;
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

/// The size to ask the JPEG decoder for: the original scaled so its longest side is
/// `max_side` (rounded up, so the decoder never picks a scale that is too small).
fn scaled_request(width: u32, height: u32, max_side: u32) -> (u16, u16) {
    let longest = width.max(height).max(1);
    let scale = |side: u32| {
        let scaled = (u64::from(side) * u64::from(max_side)).div_ceil(u64::from(longest));
        u16::try_from(scaled.clamp(1, u64::from(side))).unwrap_or(u16::MAX)
    };
    (scale(width), scale(height))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_keeps_aspect_and_longest_side() {
        assert_eq!(scaled_request(4000, 3000, 320), (320, 240));
        assert_eq!(scaled_request(3000, 4000, 320), (240, 320));
        assert_eq!(scaled_request(4000, 10, 320), (320, 1));
        assert_eq!(scaled_request(200, 100, 320), (200, 100));
    }
}
