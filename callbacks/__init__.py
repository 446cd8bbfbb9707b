"""Thin callbacks: validate inputs, call the core, hand results to components."""

from dash import Dash

from callbacks import controls, jobs, refresh


def register_callbacks(app: Dash) -> None:
    controls.register(app)
    refresh.register(app)
    jobs.register(app)
