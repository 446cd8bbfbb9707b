"""Lloyd's steps as compact frames for the browser: region images and centroid coordinates.

Frames are built once per configuration on the server; the slider and the play button step
through them in the browser (assets/jobs.js), with no request per step.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from components.boundary_figure import FONT_STACK, class_colours, points_trace
from components.palette import TINT_VARIANTS, ink_on, region_palette, variant_slots
from core.boundary import touching_clusters
from core.datasets import Dataset
from core.matching import matching_for
from core.replay import LloydRun, nearest_centre_labels, replay_mesh

REPLAY_COLUMNS = 160  # region images are small: ~1–3 KB each


def _png(tints: np.ndarray, labels: np.ndarray) -> str:
    picture = Image.fromarray(tints[labels[::-1]])  # PNG rows run top-down
    picture.putpalette(region_palette())
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def replay_frames(run: LloydRun, dataset: Dataset, caption: str) -> dict:
    """{"images": [...], "frames": [{"image": index|None, "centers": [[x, y], ...], "from": ..., "label": ...}],
    "clusters": [{"name", "colour", "ink"} in the map's display order, with "index" into centers]}.

    Frame 0 shows the initial centres alone; then each iteration has an assignment frame (the
    regions of the current centres: which centre each point goes to) and an update frame (the
    centres moved to their clusters' means, with the move drawn); the last frame shows the
    converged regions, which are the map's.
    """
    extent = dataset.extent
    xs, ys, step = replay_mesh(extent, REPLAY_COLUMNS)
    meshes = [nearest_centre_labels(xs, ys, centers) for centers in run.centers]
    # Each cluster keeps the map's name and class tint in every frame: a cluster is the same one
    # from its initial centre to the end, so "the 3s" can be followed as they form.
    matching = matching_for(dataset, run.final_labels, len(run.centers[-1]))
    # The map's touching pairs (the same model as the last frame), so the colours are the map's.
    touching = touching_clusters(run.centers[-1], extent)
    variants = variant_slots(touching, matching.stands_for, preferred=matching.matched)
    tints = (matching.stands_for * TINT_VARIANTS + variants).astype(np.uint8)
    images = [_png(tints, labels) for labels in meshes]
    colours = class_colours(matching.n_classes)
    clusters = [{"index": int(cluster), "name": matching.names[cluster],
                 "colour": colours[matching.stands_for[cluster]], "ink": ink_on(colours[matching.stands_for[cluster]])}
                for cluster in matching.order]
    frames = [{"image": None, "centers": run.centers[0].tolist(), "from": None,
               "label": "Initial centres (scikit-learn's, for the run it kept)"}]
    for iteration in range(1, run.n_iter + 1):
        before, after = run.centers[iteration - 1].tolist(), run.centers[iteration].tolist()
        frames.append({"image": iteration - 1, "centers": before, "from": None,
                       "label": f"Iteration {iteration} · assign each point to its nearest centre"})
        frames.append({"image": iteration - 1, "centers": after, "from": before,
                       "label": f"Iteration {iteration} · move each centre to its cluster's mean"})
    frames.append({"image": run.n_iter, "centers": run.centers[-1].tolist(), "from": None,
                   "label": f"Converged after {run.n_iter} iteration{'s' if run.n_iter != 1 else ''}: the map's model"})
    placement = {"x": float(xs[0] - step / 2), "y": float(ys[-1] + step / 2),
                 "sizex": float(len(xs) * step), "sizey": float(len(ys) * step)}
    return {"images": images, "placement": placement, "frames": frames, "caption": caption,
            "clusters": clusters}


def replay_base_figure(dataset: Dataset) -> dict:
    """The points on the PCA plane; the browser adds each frame's regions and centres as layout."""
    x_min, x_max, y_min, y_max = dataset.extent
    points = points_trace(dataset.reduced, dataset.target, dataset.n_classes, dataset.drawn)
    points.update(hoverinfo="skip", marker={**points["marker"], "size": min(4, points["marker"]["size"])})
    return {"data": [points], "layout": {
        "margin": {"l": 40, "r": 8, "t": 8, "b": 32}, "plot_bgcolor": "white", "paper_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT_STACK, "size": 12}, "showlegend": False, "uirevision": "replay",
        "xaxis": {"range": [x_min, x_max], "showgrid": False, "zeroline": False, "constrain": "domain",
                  "title": {"text": "PC 1"}},
        "yaxis": {"range": [y_min, y_max], "showgrid": False, "zeroline": False, "scaleanchor": "x",
                  "scaleratio": 1, "constrain": "domain", "title": {"text": "PC 2"}},
    }}
