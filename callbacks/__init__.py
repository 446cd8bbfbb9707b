"""Thin callbacks: validate inputs, call the core, hand results to components."""

from dash import Dash

from callbacks import below_fold, clusters, controls, jobs, refresh, share


def register_callbacks(app: Dash) -> None:
    controls.register(app)
    refresh.register(app)
    clusters.register(app)
    jobs.register(app)
    share.register(app)
    below_fold.register(app)
