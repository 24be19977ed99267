//! What an image's header says, read before any pixel is decoded, and how much
//! memory the work on it will take (reserved from the [`super::MemoryBudget`]).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use image::metadata::Orientation;
use image::{ColorType, ImageDecoder, ImageReader};

use super::decode::{format_of, limits};
use super::ImagePolicy;
use crate::{FileError, FileKind};

/// Memory for everything an estimate does not count one by one: the thumbnail, the
/// decoders' and encoders' row buffers and tables.
const SLACK: u64 = 4 * 1024 * 1024;

/// An image about to be worked on: its header, and what is to be made of it.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub kind: FileKind,
    /// Size of the file, in bytes (it is read into memory whole).
    pub size: u64,
    /// Width and height as stored, before EXIF orientation.
    pub width: u32,
    pub height: u32,
    /// Bytes of one full decode of the (first frame of the) image.
    pub decoded_bytes: u64,
    /// The pixel type a full decode gives.
    pub color: ColorType,
    /// The EXIF orientation (how to turn the stored pixels to display them).
    pub orientation: Orientation,
    /// The JPEG frame header, for JPEGs.
    pub jpeg: Option<JpegHeader>,
    /// Whether a smaller copy is to be made (the file is over the policy's threshold).
    pub compress: bool,
}

/// What a JPEG's markers before its first scan say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JpegHeader {
    pub width: u32,
    pub height: u32,
    pub components: u8,
    /// Progressive (and lossless/arithmetic-progressive) frames are decoded from a
    /// buffer of every DCT coefficient of the image, 2 bytes each.
    pub progressive: bool,
    pub orientation: Orientation,
    /// Bits per sample (8 for nearly every JPEG; 12 and 16 exist).
    pub precision: u8,
    /// Lossless JPEG (no DCT, so no scaling on decode).
    pub lossless: bool,
}

impl JpegHeader {
    /// Whether the thumbnail can be decoded at a DCT scale: 8-bit gray or YCbCr/RGB
    /// with DCT coding (not CMYK, 12/16-bit or lossless).
    pub fn scalable(&self) -> bool {
        self.precision == 8 && !self.lossless && matches!(self.components, 1 | 3)
    }
}

impl Plan {
    /// Reads the header of the image at `path` (`size` bytes): `Unprocessable` when it
    /// is corrupt or its dimensions or decoded size are over the policy's limits.
    pub fn read(
        path: &Path,
        kind: FileKind,
        size: u64,
        policy: &ImagePolicy,
    ) -> Result<Self, FileError> {
        let compress = policy.compresses(kind, size);
        let mut reader = BufReader::new(File::open(path)?);
        let plan = if kind == FileKind::Jpeg {
            let jpeg = read_jpeg_header(&mut reader).map_err(header_error)?;
            let pixels = u64::from(jpeg.width) * u64::from(jpeg.height);
            Plan {
                kind,
                size,
                width: jpeg.width,
                height: jpeg.height,
                // CMYK and gray decode to at most 4 bytes a pixel; everything else to RGB.
                decoded_bytes: pixels * u64::from(jpeg.components.clamp(3, 4)),
                // libjpeg-turbo decodes to 8-bit RGB; the fallback decoder turns
                // CMYK into RGB too.
                color: ColorType::Rgb8,
                orientation: jpeg.orientation,
                jpeg: Some(jpeg),
                compress,
            }
        } else {
            let mut image = ImageReader::with_format(reader, format_of(kind)?);
            image.limits(limits(policy));
            let mut decoder = image.into_decoder().map_err(header_error_image)?;
            let (width, height) = decoder.dimensions();
            let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
            Plan {
                kind,
                size,
                width,
                height,
                decoded_bytes: decoder.total_bytes(),
                color: decoder.color_type(),
                orientation,
                jpeg: None,
                compress,
            }
        };
        plan.check(policy)?;
        Ok(plan)
    }

    /// Pixels of the image as stored.
    pub fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    fn check(&self, policy: &ImagePolicy) -> Result<(), FileError> {
        image::Limits::check_dimensions(&limits(policy), self.width, self.height)?;
        if self.width == 0 || self.height == 0 {
            return Err(FileError::Unprocessable("the image has no pixels".into()));
        }
        if self.decoded_bytes > policy.max_alloc {
            return Err(FileError::Unprocessable(format!(
                "image would need {} bytes of memory to decode; the limit is {}",
                self.decoded_bytes, policy.max_alloc
            )));
        }
        Ok(())
    }

