"""From the standardized feature space back to what a person sees: centroids in the features'
own units, and for the digits 8×8 images of intensity 0–16."""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import StandardScaler

PIXEL_MAX = 16  # load_digits intensities run 0..16


def centroids_in_units(centers: np.ndarray, scaler: StandardScaler) -> np.ndarray:
    """(k, d) centroids in the features' own units, through the scaler's inverse.

    A converged centroid is the mean of its members' standardized features, so its inverse is
    (up to the fit's tolerance) their mean in the original units."""
    return scaler.inverse_transform(centers)


def centroid_pixels(centers: np.ndarray, scaler: StandardScaler, side: int) -> np.ndarray:
    """(k, side, side) pixel intensities of standardized digit centroids; the clip only guards
    rounding at 0 and 16."""
    return np.clip(centroids_in_units(centers, scaler), 0, PIXEL_MAX).reshape(-1, side, side)
