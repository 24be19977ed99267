//! Image work: decoding under limits, EXIF orientation, thumbnails and compression.
//!
//! Every function here is synchronous and CPU-heavy (tens to hundreds of ms); from
//! async code, call them through [`ImageWorkers`], which runs them on blocking threads,
//! caps how many run at once, and holds all of them under one [`MemoryBudget`]: the
//! header is read first, the memory the work needs is reserved, and only then is the
//! image read whole and decoded.
//!
//! Dimensions reported are those of the image as displayed, i.e. after EXIF
//! orientation (a portrait phone photo stored as 4000×3000 with "rotate 90" is
//! reported as 3000×4000).

mod budget;
mod compress;
mod decode;
mod encode;
mod jpeg;
mod plan;
mod thumbnail;
mod workers;

use std::path::Path;

use bytes::Bytes;
use tempfile::NamedTempFile;

pub use budget::{MemoryBudget, Reservation};
pub use compress::compress;
pub use thumbnail::thumbnail;
pub use workers::ImageWorkers;

use crate::{BlobKey, FileError, FileKind};
use plan::Plan;

/// Default of [`ImagePolicy::memory_budget`]: 256 MiB.
pub const DEFAULT_MEMORY_BUDGET: u64 = 256 * 1024 * 1024;

/// Limits and targets of image work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePolicy {
    /// Widest image decoded, in pixels; wider ones are `Unprocessable`.
    pub max_width: u32,
    /// Tallest image decoded, in pixels.
    pub max_height: u32,
    /// Most memory one decode may allocate for pixels, in bytes.
    pub max_alloc: u64,
    /// Longest side of a thumbnail, in pixels.
    pub thumbnail_max_side: u32,
    /// Images larger than this many bytes are re-encoded until they are at most this big.
    pub compress_above: u64,
    /// Memory all image work of an [`ImageWorkers`] may hold at once, in bytes; an
    /// image whose work needs more on its own is `Unprocessable`.
    pub memory_budget: u64,
}

impl Default for ImagePolicy {
    /// 16384 px a side, 256 MiB of pixels (a 64-megapixel RGBA image), 320 px
    /// thumbnails, compression above 2 MiB, 256 MiB for all image work at once.
    fn default() -> Self {
        Self {
            max_width: 16_384,
            max_height: 16_384,
            max_alloc: 256 * 1024 * 1024,
            thumbnail_max_side: 320,
            compress_above: 2 * 1024 * 1024,
            memory_budget: DEFAULT_MEMORY_BUDGET,
        }
    }
}

impl ImagePolicy {
    /// Whether an upload of `kind` and `size` bytes is stored as a re-encoded copy
    /// (so its own bytes are not what is kept). GIF keeps its animation; HEIC and
    /// non-images are not decoded.
    pub fn compresses(&self, kind: FileKind, size: u64) -> bool {
        size > self.compress_above
            && matches!(kind, FileKind::Jpeg | FileKind::Png | FileKind::Webp)
    }
}

/// Width and height in pixels, as displayed (after EXIF orientation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dimensions {
    pub width: u32,
    pub height: u32,
}

/// An encoded thumbnail: JPEG, or PNG for images with transparency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub bytes: Bytes,
    /// `Jpeg` or `Png`.
    pub kind: FileKind,
    /// Longest side ≤ `ImagePolicy::thumbnail_max_side`.
    pub width: u32,
    pub height: u32,
}

/// A re-encoded image that fits the size target, in a temp file (deleted on drop).
#[derive(Debug)]
pub struct Compressed {
    pub file: NamedTempFile,
    /// Size in bytes, ≤ `ImagePolicy::compress_above`.
    pub size: u64,
    pub sha256: BlobKey,
    /// `Jpeg`, or `Png` for images with transparency.
    pub kind: FileKind,
    pub width: u32,
    pub height: u32,
    /// Size of the upload before compression, in bytes.
    pub original_size: u64,
}

/// Everything made from an uploaded image.
///
/// What to store: `compressed` if present (its `kind`, `size`, `sha256`, `width` and
/// `height` describe the stored file, and `original_size` the upload), else the upload
/// itself with `dimensions`.
#[derive(Debug)]
pub struct ProcessedImage {
    /// Dimensions of the original, as displayed.
    pub dimensions: Dimensions,
    pub thumbnail: Thumbnail,
    /// Present when the original was over `ImagePolicy::compress_above`; then the
    /// compressed version is what should be stored.
    pub compressed: Option<Compressed>,
}

/// Thumbnail, dimensions and (if too big) compressed version of the image at `source`
/// of `size` bytes. `Ok(None)` for kinds this crate does not decode (non-images, HEIC).
/// A corrupt image, or one over the limits, is `Unprocessable`.
///
/// Takes no memory reservation; [`ImageWorkers::process`] is this under the budget.
pub fn process(
    source: &Path,
    kind: FileKind,
    size: u64,
    policy: &ImagePolicy,
    tmp_dir: &Path,
) -> Result<Option<ProcessedImage>, FileError> {
    if !kind.is_decodable_image() {
        return Ok(None);
    }
    let plan = Plan::read(source, kind, size, policy)?;
    process_planned(source, &plan, policy, tmp_dir).map(Some)
}

/// The work of [`process`] once the header is read (and its memory reserved). A large
/// image is decoded once, for both its thumbnail and its compressed version.
fn process_planned(
    source: &Path,
    plan: &Plan,
    policy: &ImagePolicy,
    tmp_dir: &Path,
) -> Result<ProcessedImage, FileError> {
    let bytes = std::fs::read(source)?;
    if !plan.compress {
        let (dimensions, thumbnail) = thumbnail::from_bytes(&bytes, plan, policy)?;
        return Ok(ProcessedImage {
            dimensions,
            thumbnail,
            compressed: None,
        });
    }
    let image = decode::decode_upright(&bytes, plan, policy)?;
    drop(bytes);
    let dimensions = thumbnail::dimensions_of(&image);
    let thumbnail = thumbnail::of_image(&image, policy)?;
    let compressed = compress::from_image(image, plan.size, policy, tmp_dir)?;
    Ok(ProcessedImage {
        dimensions,
        thumbnail,
        compressed: Some(compressed),
    })
}
