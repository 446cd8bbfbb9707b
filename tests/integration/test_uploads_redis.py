"""Uploads kept in a real Redis (`REDIS_URL`), as a deployment of several web processes, table processes and Celery
workers keeps them: every key of an upload carries its time-to-live, forgetting deletes them all, the machine's cap
counts every process's uploads, and another process loads a chosen dataset by its key alone.

redis-server is started here on a free loopback port (keeping nothing on disk, never evicting). Without it the module
skips and says why; with REQUIRE_REDIS=1 (CI) that is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import redis
from sklearn.datasets import make_blobs

from core import datasets
from serving.uploads import StoreFull, UploadStore
from tests.integration.conftest import REPO, RedisServer, free_port, python_path, require_binary, wait_until
from tests.unit.test_upload_abuse import choose_while_another_process_forgets

pytestmark = pytest.mark.integration

PREFIX = "kmeans-upload:"  # serving.upload_backends.RedisBackend.PREFIX: every key an upload makes starts so
FEATURES = ["f0", "f1", "f2"]
TTL_S = 600


def blobs_csv(seed: int = 0) -> bytes:
    features, target = make_blobs(n_samples=120, n_features=3, centers=3, random_state=seed)
    frame = pd.DataFrame(features, columns=FEATURES)
    frame["species"] = np.array(["setosa", "versicolor", "virginica"])[target]
    return frame.to_csv(index=False).encode()


def key_of(store: UploadStore, upload_id: str, features, label, standardize) -> str:
    """The dataset key of a choice that is kept (UploadStore.choose answers the key and its notes)."""
    key, notes = store.choose(upload_id, features, label, standardize)
    assert isinstance(notes, tuple)
    return key


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """(url, client) of a redis-server started for this module."""
    binary = require_binary("redis-server", "REQUIRE_REDIS")
    server = RedisServer(binary, tmp_path_factory.mktemp("uploads-redis"), free_port()).start()
    try:
        yield server.url, redis.Redis.from_url(server.url, socket_connect_timeout=1)
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server):
    """An empty database."""
    url, client = redis_server
    client.flushdb()
    return url


@pytest.fixture
def client(redis_server):
    return redis_server[1]


def upload_keys(client, upload_id: str) -> list[bytes]:
    return sorted(client.scan_iter(match=f"{PREFIX}{upload_id}:*", count=500))


def test_an_upload_round_trips_and_each_of_its_keys_expires(redis_url, client, dataset_source):
    store = UploadStore(redis_url, ttl_s=TTL_S)
    dataset_source(store.source)
    received = store.receive(blobs_csv(), "blobs.csv")
    key = key_of(store, received.upload_id, FEATURES, "species", True)
    unlabelled = key_of(store, received.upload_id, FEATURES[:2], None, False)
    dataset = datasets.load(key)
    assert dataset.n_samples == 120 and dataset.class_names == ("setosa", "versicolor", "virginica")
    assert datasets.load(unlabelled).n_features == 2 and not datasets.load(unlabelled).labelled

    keys = upload_keys(client, received.upload_id)
    suffixes = sorted(name.decode().rsplit(":", 1)[1] for name in keys)
    assert suffixes == sorted(["csv", "meta", key[-16:], unlabelled[-16:]])
    assert set(client.keys("*")) == set(keys)  # nothing else was written
    for name in keys:
        assert 0 < client.pttl(name) <= TTL_S * 1000, (name, client.pttl(name))

    assert store.forget(received.upload_id) is True
    assert upload_keys(client, received.upload_id) == [] and client.dbsize() == 0
    assert store.source(key) is None and datasets.find(unlabelled) is None
    assert store.forget(received.upload_id) is False


def test_an_upload_is_gone_from_redis_once_its_time_is_up(redis_url, client, dataset_source):
    store = UploadStore(redis_url, ttl_s=1)
    dataset_source(store.source)
    received = store.receive(blobs_csv(), "blobs.csv")
    key = key_of(store, received.upload_id, FEATURES, "species", True)
    assert datasets.find(key) is not None
    wait_until(lambda: not upload_keys(client, received.upload_id), 10, 0.05, "every key of the upload expired")
    assert store.source(key) is None  # this process's prepared copy is not used past the upload's life
    with pytest.raises(KeyError):
        store.choose(received.upload_id, FEATURES, "species", True)


@pytest.mark.parametrize("written", ["the choice", "the meta"])
def test_a_forget_from_another_process_in_the_middle_of_a_choice_wins(redis_url, client, written):
    """Forget lands after the choice read the upload's meta, before (or between) its writes: nothing is brought back."""
    mine, theirs = UploadStore(redis_url, ttl_s=TTL_S, max_kept=1), UploadStore(redis_url, ttl_s=TTL_S, max_kept=1)
    upload_id = mine.receive(blobs_csv(), "blobs.csv").upload_id
    choose_while_another_process_forgets(mine, theirs, upload_id, written)
    assert upload_keys(client, upload_id) == [] and client.dbsize() == 0
    assert theirs.receive(blobs_csv(1), "next.csv")  # the cap of one upload counts it no more


