"""The server callbacks called as functions, with the server's services replaced by fakes."""

from __future__ import annotations

import json

import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from callbacks import clusters, jobs, settings_map, share, table
from callbacks.services import DONE, LOST, QUEUED, REFUSED, RUNNING, UNKNOWN, Busy, JobView, Services, install
from core.clustering import row_keys, table_row
from core.settings import DEFAULTS, Settings
from core.sweeps import k_sweep

SHOWN_CLEAN = {"message_hidden": True, "field_classes": ["number-input"] * 4, "applied": dict(DEFAULTS)}


def _text(component) -> str:
    if isinstance(component, (list, tuple)):
        return " ".join(_text(child) for child in component)
    if isinstance(component, str):
        return component
    children = getattr(component, "children", None)
    return "" if children is None else _text(children)


class FakeJobs:
    def __init__(self):
        self.started, self.cancelled = [], []
        self.next_view = JobView(QUEUED, handle="h1", ahead=2)
        self.results = {}

    def page_token(self, token, page_id=None):
        return token if isinstance(token, str) and token.startswith("page-") else "page-1"

    def start(self, kind, params, page):
        self.started.append((kind, params, page))
        return self.next_view

    def status(self, handle, page):
        return self.next_view if handle == "h1" and page == "page-1" else JobView(UNKNOWN)

    def cancel(self, handle, page):
        self.cancelled.append(handle)
        return JobView("cancelled")

    def stored(self, kind, params):
        return self.results.get(kind)


@pytest.fixture
def fakes():
    calls = []

    def rows(key, page=None, seq=None):
        calls.append(key)
        return tuple(table_row(*row_key) for row_key in row_keys(*key))

    fake_jobs = FakeJobs()
    install(Services(table_rows=rows, jobs=fake_jobs))
    return calls, fake_jobs


def _values(**changes):
    return {**DEFAULTS, **changes}


# --- the map and the settings message ------------------------------------------------------------

def test_valid_settings_send_the_fit_and_record_the_applied_settings(fakes):
    out = settings_map.map_view(_values(n_clusters=7), shown=SHOWN_CLEAN)
    regions = json.loads(out["regions"])  # JSON on the regions' clip box
    assert len(regions["centers"]) == 7 and regions["step"] == 0.02
    assert out["applied"] == _values(n_clusters=7)
    assert "k 7" in out["caption"] and out["query"].startswith("?data=digits&")
    assert out["message"] is no_update  # nothing was wrong before, nothing to clear


def test_a_bad_value_changes_nothing_but_the_message_and_marks_the_views_stale(fakes):
    out = settings_map.map_view(_values(n_clusters=99, seed="x"), shown=SHOWN_CLEAN)
    for unchanged in ("regions", "caption", "applied", "clusters", "query", "figure"):
        assert out[unchanged] is no_update, unchanged
    text = _text(out["message"])
    assert "got 99" in text and "from 2 to 30" in text and "got 'x'" in text
    assert out["results_class"] == "content stale" and out["message_hidden"] is False
    assert out["field_classes"] == ["number-input", "number-input invalid", "number-input invalid", "number-input"]


def test_a_new_dataset_sends_its_own_figure_key_and_texts(fakes):
    out = settings_map.map_view(_values(dataset="iris", n_clusters=3), shown=SHOWN_CLEAN)
    assert len(out["figure"]["data"][0]["x"]) == 150
    assert "150 flowers" in out["tagline"] and "setosa" in _text(out["key"])
    same = settings_map.map_view(_values(n_clusters=3), shown=SHOWN_CLEAN)
    assert same["figure"] is no_update


def test_the_map_reports_a_server_fault_with_retry_not_bad_settings(fakes, monkeypatch):
    def broken(*args):
        raise MemoryError

    monkeypatch.setattr(settings_map, "plane_map", broken)
    out = settings_map.map_view(_values(n_clusters=5), shown=SHOWN_CLEAN)
    assert out["fault_hidden"] is False and "failed" in out["card_class"]
    assert out["message"] is no_update  # never a word about the settings


# --- the table ----------------------------------------------------------------------------------

def test_the_table_fits_valid_requests_and_refuses_the_rest_silently(fakes):
    calls, _ = fakes
    out = table.table_view({"values": _values(n_clusters=4), "fallback": None, "page": "p", "seq": 3})
    assert calls == [("digits", 4, 10, 0)] and "k = 4" in _text(out["table"])
    assert out["fault_hidden"] is no_update  # no fault box to hide
    recovered = table.table_view({"values": _values(n_clusters=4), "page": "p", "seq": 4}, fault_hidden=False)
    assert recovered["fault_hidden"] is True and recovered["card_class"] == "card table-card"  # shown: hidden
    for refused in ({"values": _values(n_clusters=99)}, "forged", {"values": "x"}, None):
        with pytest.raises(PreventUpdate):
            table.table_view(refused)
    assert len(calls) == 2


def test_a_superseded_table_changes_nothing_a_busy_one_is_passed_on_a_fault_shows_retry(fakes):
    from callbacks.services import Superseded

    def raising(error):
        def rows(key, page=None, seq=None):
            raise error
        return rows

    install(Services(table_rows=raising(Superseded("newer")), jobs=FakeJobs()))
    with pytest.raises(PreventUpdate):
        table.table_view({"values": _values(), "page": "p", "seq": 1})
    install(Services(table_rows=raising(Busy("full")), jobs=FakeJobs()))
    with pytest.raises(Busy):
        table.table_view({"values": _values()})
    install(Services(table_rows=raising(RuntimeError("worker died")), jobs=FakeJobs()))
    out = table.table_view({"values": _values()})
    assert out["fault_hidden"] is False and out["table"] is no_update


