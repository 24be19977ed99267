//! Encoding pixels for storage: JPEG for opaque images, PNG where transparency matters.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ImageEncoder, RgbImage, RgbaImage};

use crate::{FileError, FileKind};

/// Encodes `rgb` as baseline JPEG at `quality` (1–100) with 4:2:0 chroma subsampling,
/// with libjpeg-turbo.
pub(super) fn jpeg(rgb: &RgbImage, quality: u8) -> Result<Vec<u8>, FileError> {
    super::jpeg::encode_rgb(rgb, quality)
}

/// Encodes `rgba` as 8-bit RGBA PNG.
pub(super) fn png(rgba: &RgbaImage) -> Result<Vec<u8>, FileError> {
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
        .write_image(
            rgba.as_raw(),
            rgba.width(),
            rgba.height(),
            image::ExtendedColorType::Rgba8,
        )?;
    Ok(out)
}

/// Whether any pixel is not fully opaque (only then is PNG worth its size).
pub(super) fn has_transparency(image: &DynamicImage) -> bool {
    if !image.color().has_alpha() {
        return false;
    }
    let translucent = |rgba: &image::RgbaImage| rgba.pixels().any(|pixel| pixel.0[3] != u8::MAX);
    match image.as_rgba8() {
        Some(rgba) => translucent(rgba),
        None => translucent(&image.to_rgba8()),
    }
}

/// The kind to encode `image` as, and the encoded bytes, at JPEG `quality`.
pub(super) fn for_storage(
    image: &DynamicImage,
    quality: u8,
) -> Result<(FileKind, Vec<u8>), FileError> {
    if has_transparency(image) {
        Ok((FileKind::Png, png(&image.to_rgba8())?))
    } else {
        Ok((FileKind::Jpeg, jpeg(&image.to_rgb8(), quality)?))
    }
}