def test_the_per_client_cap_counts_that_clients_uploads_in_every_web_process(redis_url, client):
    web_a, web_b = (UploadStore(redis_url, ttl_s=TTL_S, max_kept=8, per_client=1) for _ in range(2))
    kept = web_a.receive(blobs_csv(0), "a.csv", client="visitor-1")
    with pytest.raises(StoreFull, match="Your address already keeps 1 upload, its limit"):
        web_b.receive(blobs_csv(1), "b.csv", client="visitor-1")
    assert web_b.receive(blobs_csv(1), "b.csv", client="visitor-2")
    web_b.forget(kept.upload_id)
    assert web_a.receive(blobs_csv(2), "c.csv", client="visitor-1")
    for key in client.scan_iter(match="kmeans-upload:*"):
        assert client.ttl(key) > 0  # the client's marks expire with their uploads


def test_the_cap_counts_the_uploads_of_every_web_process(redis_url):
    web_a, web_b = UploadStore(redis_url, ttl_s=TTL_S, max_kept=2), UploadStore(redis_url, ttl_s=TTL_S, max_kept=2)
    first = web_a.receive(blobs_csv(0), "a.csv")
    second = web_b.receive(blobs_csv(1), "b.csv")
    for store in (web_a, web_b):
        with pytest.raises(StoreFull, match="keeps 2 uploads"):
            store.receive(blobs_csv(2), "c.csv")
    # A page replacing its own upload frees its place, whichever process it reaches.
    replaced = web_a.receive(blobs_csv(2), "c.csv", replaces=second.upload_id)
    assert key_of(web_b, replaced.upload_id, FEATURES, None, True).startswith(f"upload-{replaced.upload_id}-")
    with pytest.raises(KeyError):
        web_a.choose(second.upload_id, FEATURES, None, True)
    # Forgotten through the other process: the place is free for anyone.
    assert web_b.forget(first.upload_id) is True
    assert web_b.receive(blobs_csv(3), "d.csv").upload_id not in (first.upload_id, replaced.upload_id)


PROCESS = """
import sys
from core import datasets
from serving import uploads
uploads.install_from_environment()
key = sys.argv[1]
print(datasets.load(key).n_samples if datasets.find(key) is not None else "gone")
"""


def load_elsewhere(redis_url: str, key: str) -> str:
    """What a worker or table process (its own interpreter, REDIS_URL set) loads under `key`."""
    env = {"PATH": python_path(), "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8", "REDIS_URL": redis_url,
           "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1",
           "UPLOADS_DIR": "/nonexistent/never-used-with-redis"}
    done = subprocess.run([sys.executable, "-c", PROCESS, key], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def test_another_process_loads_the_chosen_dataset_by_its_key(redis_url):
    store = UploadStore(redis_url, ttl_s=TTL_S)
    received = store.receive(blobs_csv(), "blobs.csv")
    key = key_of(store, received.upload_id, FEATURES, "species", True)
    assert load_elsewhere(redis_url, key) == "120"
    store.forget(received.upload_id)
    assert load_elsewhere(redis_url, key) == "gone"
