"""Server faults, said as such: when a fit fails on the server (a killed or stuck worker, a timeout),
the view shows "The server could not compute this (server error)." with a retry, fades what it
showed before, and never blames the settings; a retry that succeeds clears it. The core is made
to raise here (monkeypatch); tests/browser/test_server_faults.py kills the table's processes."""

from __future__ import annotations

import concurrent.futures
from concurrent.futures.process import BrokenProcessPool

import pytest
from dash import no_update

from callbacks import clusters, refresh, results_views
from components.server_fault import SERVER_FAULT_TEXT, server_fault
from core.settings import DEFAULTS, Settings
from tests.html_views import sent_view

BLAME = ("settings", "Try other", "could not be computed")


def _values(**changes):
    values = {**DEFAULTS, **changes}
    return values["init_method"], values["n_init"], values["n_clusters"], values["seed"], values["mesh_step"]


def _fails(*_args, **_kwargs):
    raise BrokenProcessPool("a table process was killed")


def _text(component) -> str:
    if isinstance(component, (list, tuple)):
        return " ".join(_text(child) for child in component)
    children = getattr(component, "children", component)
    return children if isinstance(children, str) else _text(children) if children is not None else ""


def test_the_fault_box_says_server_error_and_offers_a_retry():
    box = server_fault("table")
    assert _text(box).startswith(SERVER_FAULT_TEXT) and "(server error)" in SERVER_FAULT_TEXT
    assert box.hidden is True and box.role == "alert"
    assert box.children[1].id == "table-retry" and box.children[1].children == "Retry"
    assert not any(word in SERVER_FAULT_TEXT for word in BLAME)


def test_a_map_refit_that_fails_on_the_server_shows_the_fault_and_a_retry_clears_it(monkeypatch):
    values = _values(seed=9101)
    monkeypatch.setattr(refresh, "plane_map", _fails)
    failed = refresh.map_view(*values)
    assert failed["fault_hidden"] is False and "failed" in failed["card_class"].split()
    # The map and its caption are left as they were; the settings are not blamed, but still applied.
    assert failed["regions"] is no_update and failed["caption"] is no_update
    assert failed["message"] == [] and failed["message_hidden"] is True
    assert failed["applied"]["seed"] == 9101
    monkeypatch.undo()
    retried = refresh.map_view(*values, retry=1)  # the retry button: the same settings again
    assert retried["fault_hidden"] is True and retried["card_class"] == "card map-card"
    assert retried["regions"]["centers"] and "seed 9101" in retried["caption"]


@pytest.mark.parametrize("error", [BrokenProcessPool("killed"), concurrent.futures.TimeoutError()],
                         ids=["killed-process", "timeout"])
def test_table_rows_that_fail_on_the_server_show_the_fault_and_a_retry_clears_it(monkeypatch, error):
    seed = 9102 + isinstance(error, TimeoutError)  # a configuration no other test has cached
    applied = refresh.applied_settings(Settings("random", 3, 7, seed, 0.02))

    def fails(*_args):
        raise error

    monkeypatch.setattr(results_views, "fitted_inits", fails)
    failed = refresh.results_view(applied)
    assert failed["fault_hidden"] is False and "failed" in failed["card_class"].split()
    # Everything else stays as it was (faded): no view claims these settings were computed.
    assert all(failed[key] is no_update for key in refresh.RESULTS_OUTPUTS)
    monkeypatch.undo()
    retried = refresh.results_view(applied, retry=1)
    assert retried["fault_hidden"] is True and retried["card_class"] == "card table-card"
    table = sent_view(retried, "metrics-table")
    assert f"Computed at k = 7, n_init = 3, seed = {seed} " in table.text
    assert len(table.find_all("tbody")[0].find_all("tr")) == 3  # the three rows


def test_members_that_fail_on_the_server_show_the_fault_and_a_retry_clears_it(monkeypatch):
    applied = refresh.applied_settings(Settings(**DEFAULTS))
    pick = {"source": "model", "name": "3"}
    monkeypatch.setattr(clusters, "fitted_init", _fails)
    failed = clusters.members_view(pick, applied)
    assert failed["hidden"] is False and failed["fault_hidden"] is False
    assert failed["members"] is no_update and "failed" in failed["card_class"].split()
    monkeypatch.undo()
    retried = clusters.members_view(pick, applied, retry=1)
    assert retried["hidden"] is False and retried["fault_hidden"] is True
    assert retried["card_class"] == "card members-card" and "members" in _text(retried["members"][0])
