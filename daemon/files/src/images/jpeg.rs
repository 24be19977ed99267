//! JPEG through libjpeg-turbo (the `turbojpeg` crate, built from its bundled source):
//! decoding at a DCT scale for thumbnails, full decoding for compression, and
//! encoding. It is what Pillow uses, and 2–3× faster than the pure-Rust codecs here.
//!
//! libjpeg-turbo reports recoverable damage (a file cut short, stray bytes) as an
//! error after filling the image anyway; the `turbojpeg` crate cannot tell that from a
//! real failure, so every failure here is an error, and callers fall back to the more
//! lenient decoder of the `image` crate for the JPEGs libjpeg-turbo refuses.

use image::RgbImage;
use turbojpeg::{Compressor, Decompressor, Image, PixelFormat, ScalingFactor, Subsamp};

use crate::FileError;

/// Decodes `bytes` to 8-bit RGB at the smallest DCT scale (1/8 to 1) whose longest
/// side is at least `min_side`, or at full size for `None`.
pub(super) fn decode_rgb(bytes: &[u8], min_side: Option<u32>) -> Result<RgbImage, FileError> {
    let mut decompressor = Decompressor::new().map_err(refused)?;
    let header = decompressor.read_header(bytes).map_err(refused)?;
    let factor = min_side.map_or(ScalingFactor::ONE, |side| {
        scale_for(header.width.max(header.height), side as usize)
    });
    decompressor.set_scaling_factor(factor).map_err(refused)?;
    let scaled = header.scaled(factor);
    let mut pixels = vec![0u8; scaled.width * scaled.height * 3];
    let image = Image {
        pixels: pixels.as_mut_slice(),
        width: scaled.width,
        pitch: scaled.width * 3,
        height: scaled.height,
        format: PixelFormat::RGB,
    };
    decompressor.decompress(bytes, image).map_err(refused)?;
    let (width, height) = (side_u32(scaled.width)?, side_u32(scaled.height)?);
    RgbImage::from_raw(width, height, pixels)
        .ok_or_else(|| FileError::Unprocessable("JPEG decoded to a wrong size".into()))
}

/// Encodes `rgb` as baseline JPEG at `quality` (1–100) with 4:2:0 chroma
/// subsampling, as cameras do.
pub(super) fn encode_rgb(rgb: &RgbImage, quality: u8) -> Result<Vec<u8>, FileError> {
    let failed = |err: turbojpeg::Error| FileError::Io(std::io::Error::other(err));
    let mut compressor = Compressor::new().map_err(failed)?;
    compressor.set_quality(i32::from(quality)).map_err(failed)?;
    compressor.set_subsamp(Subsamp::Sub2x2).map_err(failed)?;
    let width = rgb.width() as usize;
    let image = Image {
        pixels: rgb.as_raw().as_slice(),
        width,
        pitch: width * 3,
        height: rgb.height() as usize,
        format: PixelFormat::RGB,
    };
    let encoded = compressor.compress_to_owned(image).map_err(failed)?;
    Ok(encoded.to_vec())
}

/// The smallest supported factor (at most 1) that keeps `longest` ≥ `min_side`.
fn scale_for(longest: usize, min_side: usize) -> ScalingFactor {
    let mut factors: Vec<ScalingFactor> = Decompressor::supported_scaling_factors()
        .into_iter()
        .filter(|f| f.num() <= f.denom())
        .collect();
    // Smallest first: a/b < c/d ⇔ a·d < c·b.
    factors.sort_by_key(|f| (f.num() * 840) / f.denom());
    factors
        .into_iter()
        .find(|f| f.scale(longest) >= min_side)
        .unwrap_or(ScalingFactor::ONE)
}

fn side_u32(side: usize) -> Result<u32, FileError> {
    u32::try_from(side).map_err(|_| FileError::Unprocessable("JPEG too large".into()))
}

fn refused(err: turbojpeg::Error) -> FileError {
    FileError::Unprocessable(format!("JPEG cannot be decoded: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_keeps_the_longest_side_at_least_the_thumbnail_side() {
        assert_eq!(scale_for(4000, 320), ScalingFactor::new(1, 8)); // 500 px
        assert_eq!(scale_for(2000, 320), ScalingFactor::new(1, 4)); // 500 px
        assert_eq!(scale_for(1000, 320), ScalingFactor::new(3, 8)); // 375 px
        assert_eq!(scale_for(300, 320), ScalingFactor::ONE);
    }
}
