//! Bytes the tests craft by hand: multipart bodies, hostile images, and
//! JPEGs with an EXIF orientation.
//! Shared by the files crate's tests and the daemon's (through `#[path]`).
#![allow(dead_code)]

use std::io::Write;

use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, RgbImage};

/// A `multipart/form-data` body with one part per `(field, file name, content type,
/// bytes)`, and its boundary.
pub fn multipart_body(parts: &[(&str, &str, &str, &[u8])]) -> (Vec<u8>, String) {
    let boundary = "----commcenter-test-boundary-7MA4YWxkTrZu0gW".to_owned();
    let mut body = Vec::new();
    for (field, file_name, content_type, bytes) in parts {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\n\
             Content-Type: {content_type}\r\n\r\n"
        )
        .unwrap();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    write!(body, "--{boundary}--\r\n").unwrap();
    (body, boundary)
}

/// A PNG whose header claims `width`×`height` pixels, with almost no data behind it.
pub fn bomb_png(width: u32, height: u32) -> Vec<u8> {
    bomb_png_of(width, height, 8, 2) // 8-bit RGB
}

/// A 1-bit grayscale PNG whose header claims `width`×`height` pixels (decoded to one
/// byte a pixel), with almost no data behind it.
pub fn bomb_png_1bit(width: u32, height: u32) -> Vec<u8> {
    bomb_png_of(width, height, 1, 0)
}

fn bomb_png_of(width: u32, height: u32, bit_depth: u8, color_type: u8) -> Vec<u8> {
    let mut header = width.to_be_bytes().to_vec();
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[bit_depth, color_type, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut png, b"IHDR", &header);
    png_chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    png_chunk(&mut png, b"IEND", &[]);
    png
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A JPEG of `image` at `quality`, with an EXIF orientation tag if given.
pub fn jpeg(image: &RgbImage, quality: u8, orientation: Option<u16>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, quality);
    if let Some(value) = orientation {
        encoder.set_exif_metadata(exif_orientation(value)).unwrap();
    }
    encoder
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// A TIFF-structured EXIF block holding only an orientation tag.
pub fn exif_orientation(value: u16) -> Vec<u8> {
    let mut exif = b"MM\0\x2a\0\0\0\x08\0\x01".to_vec();
    exif.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
    exif.extend_from_slice(&value.to_be_bytes());
    exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    exif
}
