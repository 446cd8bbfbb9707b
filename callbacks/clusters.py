"""Cluster views: the map's digit tooltip and picking a cluster run in the browser; a picked
cluster's members come from the server, from the cached fits."""

from __future__ import annotations

import logging

from dash import ClientsideFunction, Dash, Input, Output, State, no_update

from callbacks.refresh import APPLIED_SETTINGS, validated_store
from components.cluster_views import MAP, MODEL, members_panel
from components.html_string import MEMBERS_HTML_STORE, to_html
from components.server_fault import card_class
from core import data
from core.boundary import plane_map
from core.clustering import fitted_init
from core.matching import cluster_members, match_clusters
from core.settings import Settings

log = logging.getLogger(__name__)

MAX_NAME_LENGTH = 8  # "9′12": the longest name k ≤ 30 can produce is 4 characters
MEMBERS_CARD = ("members-card", "card members-card")
FINE = {"fault_hidden": True, "card_class": MEMBERS_CARD[1]}
CLOSED = {"members": [], "hidden": True, **FINE}


def _picked(selected) -> tuple[str, str] | None:
    """(source, name) of a well-formed pick, or None (also for anything forged)."""
    if not isinstance(selected, dict):
        return None
    source, name = selected.get("source"), selected.get("name")
    if source not in (MODEL, MAP) or not isinstance(name, str) or not 0 < len(name) <= MAX_NAME_LENGTH:
        return None
    return source, name


def _members(source: str, name: str, settings: Settings):
    digits = data.load()
    if source == MODEL:
        fit = fitted_init(settings.init_method, settings.n_clusters, settings.n_init, settings.seed).fit
        matching = match_clusters(digits.target, fit.labels, settings.n_clusters)
        features, centers, labels = digits.scaled, fit.centers, fit.labels
    else:
        boundary = plane_map(*settings.fit_key)
        matching = boundary.matching
        features, centers, labels = digits.reduced, boundary.centroids, boundary.point_clusters
    cluster = matching.cluster_named(name)
    if cluster is None:  # a name from before a refit that no longer exists: nothing stale is shown
        return None
    digit = int(matching.digit[cluster])
    return digit, cluster_members(features, centers[cluster], labels, digits.target, cluster, digit)


def members_view(selected, applied, retry=None) -> dict:
    """The members panel for the picked cluster at the applied settings; closed when nothing is
    picked, or the pick names no cluster of the current fit (k shrank, or a forged name). When the
    server fails to compute them, the panel shows its fault box; `retry` (its clicks) asks again."""
    settings = validated_store(applied)
    picked = _picked(selected)
    if picked is None:
        return CLOSED
    try:
        found = _members(*picked, settings)
    except Exception:  # a server fault: the pick and the settings were checked above
        log.exception("members of %s failed for %s", picked, settings)
        return {"members": no_update, "hidden": False, "fault_hidden": False,
                "card_class": card_class(MEMBERS_CARD[1], failed=True)}
    if found is None:
        return CLOSED
    digit, members = found
    return {"members": members_panel(picked[0], picked[1], digit, members, data.load().target), "hidden": False,
            **FINE}


def _members_callback(selected, applied, retry=None) -> dict:
    # Sent as HTML (components/html_string.py): 48 digit tiles are ~150 components otherwise,
    # each re-wired to Dash's store at every settings change while the panel is open.
    out = members_view(selected, applied, retry)
    if out["members"] is not no_update:
        out = {**out, "members": {"cluster-members": to_html(out["members"])}}
    return out


def register(app: Dash) -> None:
    # The tooltip itself is drawn by assets/cluster_views.js on Plotly's hover event (a Dash
    # round trip per hover took ~80 ms); this hands it the cluster names whenever they change.
    app.clientside_callback(
        ClientsideFunction("clusters", "remember"),
        Output("digit-tooltip", "className"),
        Input("map-clusters", "data"),
        Input("model-clusters", "data"),
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
    # panel closes if the name is gone). With none open, nothing is sent: no request per change.
    app.clientside_callback(
        ClientsideFunction("clusters", "repick"),
        Output("selected-cluster", "data", allow_duplicate=True),
        Input(APPLIED_SETTINGS, "data"),
        State("selected-cluster", "data"),
        prevent_initial_call=True,
    )
    app.callback(
        output={"members": Output(MEMBERS_HTML_STORE, "data"), "hidden": Output("members-card", "hidden"),
                "fault_hidden": Output("members-fault", "hidden"), "card_class": Output(MEMBERS_CARD[0], "className")},
        inputs={"selected": Input("selected-cluster", "data"), "retry": Input("members-retry", "n_clicks")},
        state={"applied": State(APPLIED_SETTINGS, "data")},
        prevent_initial_call=True,
    )(_members_callback)
    app.clientside_callback(ClientsideFunction("htmlViews", "fill"), Input(MEMBERS_HTML_STORE, "data"),
                            prevent_initial_call=True)
