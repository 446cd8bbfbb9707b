"""Thin callbacks, one module per page section: validate through core.settings, call the core
(or a service app.py hands in: callbacks/services.py), hand the results to components."""

from dash import Dash

from callbacks import below_fold, clusters, controls, jobs, replay, settings_map, share, table, uploads
from callbacks.services import Services, install


def register_callbacks(app: Dash, services: Services) -> None:
    install(services)
    for section in (controls, settings_map, table, clusters, jobs, replay, share, below_fold, uploads):
        section.register(app)
