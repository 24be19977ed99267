"""Pillow (libjpeg-turbo) doing the daemon's image work on the same bytes, for the
side-by-side figures of `daemon/benches/files.rs`.

    python3 pillow_peer.py RUNS thumbnail|full PHOTO.jpg

Prints one line: `median_ms=<ms> min_ms=<ms> out_bytes=<n>` over RUNS runs, each
from the bytes in memory (file reading is not timed):

- thumbnail: decode at a DCT scale (draft), EXIF orientation, fit in 320x320,
  encode JPEG quality 80: what the daemon does for a photo under 2 MiB.
- full: decode at full size, EXIF orientation, the same thumbnail from the
  decoded image, and one JPEG encode of the whole at quality 85 (4:2:0): what the
  daemon does for a photo over 2 MiB (whose re-encode must fit under 2 MiB).
"""

import io
import statistics
import sys
import time

from PIL import Image, ImageOps

SIDE = 320


def fitted(size):
    width, height = size
    scale = SIDE / max(width, height)
    if scale >= 1:
        return size
    return max(1, round(width * scale)), max(1, round(height * scale))


def thumbnail_of(image):
    small = image.resize(fitted(image.size), Image.Resampling.BICUBIC, reducing_gap=2.0)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getbuffer().nbytes


def thumbnail(data):
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", fitted(image.size))
    image = ImageOps.exif_transpose(image)
    return thumbnail_of(image)


def full(data):
    image = Image.open(io.BytesIO(data))
    image = ImageOps.exif_transpose(image)
    image.load()
    thumbnail_of(image)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, subsampling="4:2:0")
    return out.getbuffer().nbytes


def main():
    runs, job, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    work = {"thumbnail": thumbnail, "full": full}[job]
    with open(path, "rb") as f:
        data = f.read()
    out_bytes = work(data)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out_bytes = work(data)
        times.append((time.perf_counter() - start) * 1000.0)
    print(f"median_ms={statistics.median(times):.2f} min_ms={min(times):.2f} out_bytes={out_bytes}")


if __name__ == "__main__":
    main()