    /// The most memory the work on this image takes at once, in bytes: the file (read
    /// whole), the decoded pixels, and the copies the work makes of them. An upper
    /// bound for what is counted; [`SLACK`] covers the small buffers.
    pub fn memory(&self, policy: &ImagePolicy) -> u64 {
        let pixels = self.pixels();
        let coefficients = match &self.jpeg {
            Some(jpeg) if jpeg.progressive => pixels * u64::from(jpeg.components) * 2,
            _ => 0,
        };
        // A full decode, and its copy while EXIF orientation turns it.
        let turned = if self.orientation == Orientation::NoTransforms {
            0
        } else {
            self.decoded_bytes
        };
        let work = if self.compress {
            // One full decode for both; its conversion to 8-bit RGB(A) for the
            // encoder (none when it is 8-bit RGB already); downscaled copies (each at
            // most 9/16 of the one before, one alive at a time besides the source);
            // the row sample that predicts the JPEG size (an eighth of the rows);
            // the encoded output: JPEG encodes only at a quality predicted to fit, so
            // near the target (the encoder's buffer doubles as it grows, and is
            // copied once), PNG at most 4 bytes a pixel.
            let converted = match self.color {
                ColorType::Rgb8 => 0,
                ColorType::Rgba8 => pixels * 3,
                _ => pixels * 4,
            };
            let copy = turned.max(converted);
            let out_pixel = if self.color.has_alpha() { 4 } else { 3 };
            let downscaled = pixels * out_pixel * 9 / 16;
            let encoded = if self.color.has_alpha() {
                pixels * 4
            } else {
                pixels * 3 / 8 + (4 * policy.compress_above).min(pixels * 3)
            };
            self.decoded_bytes + copy + downscaled + encoded
        } else {
            // A JPEG decoded at a DCT scale takes far less, but falls back to a full
            // decode when the fast path refuses it.
            let full = self.decoded_bytes + turned;
            self.scaled_decode(policy)
                .map_or(full, |scaled| scaled.max(full))
        };
        self.size + coefficients + work + SLACK
    }

    /// Bytes of a JPEG thumbnail decoded at a DCT scale (1/8 at the smallest, so at
    /// most 1/64 of the pixels, or 4 thumbnail sides squared), 4 bytes a pixel, and
    /// its turned copy; `None` when the thumbnail needs a full decode.
    pub fn scaled_decode(&self, policy: &ImagePolicy) -> Option<u64> {
        let jpeg = self.jpeg.as_ref()?;
        if !jpeg.scalable() {
            return None;
        }
        let side = u64::from(policy.thumbnail_max_side);
        let scaled = self
            .pixels()
            .div_ceil(64)
            .max(4 * side * side)
            .min(self.pixels());
        Some(scaled * 4 * 2)
    }
}

/// Maps a failure to read a header: a file that ends inside it is corrupt.
fn header_error(err: io::Error) -> FileError {
    match err.kind() {
        io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData => {
            FileError::Unprocessable(format!("image cannot be decoded: {err}"))
        }
        _ => FileError::Io(err),
    }
}

fn header_error_image(err: image::ImageError) -> FileError {
    match err {
        image::ImageError::IoError(io) => header_error(io),
        other => other.into(),
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

/// Walks a JPEG's markers up to its first scan, skipping segment bodies (an EXIF
/// block of 64 KiB costs a seek), and returns the frame header and EXIF orientation.
pub(crate) fn read_jpeg_header<R: BufRead + Seek>(reader: &mut R) -> io::Result<JpegHeader> {
    let mut soi = [0u8; 2];
    reader.read_exact(&mut soi)?;
    if soi != [0xFF, 0xD8] {
        return Err(invalid("not a JPEG (no start-of-image marker)"));
    }
    let mut frame: Option<JpegHeader> = None;
    let mut orientation = Orientation::NoTransforms;
    loop {
        let marker = next_marker(reader)?;
        if matches!(marker, 0x01 | 0xD0..=0xD7) {
            continue; // no length, no body
        }
        if marker == 0xD9 || marker == 0xDA {
            break; // end of image, or the first scan: the header is over
        }
        let length = read_u16(reader)?;
        let body = u64::from(length)
            .checked_sub(2)
            .ok_or_else(|| invalid("JPEG segment shorter than its length field"))?;
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let mut sof = vec![0u8; body as usize];
                reader.read_exact(&mut sof)?;
                frame = Some(parse_sof(marker, &sof)?);
            }
            0xE1 => {
                let mut app1 = vec![0u8; body as usize];
                reader.read_exact(&mut app1)?;
                if let Some(tiff) = app1.strip_prefix(b"Exif\0\0") {
                    orientation = Orientation::from_exif_chunk(tiff).unwrap_or(orientation);
                }
            }
            _ => {
                reader.seek(SeekFrom::Current(body as i64))?;
            }
        }
    }
    let mut frame = frame.ok_or_else(|| invalid("JPEG without a frame header"))?;
    frame.orientation = orientation;
    Ok(frame)
}

fn next_marker<R: BufRead>(reader: &mut R) -> io::Result<u8> {
    let mut byte = [0u8; 1];
    reader.read_exact(&mut byte)?;
    if byte[0] != 0xFF {
        return Err(invalid("JPEG marker expected"));
    }
    // Any number of 0xFF fill bytes may come before the marker code.
    while byte[0] == 0xFF {
        reader.read_exact(&mut byte)?;
    }
    Ok(byte[0])
}

fn read_u16<R: Read>(reader: &mut R) -> io::Result<u16> {
    let mut bytes = [0u8; 2];
    reader.read_exact(&mut bytes)?;
    Ok(u16::from_be_bytes(bytes))
}

/// A start-of-frame segment: precision, height, width, component count.
fn parse_sof(marker: u8, sof: &[u8]) -> io::Result<JpegHeader> {
    let [precision, h1, h0, w1, w0, components, ..] = *sof else {
        return Err(invalid("JPEG frame header too short"));
    };
    Ok(JpegHeader {
        width: u32::from(u16::from_be_bytes([w1, w0])),
        height: u32::from(u16::from_be_bytes([h1, h0])),
        components,
        progressive: matches!(
            marker,
            0xC2 | 0xC3 | 0xC6 | 0xC7 | 0xCA | 0xCB | 0xCE | 0xCF
        ),
        orientation: Orientation::NoTransforms,
        precision,
        lossless: matches!(marker, 0xC3 | 0xC7 | 0xCB | 0xCF),
    })
}
