"""Lloyd's steps as compact frames for the browser: region images and centroid coordinates.

Frames are built once per configuration on the server; the slider and the play button step
through them in the browser (assets/jobs_replay.js), with no request per step.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from components.boundary_figure import _digits_trace, FONT_STACK
from components.palette import region_colour_slots, region_rgb
from core.replay import LloydRun

REPLAY_COLUMNS = 160  # region images are small: ~1–3 KB each


def _mesh(extent: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray, float]:
    x_min, x_max, y_min, y_max = extent
    step = (x_max - x_min) / REPLAY_COLUMNS
    xs = x_min + step * (np.arange(REPLAY_COLUMNS) + 0.5)
    ys = y_min + step * (np.arange(int(np.ceil((y_max - y_min) / step))) + 0.5)
    return xs, ys, step


def _voronoi(xs: np.ndarray, ys: np.ndarray, centers: np.ndarray) -> np.ndarray:
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)  # (rows, columns, 2)
    return ((grid[:, :, None, :] - centers[None, None]) ** 2).sum(axis=3).argmin(axis=2).astype(np.uint8)


def _png(slots: np.ndarray, labels: np.ndarray) -> str:
    picture = Image.fromarray(slots[labels[::-1]])  # PNG rows run top-down
    picture.putpalette(region_rgb())
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def replay_frames(run: LloydRun, extent: tuple[float, float, float, float], caption: str) -> dict:
    """{"images": [...], "frames": [{"image": index|None, "centers": [[x, y], ...], "from": ..., "label": ...}]}.

    Frame 0 shows the initial centres alone; then each iteration has an assignment frame (the
    regions of the current centres: which centre each digit goes to) and an update frame (the
    centres moved to their clusters' means, with the move drawn); the last frame shows the
    converged regions, which are the map's.
    """
    xs, ys, step = _mesh(extent)
    meshes = [_voronoi(xs, ys, centers) for centers in run.centers]
    slots = region_colour_slots(meshes[-1], len(run.centers[-1]))  # one tint per cluster, every frame
    images = [_png(slots, labels) for labels in meshes]
    frames = [{"image": None, "centers": run.centers[0].tolist(), "from": None,
               "label": "Initial centres (scikit-learn's, for the run it kept)"}]
    for iteration in range(1, run.n_iter + 1):
        before, after = run.centers[iteration - 1].tolist(), run.centers[iteration].tolist()
        frames.append({"image": iteration - 1, "centers": before, "from": None,
                       "label": f"Iteration {iteration} · assign each digit to its nearest centre"})
        frames.append({"image": iteration - 1, "centers": after, "from": before,
                       "label": f"Iteration {iteration} · move each centre to its cluster's mean"})
    frames.append({"image": run.n_iter, "centers": run.centers[-1].tolist(), "from": None,
                   "label": f"Converged after {run.n_iter} iteration{'s' if run.n_iter != 1 else ''}: the map's model"})
    x_min, x_max, y_min, y_max = extent
    placement = {"x": float(xs[0] - step / 2), "y": float(ys[-1] + step / 2),
                 "sizex": float(len(xs) * step), "sizey": float(len(ys) * step)}
    return {"images": images, "placement": placement, "frames": frames, "caption": caption,
            "k": len(run.centers[0])}


def replay_base_figure(points: np.ndarray, target: np.ndarray, extent: tuple[float, float, float, float]) -> go.Figure:
    """The digits on the PCA plane; the browser adds each frame's regions and centres as layout."""
    x_min, x_max, y_min, y_max = extent
    figure = go.Figure(_digits_trace(points, target))
    figure.update_traces(marker={"size": 4}, hoverinfo="skip", hovertemplate=None)
    figure.layout.template = None
    figure.update_layout(
        margin={"l": 40, "r": 8, "t": 8, "b": 32}, plot_bgcolor="white", paper_bgcolor="white",
        font={"family": FONT_STACK, "size": 12}, showlegend=False, uirevision="replay",
        xaxis={"range": [x_min, x_max], "showgrid": False, "zeroline": False, "constrain": "domain", "title": "PC 1"},
        yaxis={"range": [y_min, y_max], "showgrid": False, "zeroline": False, "scaleanchor": "x",
               "scaleratio": 1, "constrain": "domain", "title": "PC 2"},
    )
    return figure
