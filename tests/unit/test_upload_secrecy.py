"""What an upload's key (its secret) must never reach: a log line (the app's, or Celery's, which prints a task's
arguments), an address, the shared fit cache. diskcache in a test's own directory; no servers."""

from __future__ import annotations

import logging
from unittest import mock
from urllib.parse import quote

import flask
import numpy as np
import pandas as pd
from celery import states
from sklearn.datasets import make_blobs

from core import datasets
from core.settings import DEFAULTS, Settings
from core.share import format_query, parse_query
from serving import upload_route
from serving.fit_cache import FitCache
from serving.jobs import queue
from serving.jobs.store import DiskStore
from serving.uploads import UploadStore

FEATURES = ["f0", "f1", "f2"]
KEY = "upload-" + "x" * 22 + "-0123456789abcdef"  # the form of an upload's key


def labelled_csv() -> bytes:
    features, target = make_blobs(n_samples=60, n_features=3, centers=3, random_state=0)
    frame = pd.DataFrame(features, columns=FEATURES)
    frame["species"] = np.array(["setosa", "versicolor", "virginica"])[target]
    return frame.to_csv(index=False).encode()


def flask_client(store: UploadStore):
    app = flask.Flask(__name__)
    upload_route.register(app, store)
    return app.test_client()


def post(client, data: bytes):
    return client.post("/upload", data=data, headers={"X-Filename": quote("blobs.csv")})


# --- log lines --------------------------------------------------------------------------------------------------------

def test_no_log_record_holds_the_upload_id(store, caplog):
    client = flask_client(store)
    with caplog.at_level(logging.DEBUG):
        upload_id = post(client, labelled_csv()).get_json()["id"]
        key = store.choose(upload_id, FEATURES, "species", True)[0]
        datasets.load(key)
        assert client.post("/upload/forget", data=upload_id).get_json() == {"forgotten": True}
    leaks = [record.getMessage() for record in caplog.records if upload_id in record.getMessage()]
    assert leaks == []


def test_a_server_fault_on_an_upload_is_logged_without_its_key(store, caplog, monkeypatch):
    from callbacks import settings_map

    upload_id = store.receive(labelled_csv(), "blobs.csv").upload_id
    key = store.choose(upload_id, FEATURES, "species", True)[0]
    monkeypatch.setattr(settings_map, "plane_map", mock.Mock(side_effect=RuntimeError("boom")))
    values = settings_map.control_values(key, "k-means++", 3, 3, 0, 0.1)
    with caplog.at_level(logging.ERROR):
        shown = settings_map.map_view(values)
    assert shown["fault_hidden"] is False  # the map's fault box, with its Retry
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "map refit failed for Settings(dataset='upload'" in logged and upload_id not in logged


def test_celery_is_sent_a_jobs_upload_key_but_prints_its_arguments_without_it(tmp_path, monkeypatch):
    jobs = queue.JobQueue("secret", client=lambda: "192.0.2.1", store=DiskStore(str(tmp_path / "jobs")))
    monkeypatch.setattr(jobs, "workers", mock.Mock(**{"silent_for.return_value": 0.0}))  # no broker asked
    monkeypatch.setattr(jobs, "_celery_state", lambda task: states.PENDING)
    sent = mock.Mock()
    monkeypatch.setattr(queue.run_job, "apply_async", sent)
    params = {"dataset": KEY, "init_method": "k-means++", "n_init": 10, "seed": 0, "k_min": 2, "k_max": 6}
    jobs.start("sweep", params, jobs.page_token(None))
    (call,) = sent.call_args_list
    assert call.kwargs["args"] == ("sweep", params)  # the worker gets the key: it loads the upload by it
    shown = call.kwargs["argsrepr"]  # what Celery's 'received' and failure records print
    assert KEY not in shown and "x" * 22 not in shown and "'dataset': 'upload'" in shown and "'k_max': 6" in shown
    assert "'dataset': 'iris'" in queue.task_argsrepr("sweep", {**params, "dataset": "iris"})


# --- the address and the fit cache ---------------------------------------------------------------------------------

def test_an_address_says_an_upload_was_used_but_never_holds_its_key():
    key = KEY
    query = format_query(Settings(**{**DEFAULTS, "dataset": key, "n_clusters": 4}))
    assert "data=upload&" in query and key not in query and "x" * 22 not in query
    shared = parse_query("?data=upload&k=4")
    assert shared.settings.dataset == "digits" and shared.settings.n_clusters == 4
    assert len(shared.notes) == 1 and "uploaded in another tab" in shared.notes[0]


def test_the_fit_cache_never_reads_or_writes_an_uploads_rows():
    cache = FitCache("redis://127.0.0.1:1/0")  # the client connects on its first command, never here
    cache.client = mock.Mock(**{"get.return_value": None})
    args = (KEY, 3, 10, 0)
    assert cache.get("table", args) is None
    cache.set("table", args, ("row",))
    assert cache.client.method_calls == []
    cache.get("table", ("digits", 3, 10, 0))
    cache.set("table", ("digits", 3, 10, 0), ("row",))
    assert [call[0] for call in cache.client.method_calls] == ["get", "set"]
