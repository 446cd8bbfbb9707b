"""A table request that a newer change of the same page has superseded is dropped, not fitted."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future

import diskcache
import fakeredis
import pytest
from dash.exceptions import PreventUpdate
from flask import Flask
from flask_caching import Cache

from callbacks import refresh
from core.settings import DEFAULTS, INIT_METHODS, Settings
from serving import shared_cache, superseded


def _change(token, **changes) -> dict:
    values = {**DEFAULTS, **changes}
    return refresh.map_view(values["init_method"], values["n_init"], values["n_clusters"], values["seed"],
                            values["mesh_step"], page_token=token)


def test_a_page_gets_a_token_with_its_first_valid_change_and_keeps_it():
    first = _change(None, seed=8101)
    token = first["token"]
    assert superseded.TOKEN.match(token)
    assert _change(token, seed=8102)["token"] is refresh.no_update
    # Something that is not a token (forged) is replaced, never stored as sent.
    assert superseded.TOKEN.match(_change("<script>", seed=8103)["token"])
    # A refused value hands out nothing.
    assert _change(None, n_clusters=99)["token"] is refresh.no_update


def test_the_table_of_settings_the_page_has_left_is_not_fitted(monkeypatch):
    token = _change(None, seed=8111)["token"]
    left = refresh.applied_settings(Settings(**{**DEFAULTS, "seed": 8111}))
    _change(token, seed=8112)  # the next click, before the first table was asked for
    started = []
    monkeypatch.setattr(refresh, "row_futures", lambda *key, **_: started.append(key) or [])
    with pytest.raises(PreventUpdate):
        refresh.results_view(left, page_token=token)
    assert started == [], "no row of a superseded table is started"
    # Another page, or a request without a token, still gets its table.
    other = _change(None, seed=8111)["token"]
    monkeypatch.undo()
    assert "metrics-table" in refresh.results_view(left, page_token=other)["views"]


def test_a_table_request_waiting_on_its_rows_gives_up_when_superseded_and_cancels_them(monkeypatch):
    token = _change(None, seed=8121)["token"]
    rows = [Future() for _ in range(3)]  # rows that have not started
    monkeypatch.setattr(refresh, "row_futures", lambda *key, **_: rows)
    outcome = {}

    def ask():
        try:
            refresh.results_view(refresh.applied_settings(Settings(**{**DEFAULTS, "seed": 8121})), page_token=token)
            outcome["answer"] = "answered"
        except PreventUpdate:
            outcome["answer"] = "dropped"
        outcome["at"] = time.monotonic()

    waiting = threading.Thread(target=ask)
    waiting.start()
    time.sleep(0.3)
    assert waiting.is_alive(), "it waits for its rows while still wanted"
    moved_on = time.monotonic()
    _change(token, seed=8122)
    waiting.join(timeout=5)
    assert outcome["answer"] == "dropped"
    assert outcome["at"] - moved_on < 0.5, "it stops waiting within a poll or two"
    assert all(row.cancelled() for row in rows), "rows nobody else waits on are not started"


def test_a_superseded_table_stops_the_rows_already_being_fitted(monkeypatch):
    """Back to back, the rows of a table the page has left must not hold the cores the next
    change needs: the ones being fitted are stopped, not finished."""
    from core import clustering, row_stop

    clustering.start_workers()
    heavy = {"n_clusters": 30, "n_init": 50, "seed": 8141}  # the heaviest allowed: seconds per row
    token = _change(None, **heavy)["token"]
    asked = []
    monkeypatch.setattr(refresh, "row_futures", lambda *key, **kw: asked.extend(clustering.row_futures(*key, **kw)) or asked)
    outcome = {}
    waiting = threading.Thread(target=lambda: outcome.setdefault("view", _table_or_dropped(token, heavy)))
    waiting.start()
    time.sleep(0.5)
    assert sum(row.running() for row in asked) >= clustering.ROW_WORKERS  # in the workers
    _change(token, **{**heavy, "seed": 8142})
    waiting.join(timeout=5)
    assert outcome["view"] == "dropped"
    # The k-means++ row is seconds of fitting (the random one ~0.5 s, PCA-based one run: either
    # may be done by then): it was being fitted, and was stopped rather than finished.
    heaviest = dict(zip(INIT_METHODS, asked))["k-means++"]
    with pytest.raises(row_stop.RowAbandoned):
        heaviest.result(timeout=30)


def _table_or_dropped(token, settings) -> object:
    try:
        return refresh.results_view(refresh.applied_settings(Settings(**{**DEFAULTS, **settings})), page_token=token)
    except PreventUpdate:
        return "dropped"


def test_a_row_another_request_still_waits_on_is_not_cancelled():
    shared = Future()
    kept = {}

    def other_request():
        superseded.wait_unless_superseded([shared], lambda: False, timeout=2)
        kept["done"] = True

    other = threading.Thread(target=other_request)
    other.start()
    time.sleep(0.1)
    with pytest.raises(superseded.Superseded):
        superseded.wait_unless_superseded([shared], lambda: True, timeout=2)
    assert not shared.cancelled()
    shared.set_result(1)
    other.join(timeout=5)
    assert kept == {"done": True}


def test_a_row_that_never_finishes_is_a_timeout_not_a_longer_wait():
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        superseded.wait_unless_superseded([Future()], lambda: False, timeout=0.3)
    assert time.monotonic() - started < 2


def test_a_table_whose_rows_have_not_started_in_time_is_answered_busy_and_its_rows_dropped(monkeypatch):
    """Under a crowd at the heaviest settings, a table still queued after ROW_START_WAIT_S is
    answered busy (503, the page asks again), not left waiting past any client's patience."""
    from core.row_pool import FitQueueFull

    queued = [Future() for _ in range(3)]  # never handed to a worker
    monkeypatch.setattr(refresh, "row_futures", lambda *key, **_: queued)
    monkeypatch.setattr(refresh, "ROW_START_WAIT_S", 0.3)
    started = time.monotonic()
    with pytest.raises(FitQueueFull):
        refresh.results_view(refresh.applied_settings(Settings(**{**DEFAULTS, "seed": 8131})))
    assert 0.3 <= time.monotonic() - started < 2
    assert all(row.cancelled() for row in queued), "rows nobody else waits on are dropped"


