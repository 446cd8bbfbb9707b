"""The "Your data" panel: show what an uploaded file holds, cluster the chosen columns, forget it.

The file itself reaches the server through its own route (serving/upload_route.py, called by
assets/uploads.js), which answers with what it found; that answer lands in `upload-received`. The
choice of columns goes through `services().uploads`, which checks it against the kept file (the
callback endpoint is public: nothing the page says about the file is trusted) and returns the
dataset's key. The key then becomes the dataset picker's value, and the page switches to it as to
any other dataset.
"""

from __future__ import annotations

from dash import Dash, Input, Output, State, no_update

from callbacks.controls import dataset_entry, dataset_limits
from callbacks.services import services
from components.controls import dataset_options
from components.upload_panel import (
    CHOOSE,
    NO_LABEL,
    RECHOOSE,
    feature_options,
    guessed_label,
    label_options,
    received_summary,
)
from core import datasets
from core.datasets import DEFAULT_DATASET, UPLOAD_PREFIX
from core.reproduce import upload_template
from core.uploads import DELIMITERS, UploadRefused

FORGOTTEN = ("Forgotten: the file and the data made from it are deleted from the server; its job results can no "
             "longer be downloaded.")
GONE = ("The uploaded file is no longer kept (forgotten, or past its hour); upload it again to cluster it.")


def _received(received) -> dict | None:
    """The route's answer as the page holds it, if it has the shape the route writes."""
    if not isinstance(received, dict) or not isinstance(received.get("id"), str):
        return None
    lists = ("columns", "numeric", "label_candidates", "notes")
    if not all(isinstance(received.get(name), list) and all(isinstance(item, str) for item in received[name])
               for name in lists):
        return None
    if not isinstance(received.get("rows"), int) or not isinstance(received.get("filename"), str):
        return None
    return received


SWITCH_OUTPUTS = ("options", "value", "limits", "forget_hidden")


def back_to_digits() -> dict:
    """The picker without the tab's upload, showing the default dataset; no Forget button."""
    return {"options": dataset_options(), "value": DEFAULT_DATASET, "limits": dataset_limits(), "forget_hidden": True}


def _picker(**duplicate) -> dict:
    """The outputs SWITCH_OUTPUTS name: the dataset picker, its limits and the Forget button."""
    return {"options": Output("dataset", "options", **duplicate), "value": Output("dataset", "value", **duplicate),
            "limits": Output("dataset-limits", "data", **duplicate),
            "forget_hidden": Output("upload-forget", "hidden", **duplicate)}


def show_received(received, current=None) -> dict:
    """A file just read: its column choice shown, and its default choice (the numeric columns,
    a guessed label, standardized) clustered at once, as "Cluster these columns" would. If the
    server refuses that choice, the page says why and waits for another. A tab keeps one upload:
    if the picker shows the tab's previous one, the server has just forgotten it."""
    received = _received(received)
    if received is None:  # forgotten: the forget callback writes the status
        return {"hidden": True, **{name: no_update for name in (
            "status", "features", "feature_options", "label", "label_options", "error", "error_hidden", "snippet",
            *SWITCH_OUTPUTS)}}
    label = guessed_label(received)
    features = [name for name in received["numeric"] if name != label]
    applied = apply_choice(received, features, label, ["on"])
    replaced = isinstance(current, str) and current.startswith(UPLOAD_PREFIX) and received["id"] not in current
    if applied["error_hidden"] is False and replaced:
        applied.update(back_to_digits())
    found = [received_summary(received), *(f" {note}" for note in received["notes"])]
    follow = (f" {applied['status']} {RECHOOSE}",) if applied["error_hidden"] is True else (f" {CHOOSE}",)
    return {
        **applied,
        "hidden": False,
        "status": [*found, *follow],
        "feature_options": feature_options(received),
        "features": features,
        "label_options": label_options(received),
        "label": label,
    }


def _not_applied(message: str) -> dict:
    """The choice is refused: say why, change nothing else."""
    return {"error": message, "error_hidden": False, **{name: no_update for name in
                                                        ("status", "options", "value", "limits", "forget_hidden",
                                                         "snippet")}}


