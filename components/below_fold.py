"""What the page mounts only once the map is drawn: the parts below the fold that cost the most.

A first render spends its time in Dash's renderer, React and Plotly, roughly in proportion to
the components and graphs on the page. The jobs section's panels (three graphs, a slider, ~65
components) are below the fold on every screen, so the page is served without them and holds
them in a store instead (a store's data is not
rendered, and no extra request is needed). assets/below_fold.js signals once the map has been
drawn and the browser is idle, and a clientside callback (callbacks/below_fold.py) then puts
them in their place. Their ids are the same as ever; the placeholder they go into (`jobs-panels`)
is in the page from the start. (The cluster × digit matrix, ~165 components, was mounted here
too; it is now plain HTML, components/html_string.py.)
"""

from __future__ import annotations

from dash import dcc

CONTENT_STORE = "below-fold-content"
MOUNT_SIGNAL = "below-fold-mount"
PLACEHOLDERS = ("jobs-panels",)  # in the page from the start, empty


def below_fold_stores(jobs_panels: list) -> list[dcc.Store]:
    """The content to mount, by placeholder id, and the signal that mounts it (set by
    assets/below_fold.js)."""
    content = dict(zip(PLACEHOLDERS, (jobs_panels,), strict=True))
    return [dcc.Store(id=CONTENT_STORE, data=content),
            dcc.Store(id=MOUNT_SIGNAL)]  # no data: a store given one updates itself on mount
