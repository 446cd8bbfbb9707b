"""Cluster views: the map's tooltip and picking a cluster run in the browser; a picked cluster's
members come from the server, from the table's fits (no extra fit)."""

from __future__ import annotations

import logging

from dash import ClientsideFunction, Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from callbacks.services import Busy, services
from components.boundary_figure import MAP_REGIONS
from components.cluster_views import MAP, MODEL, members_panel
from components.html_text import html_view
from components.server_fault import fault_cleared, fault_shown
from core import datasets
from core.boundary import plane_map
from core.clustering import row_for
from core.matching import cluster_members, matching_for
from core.settings import InvalidSettings, Settings, validate_store

log = logging.getLogger(__name__)

MAX_NAME_LENGTH = 40  # a class name and an extra's mark
MEMBERS_CARD = ("members-card", "card members-card")
CLOSED = {"members": "", "hidden": True, **fault_cleared(MEMBERS_CARD[1])}


def _picked(selected) -> tuple[str, str] | None:
    """(source, name) of a well-formed pick, or None (also for anything forged)."""
    if not isinstance(selected, dict):
        return None
    source, name = selected.get("source"), selected.get("name")
    if source not in (MODEL, MAP) or not isinstance(name, str) or not 0 < len(name) <= MAX_NAME_LENGTH:
        return None
    return source, name


def _members(source: str, name: str, settings: Settings) -> str | None:
    dataset = datasets.load(settings.dataset)
    if source == MODEL:
        rows = services().table_rows(settings.table_key)
        fitted = row_for(rows, settings.init_method).fit
        matching = matching_for(dataset, fitted.labels, settings.n_clusters)
        features, centers, labels = dataset.scaled, fitted.centers, fitted.labels
    else:
        plane = plane_map(*settings.fit_key)
        matching = plane.matching
        features, centers, labels = dataset.reduced, plane.centroids, plane.point_clusters
    cluster = matching.cluster_named(name)
    if cluster is None:  # a name from before a refit that no longer exists: nothing stale is shown
        return None
    own = int(matching.stands_for[cluster])
    members = cluster_members(features, centers[cluster], labels, dataset.target, cluster, own)
    return html_view(members_panel(source, matching, cluster, members, dataset))


def members_view(selected, applied, retry=None) -> dict:
    """The members panel for the picked cluster at the applied settings; closed when nothing is
    picked, or the pick names no cluster of the current fit (k shrank, or a forged name). When the
    server fails to compute them, the panel shows its fault box; `retry` (its clicks) asks again."""
    try:
        settings = validate_store(applied)
    except InvalidSettings:
        raise PreventUpdate from None
    picked = _picked(selected)
    if picked is None:
        return CLOSED
    try:
        panel = _members(*picked, settings)
    except Busy:
        raise
    except Exception:  # a server fault: the pick and the settings were checked above
        log.exception("members of %s failed for %s", picked, settings)
        return {"members": no_update, "hidden": False, **fault_shown(MEMBERS_CARD[1])}
    if panel is None:
        return CLOSED
    return {"members": panel, "hidden": False, **fault_cleared(MEMBERS_CARD[1])}


def register(app: Dash) -> None:
    # The tooltip is drawn by assets/cluster_views.js on Plotly's hover event; this hands it the
    # cluster names whenever they change.
    app.clientside_callback(
        ClientsideFunction("clusters", "remember"),
        Input("map-clusters", "data"),
        Input("model-clusters", "data"),
        Input(*MAP_REGIONS),
    )
    app.clientside_callback(
        ClientsideFunction("clusters", "pick"),
        Output("selected-cluster", "data"),
        Input("cluster-pick", "data"),  # set by assets/cluster_views.js on a click
        Input("close-members", "n_clicks"),
        State("selected-cluster", "data"),
        State("members-card", "hidden"),
        prevent_initial_call=True,
    )
    # New settings with a cluster open: pick it again, so its members follow the new fit (or the
    # panel closes if the name is gone). With none open, nothing is sent.
    app.clientside_callback(
        ClientsideFunction("clusters", "repick"),
        Output("selected-cluster", "data", allow_duplicate=True),
        Input("applied-settings", "data"),
        State("selected-cluster", "data"),
        prevent_initial_call=True,
    )
    app.callback(
        output={"members": Output("cluster-members", "children"), "hidden": Output("members-card", "hidden"),
                "fault_hidden": Output("members-fault", "hidden"), "card_class": Output(MEMBERS_CARD[0], "className")},
        inputs={"selected": Input("selected-cluster", "data"), "retry": Input("members-retry", "n_clicks")},
        state={"applied": State("applied-settings", "data")},
        prevent_initial_call=True,
    )(members_view)