def test_a_table_whose_rows_are_running_waits_for_them_past_the_start_wait(monkeypatch):
    running = [Future() for _ in range(3)]
    for row in running:
        row.set_running_or_notify_cancel()
    threading.Timer(0.6, lambda: [row.set_result(None) for row in running]).start()
    monkeypatch.setattr(refresh, "row_futures", lambda *key, **_: running)
    monkeypatch.setattr(refresh, "ROW_START_WAIT_S", 0.2)
    started = time.monotonic()
    view = refresh.results_view(refresh.applied_settings(Settings(**{**DEFAULTS, "seed": 8132})))
    assert time.monotonic() - started >= 0.6  # it waited for the rows running, not answered busy
    assert view["fault_hidden"] is True and "metrics-table" in view["views"]


# Where the record lives: Redis when the jobs run on Celery (a change's map and table requests may
# reach different machines), else this machine's diskcache. The real redis-server and two gunicorn
# instances: tests/test_scale_out.py.

def _redis_store(server: fakeredis.FakeServer) -> shared_cache.SharedStore:
    """A process's shared store on `server`, as shared_cache.install makes it from REDIS_URL."""
    cache = Cache(Flask(__name__), config={"CACHE_TYPE": "RedisCache", "CACHE_KEY_PREFIX": "kmeans-digits:",
                                           "CACHE_REDIS_HOST": fakeredis.FakeRedis(server=server)})
    return shared_cache.SharedStore(cache, "redis://redis:6379/0")


@pytest.fixture
def machine(monkeypatch):
    """machine(store): this process as a machine whose shared store (from REDIS_URL) is `store`."""
    def become(store: shared_cache.SharedStore | None) -> None:
        monkeypatch.setattr(shared_cache, "_installed", {"store": store} if store else {})
        monkeypatch.setattr(superseded, "_store", None)  # chosen again at the next record
    return become


def test_with_redis_a_record_made_on_one_machine_supersedes_on_another(machine):
    server = fakeredis.FakeServer()
    machine(_redis_store(server))  # machine A: the map request of the page's next change
    token = _change(None, seed=8161)["token"]
    _change(token, seed=8162)
    assert isinstance(superseded._latest(), shared_cache.SharedStore)
    client = fakeredis.FakeRedis(server=server)
    assert 0 < client.ttl(f"kmeans-digits:superseded:{token}") <= superseded.RECORD_TTL_S
    machine(_redis_store(server))  # machine B: another process, the same Redis, its own disk
    left = refresh.applied_settings(Settings(**{**DEFAULTS, "seed": 8161}))
    with pytest.raises(PreventUpdate):
        refresh.results_view(left, page_token=token)
    assert not superseded.is_superseded(token, refresh.table_key(Settings(**{**DEFAULTS, "seed": 8162})))


def test_with_redis_lost_nothing_is_superseded_and_nothing_fails(machine, caplog):
    server = fakeredis.FakeServer()
    machine(_redis_store(server))
    token = _change(None, seed=8141)["token"]
    _change(token, seed=8142)
    key = refresh.table_key(Settings(**{**DEFAULTS, "seed": 8141}))
    assert superseded.is_superseded(token, key)
    server.connected = False
    with caplog.at_level(logging.WARNING, logger="serving.shared_cache"):
        superseded.record(token, key)  # dropped, no exception
        assert not superseded.is_superseded(token, key)
        left = refresh.applied_settings(Settings(**{**DEFAULTS, "seed": 8141}))
        assert "metrics-table" in refresh.results_view(left, page_token=token)["views"]  # fitted, shown
    assert any("unreachable" in record.getMessage() for record in caplog.records)


def test_without_redis_the_record_stays_on_this_machine(machine):
    machine(None)
    token = _change(None, seed=8151)["token"]
    store = superseded._latest()
    assert isinstance(store, diskcache.Cache) and store.directory.endswith("latest-tables")
    assert store.get(f"superseded:{token}") == refresh.table_key(Settings(**{**DEFAULTS, "seed": 8151}))
