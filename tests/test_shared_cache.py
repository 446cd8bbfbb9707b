"""The shared fit store: core's hook (core/fit_store.py) and its Redis side (serving/shared_cache.py),
on fakeredis. The real redis-server, Celery and gunicorn are in tests/test_scale_out.py."""

from __future__ import annotations

import logging
import time

import fakeredis
import numpy as np
import pytest
from flask import Flask
from flask_caching import Cache

from core import clustering, fit_store
from core.boundary import fit_plane, plane_estimator
from core.data import load
from serving import shared_cache


class DictStore:
    def __init__(self):
        self.values, self.gets = {}, []

    def get(self, key):
        self.gets.append(key)
        return self.values.get(key)

    def set(self, key, value):
        self.values[key] = value


@pytest.fixture
def dict_store():
    store = DictStore()
    fit_store.set_backend(store)
    yield store
    fit_store.set_backend(None)


def test_without_a_backend_nothing_is_shared():
    fit_store.set_backend(None)
    calls = []
    counted = fit_store.shared("test")(lambda x: calls.append(x) or x * 2)
    assert counted(3) == 6 and counted(3) == 6 and calls == [3, 3]


def test_a_shared_result_is_computed_once_and_keyed_by_version_and_arguments(dict_store):
    calls = []
    counted = fit_store.shared("test")(lambda x: calls.append(x) or x * 2)
    assert counted(3) == 6 and counted(3) == 6 and counted(4) == 8
    assert calls == [3, 4]
    assert set(dict_store.values) == {f"{fit_store.version()}:test:(3,)", f"{fit_store.version()}:test:(4,)"}
    # The version names the code (scikit-learn, numpy) and the data it was fitted on.
    assert "sklearn" in fit_store.version() and "numpy" in fit_store.version() and "data" in fit_store.version()


def test_fit_plane_reads_a_fit_another_process_made(dict_store):
    fit_plane.cache_clear()
    model = fit_plane("random", 5, 2, 7)
    key = fit_store.key("fit_plane", ("random", 5, 2, 7))
    assert dict_store.values[key] is model
    fit_plane.cache_clear()  # as another worker: nothing in this process
    assert fit_plane("random", 5, 2, 7) is model  # from the store
    expected = plane_estimator("random", 5, 2, 7).fit(load().reduced)
    np.testing.assert_array_equal(model.cluster_centers_, expected.cluster_centers_)
    fit_plane.cache_clear()


def test_table_rows_are_shared_and_a_stored_row_is_not_fitted_again(dict_store, monkeypatch):
    clustering.benchmark_rows.cache_clear()
    key = ("k-means++", 4, 2, 11)
    row = clustering.benchmark_rows.get(key).result(timeout=60)
    stored_key = fit_store.key("table_row", key)
    for _ in range(100):  # the done-callback stores it (the executor's thread)
        if stored_key in dict_store.values:
            break
        time.sleep(0.02)
    assert dict_store.values[stored_key].scores == row.scores
    clustering.benchmark_rows.cache_clear()
    monkeypatch.setattr(clustering.benchmark_rows, "_submit_locked", lambda *_: pytest.fail("fitted again"))
    assert clustering.benchmark_rows.get(key).result(timeout=1).scores == row.scores
    clustering.benchmark_rows.cache_clear()


def _store(server: fakeredis.FakeServer) -> shared_cache.SharedStore:
    client = fakeredis.FakeRedis(server=server)
    cache = Cache(Flask(__name__), config={"CACHE_TYPE": "RedisCache", "CACHE_REDIS_HOST": client,
                                           "CACHE_KEY_PREFIX": "kmeans-digits:"})
    return shared_cache.SharedStore(cache, "redis://redis:6379/0")


def test_the_redis_store_round_trips_a_fit_with_a_bounded_ttl():
    server = fakeredis.FakeServer()
    store = _store(server)
    row = clustering.table_row("random", 3, 1, 0)
    store.set("k", row)
    back = store.get("k")
    assert back.scores == row.scores
    np.testing.assert_array_equal(back.fit.labels, row.fit.labels)
    ttl = fakeredis.FakeRedis(server=server).ttl("kmeans-digits:k")
    assert 0 < ttl <= shared_cache.FIT_TTL_S


def test_redis_lost_reads_as_a_miss_with_one_log_line_and_comes_back(caplog, monkeypatch):
    server = fakeredis.FakeServer()
    store = _store(server)
    store.set("k", 1)
    server.connected = False
    clock = [1000.0]
    monkeypatch.setattr(shared_cache.time, "monotonic", lambda: clock[0])
    with caplog.at_level(logging.WARNING, logger="serving.shared_cache"):
        for _ in range(20):
            assert store.get("k") is None
            store.set("k", 2)  # dropped, no exception
        assert not store.reachable()
        assert [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()] == [
            caplog.records[0].getMessage()]
        assert "redis:6379/0" in caplog.records[0].getMessage() and "computing locally" in caplog.records[0].getMessage()
        server.connected = True
        assert store.get("k") is None  # still within RETRY_S of the failure: not asked
        clock[0] += shared_cache.RETRY_S + 0.1
        assert store.get("k") == 1  # asked again: back
        assert any("reachable again" in r.getMessage() for r in caplog.records)


def test_without_redis_url_the_embedded_default_stays(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert shared_cache.install(Flask(__name__)) is None
    assert fit_store.backend() is None
    from serving import jobs_manager

    assert not jobs_manager.uses_celery()
    assert type(jobs_manager.manager()).__name__ == "JobsDiskcacheManager"


def test_redis_unreachable_at_start_up_computes_locally(monkeypatch, caplog):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    monkeypatch.setattr(shared_cache, "_installed", {})
    with caplog.at_level(logging.WARNING, logger="serving.shared_cache"):
        store = shared_cache.install(Flask(__name__))
    try:
        assert store is not None and fit_store.backend() is store
        assert sum("unreachable" in r.getMessage() for r in caplog.records) == 1
        calls = []
        counted = fit_store.shared("test")(lambda x: calls.append(x) or x)
        assert counted(1) == 1 and calls == [1]  # computed here
    finally:
        fit_store.set_backend(None)
