//! Photo-like test images, made on the fly (no large fixtures in the repository).

use image::imageops::FilterType;
use image::RgbImage;

/// A `width`×`height` image that compresses like a photo: three octaves of value noise
/// (soft shapes, mid-size texture) plus per-pixel sensor-like grain of ±`grain`.
///
/// The smooth part is made at a quarter of the size and scaled up by the `image` crate,
/// so that this stays quick in unoptimised test builds.
pub fn photo_like(width: u32, height: u32, grain: u64) -> RgbImage {
    let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
    let smooth = value_noise((width / 4).max(1), (height / 4).max(1), &mut next);
    let mut image = image::imageops::resize(&smooth, width, height, FilterType::Triangle);
    for value in image.iter_mut() {
        let noise = (next() % (2 * grain + 1)) as i64 - grain as i64;
        *value = (i64::from(*value) + noise).clamp(0, 255) as u8;
    }
    image
}

/// Octaves of bilinear value noise with cells of 4, 16 and 64 px.
fn value_noise(width: u32, height: u32, next: &mut impl FnMut() -> u64) -> RgbImage {
    let octaves: Vec<(u32, Vec<[f32; 3]>)> = [4u32, 16, 64]
        .into_iter()
        .map(|cell| {
            let grid = (width / cell + 2) * (height / cell + 2);
            let values = (0..grid)
                .map(|_| [0, 1, 2].map(|_| (next() % 256) as f32))
                .collect();
            (cell, values)
        })
        .collect();
    RgbImage::from_fn(width, height, |x, y| {
        let mut rgb = [0f32; 3];
        for (weight, (cell, values)) in [0.15f32, 0.35, 0.5].into_iter().zip(&octaves) {
            let sample = bilinear(values, width / cell + 2, *cell, x, y);
            (0..3).for_each(|c| rgb[c] += weight * sample[c]);
        }
        image::Rgb(rgb.map(|v| v.clamp(0.0, 255.0) as u8))
    })
}

fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

fn bilinear(values: &[[f32; 3]], stride: u32, cell: u32, x: u32, y: u32) -> [f32; 3] {
    let (gx, gy) = (x / cell, y / cell);
    let (fx, fy) = (
        (x % cell) as f32 / cell as f32,
        (y % cell) as f32 / cell as f32,
    );
    let at = |i: u32, j: u32| values[(j * stride + i) as usize];
    let (a, b, c, d) = (
        at(gx, gy),
        at(gx + 1, gy),
        at(gx, gy + 1),
        at(gx + 1, gy + 1),
    );
    [0, 1, 2].map(|k| {
        let top = a[k] + (b[k] - a[k]) * fx;
        let bottom = c[k] + (d[k] - c[k]) * fx;
        top + (bottom - top) * fy
    })
}