# --- members ------------------------------------------------------------------------------------

def test_members_of_a_picked_cluster_and_forged_picks(fakes):
    out = clusters.members_view({"source": "model", "name": "0"}, dict(DEFAULTS))
    assert out["hidden"] is False and "Cluster" in _text(out["members"])
    for forged in ({"source": "model", "name": "nope"}, {"source": "x", "name": "0"}, None, {"name": 3}):
        assert clusters.members_view(forged, dict(DEFAULTS))["hidden"] is True
    with pytest.raises(PreventUpdate):
        clusters.members_view({"source": "model", "name": "0"}, {"forged": True})


# --- jobs ---------------------------------------------------------------------------------------

class _Triggered:
    def __init__(self, prop_id):
        self.prop_id = prop_id


def _job(monkeypatch, trigger, **kwargs):
    from dash import ctx

    monkeypatch.setattr(type(ctx), "triggered_id", property(lambda self: trigger))
    monkeypatch.setattr(type(ctx), "triggered", property(lambda self: [{"prop_id": f"{trigger}.n_clicks"}]))
    defaults = {"run": 1, "retry": 0, "poll": None, "cancel": 0, "applied": dict(DEFAULTS),
                "fields": {"k_min": 2, "k_max": 5}, "handle": None, "token": None}
    return jobs.job_callback("k-sweep", **{**defaults, **kwargs})


def test_a_sweep_starts_with_validated_params_and_shows_its_place(fakes, monkeypatch):
    _, fake_jobs = fakes
    out = _job(monkeypatch, "k-sweep-run")
    assert fake_jobs.started == [("k-sweep", {"dataset": "digits", "init_method": "k-means++", "n_init": 10,
                                              "seed": 0, "k_min": 2, "k_max": 5}, "page-1")]
    assert out["token"] == "page-1" and out["job"] == "h1" and out["poll_disabled"] is False
    assert out["progress_text"] == "Waiting: 2 ahead" and out["run_disabled"] is True


def test_bad_job_fields_start_nothing_and_say_so(fakes, monkeypatch):
    _, fake_jobs = fakes
    out = _job(monkeypatch, "k-sweep-run", fields={"k_min": None, "k_max": 1e9})
    assert fake_jobs.started == []
    text = _text(out["message"])
    assert "the field holds no number" in text and "got 1000000000.0" in text
    assert out["field_classes"] == ["number-input invalid", "number-input invalid"]


def test_what_a_poll_shows_for_each_state(fakes, monkeypatch):
    _, fake_jobs = fakes
    fake_jobs.next_view = JobView(RUNNING, handle="h1", done=3, total=9)
    running = _job(monkeypatch, "k-sweep-poll", poll=1, handle="h1", token="page-1")
    assert running["progress_text"] == "3 of 9 fits" and running["cancel_hidden"] is False
    fake_jobs.next_view = JobView(LOST)
    lost = _job(monkeypatch, "k-sweep-poll", poll=2, handle="h1", token="page-1")
    assert lost["failure_hidden"] is False and lost["failure_text"] == jobs.LOST_TEXT and lost["poll_disabled"]
    other_page = _job(monkeypatch, "k-sweep-poll", poll=3, handle="h1", token="page-2")
    assert other_page["job"] is None and jobs.UNKNOWN_TEXT == other_page["message"]
    sweep = k_sweep("digits", "k-means++", (2, 3), 1, 0)
    import dataclasses

    fake_jobs.next_view = JobView(DONE, result=dataclasses.asdict(sweep), params={"k_min": 2})
    done = _job(monkeypatch, "k-sweep-poll", poll=4, handle="h1", token="page-1")
    assert done["style"] == {"display": "block"} and done["download_disabled"] is False
    assert done["figure"].data[0].x == (2, 3)
    fake_jobs.next_view = JobView(REFUSED, message="The server's job queue is full (16 jobs)")
    refused = _job(monkeypatch, "k-sweep-run")
    assert "queue is full" in _text(refused["message"]) and refused["message_hidden"] is False


# --- sharing ------------------------------------------------------------------------------------

def test_opening_an_address_sets_the_controls_and_its_notes():
    restored = share.restore_from_address("?data=iris&init=random&k=abc&seed=5")
    assert restored["values"] == {**DEFAULTS, "dataset": "iris", "init_method": "random", "seed": 5}
    assert len(restored["notes"]) == 1 and "k='abc'" in restored["notes"][0]
    for nothing in ("", "?", None, 42, ["?k=3"]):
        with pytest.raises(PreventUpdate):
            share.restore_from_address(nothing)


def test_the_csv_export_refuses_forged_settings_and_reports_a_fault(fakes):
    download = share.export_csv(1, dict(DEFAULTS))
    assert download["status"] == "" and download["download"]["filename"] == "kmeans-digits_k10_n_init10_seed0.csv"
    for forged in (None, {}, {**DEFAULTS, "n_clusters": 99}, {**DEFAULTS, "extra": 1}):
        with pytest.raises(PreventUpdate):
            share.export_csv(1, forged)

    def broken(key, page=None, seq=None):
        raise RuntimeError("worker died")

    install(Services(table_rows=broken, jobs=FakeJobs()))
    assert share.export_csv(1, dict(DEFAULTS)) == {"download": no_update, "status": share.EXPORT_FAILED}


def test_settings_round_trip_through_the_store():
    assert Settings(**DEFAULTS).as_store() == DEFAULTS
