"""From the standardized feature space back to what a person sees: 8×8 images of intensity 0–16."""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import StandardScaler

PIXEL_MAX = 16  # load_digits intensities run 0..16
SIDE = 8


def centroid_pixels(centers: np.ndarray, scaler: StandardScaler) -> np.ndarray:
    """(k, 8, 8) pixel intensities of standardized centroids, through the scaler's inverse.

    A converged centroid is the mean of its members' standardized digits, so its inverse is (up
    to the fit's tolerance) their mean image; the clip only guards rounding at 0 and 16.
    """
    return np.clip(scaler.inverse_transform(centers), 0, PIXEL_MAX).reshape(-1, SIDE, SIDE)