def apply_choice(received, features, label, standardize) -> dict:
    """Cluster the chosen columns: the dataset picker gets the upload and switches to it."""
    received = _received(received)
    if received is None:
        return _not_applied(GONE)
    try:
        key, notes = services().uploads.choose(received["id"], features if isinstance(features, list) else [],
                                        None if label in (None, NO_LABEL) else label,
                                        isinstance(standardize, list) and "on" in standardize)
    except UploadRefused as refused:
        return _not_applied(str(refused))
    except KeyError:
        return _not_applied(GONE)
    dataset = datasets.find(key)
    if dataset is None:  # expired (or forgotten by the tab's other request) in the meantime
        return _not_applied(GONE)
    snippet = upload_template(dataset.info.title, _one_of(received.get("delimiter"), DELIMITERS),
                              _one_of(received.get("decimal"), (".", ",")), dataset.feature_names,
                              dataset.info.label or None, dataset.standardized, dataset.n_samples)
    label_text = f"label {dataset.info.label!r}" if dataset.labelled else "no label"
    scaled = "standardized" if dataset.standardized else "not standardized"
    # Says what is clustered, not that clustering is under way: it stays on screen once it is done.
    status = (f"Clustered: {dataset.n_samples:,} rows × {dataset.n_features} columns of {dataset.info.title} "
              f"({label_text}; {scaled}).")
    return {"error": "", "error_hidden": True, "status": " ".join((status, *notes)), "options": dataset_options(key),
            "value": key,
            "limits": {**dataset_limits(), key: dataset_entry(key)}, "forget_hidden": False, "snippet": snippet}


def _one_of(value, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else allowed[0]


def forget(received) -> dict:
    """Delete the upload on the server at once, and go back to the default dataset."""
    received = _received(received)
    if received is not None:
        services().uploads.forget(received["id"])
    return {"received": None, "status": FORGOTTEN, **back_to_digits(), "error": "", "error_hidden": True,
            "snippet": None}


def register(app: Dash) -> None:
    app.callback(
        output={"hidden": Output("upload-columns", "hidden"), "status": Output("upload-status", "children"),
                "feature_options": Output("upload-features", "options"),
                "features": Output("upload-features", "value"),
                "label_options": Output("upload-label", "options"), "label": Output("upload-label", "value"),
                **_picker(allow_duplicate=True),
                "error": Output("upload-error", "children", allow_duplicate=True),
                "error_hidden": Output("upload-error", "hidden", allow_duplicate=True),
                "snippet": Output("upload-snippet", "data", allow_duplicate=True)},
        inputs={"received": Input("upload-received", "data")},
        state={"current": State("dataset", "value")},
        prevent_initial_call=True,
    )(show_received)
    app.callback(
        output={"error": Output("upload-error", "children"), "error_hidden": Output("upload-error", "hidden"),
                "status": Output("upload-status", "children", allow_duplicate=True),
                **_picker(), "snippet": Output("upload-snippet", "data")},
        inputs={"clicks": Input("upload-apply", "n_clicks")},
        state={"received": State("upload-received", "data"), "features": State("upload-features", "value"),
               "label": State("upload-label", "value"), "standardize": State("upload-standardize", "value")},
        prevent_initial_call=True,
    )(lambda clicks, received, features, label, standardize: apply_choice(received, features, label, standardize))
    app.callback(
        output={"received": Output("upload-received", "data", allow_duplicate=True),
                "status": Output("upload-status", "children", allow_duplicate=True),
                **_picker(allow_duplicate=True),
                "error": Output("upload-error", "children", allow_duplicate=True),
                "error_hidden": Output("upload-error", "hidden", allow_duplicate=True),
                "snippet": Output("upload-snippet", "data", allow_duplicate=True)},
        inputs={"clicks": Input("upload-forget", "n_clicks")},
        state={"received": State("upload-received", "data")},
        prevent_initial_call=True,
    )(lambda clicks, received: forget(received))
