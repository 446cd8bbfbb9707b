"""8×8 digit images for the page: small PNGs, and one sprite sheet of all 1,797 digits.

The sprite is a static asset (assets/digit-sprite.png, ~40 KB), fetched once and cached; the
map's hover tooltip (assets/cluster_views.js) and the members panel crop it with CSS, so showing
a digit never needs a server request or a new image. `python -m components.digit_images`
rewrites it; tests/test_cluster_views.py checks that it matches the data.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
from PIL import Image

from core.pixels import PIXEL_MAX

SIDE = 8  # the digits are 8×8 images

SPRITE_COLUMNS, SPRITE_ROWS = 60, 30  # 1,800 cells for the 1,797 digits
SPRITE_PATH = Path(__file__).resolve().parents[1] / "assets" / "digit-sprite.png"


def ink(pixels: np.ndarray) -> np.ndarray:
    """Intensities 0..16 as 8-bit grey, dark ink on white."""
    return (255 - pixels / PIXEL_MAX * 255).astype(np.uint8)


def png_data_uri(grey: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(grey).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def digit_png(pixels: np.ndarray) -> str:
    """One 8×8 image (intensities 0..16) as a PNG data URI; CSS scales it up, pixelated."""
    return png_data_uri(ink(pixels))


def sprite_sheet(images: np.ndarray) -> bytes:
    """Every digit in one PNG, row-major: digit i at column i % 60, row i // 60."""
    sheet = np.zeros((SPRITE_ROWS * SIDE, SPRITE_COLUMNS * SIDE))
    for index, image in enumerate(images):
        row, column = divmod(index, SPRITE_COLUMNS)
        sheet[row * SIDE:(row + 1) * SIDE, column * SIDE:(column + 1) * SIDE] = image
    # 17 grey levels: a palette image, which compresses far better than 8-bit grey.
    levels = np.rint(sheet).astype(np.uint8)
    picture = Image.fromarray(levels, mode="P")
    picture.putpalette([value for level in range(PIXEL_MAX + 1)
                        for value in [255 - round(level / PIXEL_MAX * 255)] * 3])
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def sprite_style(index: int) -> dict:
    """CSS that crops digit `index` out of the sprite for an element of any size (.digit-sprite)."""
    row, column = divmod(index, SPRITE_COLUMNS)
    x = column / (SPRITE_COLUMNS - 1) * 100
    y = row / (SPRITE_ROWS - 1) * 100
    return {"backgroundPosition": f"{x:.4f}% {y:.4f}%"}


if __name__ == "__main__":
    from core import datasets

    SPRITE_PATH.write_bytes(sprite_sheet(datasets.load("digits").images))
    print(f"wrote {SPRITE_PATH} ({SPRITE_PATH.stat().st_size:,} bytes)")
