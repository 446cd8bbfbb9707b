"""A strip of sample digits for the sidebar: what the 64 features look like as pictures."""

from __future__ import annotations

import base64
import io

import numpy as np
from dash import html
from PIL import Image

PIXELS_PER_CELL = 6  # 8×8 digits drawn 48×48; CSS keeps the pixels square and sharp
GAP = 2  # blank pixels between digits, before scaling


def digit_montage(images: np.ndarray, target: np.ndarray) -> bytes:
    """PNG of the first image of each digit 0–9, two rows of five, dark ink on white."""
    firsts = [images[np.flatnonzero(target == digit)[0]] for digit in range(10)]
    size = images.shape[1]
    strip = np.zeros((2 * size + GAP, 5 * size + 4 * GAP))
    for position, image in enumerate(firsts):
        top, left = (position // 5) * (size + GAP), (position % 5) * (size + GAP)
        strip[top:top + size, left:left + size] = image
    ink = (255 - strip / 16 * 255).astype(np.uint8)  # pixel values run 0..16
    picture = Image.fromarray(ink).resize(
        (ink.shape[1] * PIXELS_PER_CELL, ink.shape[0] * PIXELS_PER_CELL), Image.Resampling.NEAREST
    )
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def digit_samples(images: np.ndarray, target: np.ndarray) -> html.Img:
    """One scanned image of each digit, for the data card."""
    source = "data:image/png;base64," + base64.b64encode(digit_montage(images, target)).decode("ascii")
    return html.Img(src=source, alt="One scanned 8×8 image of each digit, 0 to 9", className="digit-strip")
