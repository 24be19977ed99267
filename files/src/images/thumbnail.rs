//! Thumbnails with longest side ≤ `ImagePolicy::thumbnail_max_side`.
//!
//! JPEG takes a fast path: `jpeg-decoder` scales while decoding (IDCT at 1/2, 1/4 or
//! 1/8), so a 12-megapixel photo is decoded straight to about 500×375 and never exists
//! in memory at full size. Other formats, and JPEGs the fast path cannot handle (CMYK,
//! 16-bit, anything `jpeg-decoder` rejects), are decoded in full under the limits.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, RgbImage};
use jpeg_decoder::PixelFormat;

use super::decode::{check_alloc, decode_upright, swaps_sides};
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
    let (dimensions, small) = match kind {
        FileKind::Jpeg => match shrink_on_load(path, policy)? {
            Some(found) => found,
            None => from_full_decode(path, kind, policy)?,
        },
        _ => from_full_decode(path, kind, policy)?,
    };
    Ok((dimensions, encode_thumbnail(&small)?))
}

/// The original's dimensions and an upright image whose longest side fits the policy.
type Shrunk = (Dimensions, DynamicImage);

fn from_full_decode(
    path: &Path,
    kind: FileKind,
    policy: &ImagePolicy,
) -> Result<Shrunk, FileError> {
    let image = decode_upright(path, kind, policy)?;
    let dimensions = Dimensions {
        width: image.width(),
        height: image.height(),
    };
    let side = policy.thumbnail_max_side;
    let small = if image.width().max(image.height()) > side {
        image.thumbnail(side, side)
    } else {
        image
    };
    Ok((dimensions, small))
}

/// The JPEG fast path; `Ok(None)` when this JPEG needs the full decoder instead.
fn shrink_on_load(path: &Path, policy: &ImagePolicy) -> Result<Option<Shrunk>, FileError> {
    let mut decoder = jpeg_decoder::Decoder::new(BufReader::new(File::open(path)?));
    if decoder.read_info().is_err() {
        return Ok(None);
    }
    let Some(info) = decoder.info() else {
        return Ok(None);
    };
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    image::Limits::check_dimensions(&super::decode::limits(policy), width, height)?;
    let Some(pixels) = decode_scaled(&mut decoder, width, height, policy)? else {
        return Ok(None);
    };
    let orientation = decoder
        .exif_data()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    let mut small = fit(pixels, policy.thumbnail_max_side);
    small.apply_orientation(orientation);
    let dimensions = if swaps_sides(orientation) {
        Dimensions {
            width: height,
            height: width,
        }
    } else {
        Dimensions { width, height }
    };
    Ok(Some((dimensions, small)))
}

/// Decodes at the smallest DCT scale that still gives ≥ `thumbnail_max_side` on the
/// longest side. `None` for pixel formats or streams the fast path does not handle.
fn decode_scaled<R: std::io::Read>(
    decoder: &mut jpeg_decoder::Decoder<R>,
    width: u32,
    height: u32,
    policy: &ImagePolicy,
) -> Result<Option<DynamicImage>, FileError> {
    let (want_w, want_h) = scaled_request(width, height, policy.thumbnail_max_side);
    let Ok((out_w, out_h)) = decoder.scale(want_w, want_h) else {
        return Ok(None);
    };
    let (out_w, out_h) = (u32::from(out_w), u32::from(out_h));
    let channels = match decoder.info().map(|info| info.pixel_format) {
        Some(PixelFormat::L8) => 1,
        Some(PixelFormat::RGB24) => 3,
        _ => return Ok(None),
    };
    check_alloc(u64::from(out_w) * u64::from(out_h) * channels, policy)?;
    decoder.set_max_decoding_buffer_size(usize::try_from(policy.max_alloc).unwrap_or(usize::MAX));
    let Ok(pixels) = decoder.decode() else {
        return Ok(None);
    };
    let image = match channels {
        1 => GrayImage::from_raw(out_w, out_h, pixels).map(DynamicImage::ImageLuma8),
        _ => RgbImage::from_raw(out_w, out_h, pixels).map(DynamicImage::ImageRgb8),
    };
    Ok(image)
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
