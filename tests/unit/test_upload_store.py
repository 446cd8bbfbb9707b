"""serving.uploads.UploadStore (diskcache in a test's own directory), its HTTP route, the "Your data" callbacks, and
what an upload's key must never reach: an address, a log line, the shared fit cache. No servers."""

from __future__ import annotations

import time
from urllib.parse import quote

import dash
import flask
import numpy as np
import pandas as pd
import pytest
from dash import html, no_update
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler
from werkzeug.test import EnvironBuilder

from callbacks import services as services_module
from callbacks import uploads as upload_callbacks
from callbacks.services import Services, install
from components.controls import dataset_options
from core import datasets
from core.datasets import DATASETS
from core.settings import DEFAULTS, InvalidSettings, validate
from core.uploads import MAX_BYTES
from serving import http, upload_route
from serving.uploads import UploadStore

SPECIES = np.array(["setosa", "versicolor", "virginica"])  # sorted: the class codes are make_blobs' own
FEATURES = ["f0", "f1", "f2"]


def labelled_csv(seed: int = 0) -> tuple[bytes, np.ndarray, np.ndarray]:
    """A CSV of three blobs, a text label and a column of one value; (bytes, features, target)."""
    features, target = make_blobs(n_samples=150, n_features=3, centers=3, random_state=seed)
    frame = pd.DataFrame(features, columns=FEATURES)
    frame["species"] = SPECIES[target]
    frame["site"] = "north"
    return frame.to_csv(index=False).encode(), features, target


@pytest.fixture
def store_factory(tmp_path, monkeypatch, dataset_source):
    """UploadStores on this test's own directory, their sources added to core.datasets."""
    monkeypatch.setenv("UPLOADS_DIR", str(tmp_path / "uploads"))

    def make(**options) -> UploadStore:
        store = UploadStore(**options)
        dataset_source(store.source)
        return store

    return make


@pytest.fixture
def store(store_factory):
    return store_factory()


def flask_client(store: UploadStore):
    app = flask.Flask(__name__)
    upload_route.register(app, store)
    return app.test_client()


def post(client, data: bytes, filename: str = "blobs.csv", replaces: str | None = None):
    headers = {"X-Filename": quote(filename)} | ({"X-Replaces": replaces} if replaces else {})
    return client.post("/upload", data=data, headers=headers)


# --- the route ------------------------------------------------------------------------------------------------------

def test_the_route_answers_what_a_file_holds_or_why_it_is_refused(store):
    client = flask_client(store)
    answer = post(client, labelled_csv()[0], filename="my blobs (1).csv")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert body["filename"] == "my blobs (1).csv" and body["rows"] == 150
    assert body["columns"] == [*FEATURES, "species", "site"]
    assert body["numeric"] == FEATURES and body["label_candidates"] == ["species"]
    assert (body["delimiter"], body["decimal"], body["notes"]) == (",", ".", [])
    assert isinstance(body["id"], str) and len(body["id"]) == 22
    refused = post(client, b"name,colour\nann,red\nbob,blue\ncid,green\n")
    assert refused.status_code == 400 and "no column of numbers" in refused.get_json()["error"]


def past_the_limit(client, size: int):
    """An upload that says it is `size` bytes: judged from Content-Length, before a byte of it is read."""
    return client.post("/upload", data=b"a,b\n1,2\n", environ_overrides={"CONTENT_LENGTH": str(size)})


def test_a_body_past_the_limit_is_413_and_one_without_a_length_411(store, monkeypatch):
    client = flask_client(store)
    assert past_the_limit(client, MAX_BYTES + 1).status_code == 413
    monkeypatch.setattr(upload_route, "MAX_BYTES", 1024)
    assert post(client, labelled_csv()[0]).status_code == 413
    chunked = EnvironBuilder(path="/upload", method="POST", data=b"a,b\n1,2\n",
                             headers={"Transfer-Encoding": "chunked"}).get_environ()
    del chunked["CONTENT_LENGTH"]
    chunked["wsgi.input_terminated"] = True
    assert client.open(chunked).status_code == 411


def test_the_413_message_never_calls_a_file_past_the_limit_as_big_as_the_limit(store):
    client = flask_client(store)
    message = past_the_limit(client, MAX_BYTES + 1).get_json()["error"]
    # "The file is 50.0 MB; files up to 50 MB can be uploaded." contradicts itself: core.uploads rounds up.
    assert "50 MB" in message and "50.0 MB" not in message, message


def test_the_apps_64_kb_body_limit_spares_the_upload_route_only(store):
    app = dash.Dash(__name__)
    app.layout = html.Div()
    upload_route.register(app.server, store)
    http.install(app, debug=False)
    client = app.server.test_client()
    big = b"a,b\n" + b"".join(b"%d,%d\n" % (i, 2 * i) for i in range(20_000))
    assert len(big) > http.MAX_REQUEST_BYTES
    answer = post(client, big)
    assert answer.status_code == 200 and answer.get_json()["rows"] == 20_000
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert client.post("/upload/forget", data=b"x" * (http.MAX_REQUEST_BYTES + 1)).status_code == 413
    assert client.post("/upload/forget", data=answer.get_json()["id"]).get_json() == {"forgotten": True}


def test_a_full_store_is_503_and_a_page_replacing_its_own_upload_is_not(store_factory):
    client = flask_client(store_factory(max_kept=1))
    first = post(client, labelled_csv()[0]).get_json()["id"]
    other_page = post(client, labelled_csv(1)[0])
    assert other_page.status_code == 503 and "keeps 1 upload, its limit" in other_page.get_json()["error"]
    replaced = post(client, labelled_csv(1)[0], replaces=first)
    assert replaced.status_code == 200 and replaced.get_json()["id"] != first
    assert client.post("/upload/forget", data=first).get_json() == {"forgotten": False}  # already gone
    assert client.post("/upload/forget", data=replaced.get_json()["id"]).get_json() == {"forgotten": True}
    assert post(client, labelled_csv()[0]).status_code == 200  # the place is free again


# --- the store --------------------------------------------------------------------------------------------------------

def test_a_choice_loads_as_the_csv_standardized_with_its_labels(store):
    data, features, target = labelled_csv()
    received = store.receive(data, "blobs.csv")
    key = store.choose(received.upload_id, FEATURES, "species", True)[0]
    assert key.startswith(f"upload-{received.upload_id}-") and len(key) == len("upload-") + 22 + 1 + 16
    dataset = datasets.load(key)
    np.testing.assert_allclose(dataset.features, features, rtol=1e-12)
    np.testing.assert_allclose(dataset.scaled, StandardScaler().fit_transform(features), rtol=1e-9, atol=1e-12)
    assert dataset.class_names == tuple(SPECIES) and dataset.feature_names == tuple(FEATURES)
    np.testing.assert_array_equal(dataset.target, target)
    assert store.choose(received.upload_id, FEATURES, "species", True)[0] == key  # the same choice, the same key
    raw = datasets.load(store.choose(received.upload_id, FEATURES, None, False)[0])
    assert not raw.labelled and not raw.standardized
    np.testing.assert_allclose(raw.scaled, features, rtol=1e-12)


def test_a_choice_says_which_rows_it_dropped(store):
    received = store.receive(b"a,b,c,kind\n1,2,0,x\n3,,1,y\n5,6,0,x\n7,8,1,y\n9,10,0,x\n", "gaps.csv")
    key, notes = store.choose(received.upload_id, ["a", "b"], "kind", True)
    assert notes == ("1 row was dropped: it had empty, NaN or infinite cells in the chosen columns.",)
    assert datasets.load(key).n_samples == 4 and store.choose(received.upload_id, ["a", "c"], None, True)[1] == ()


def test_a_forgotten_upload_is_gone_and_its_key_never_repeated(store):
    received = store.receive(labelled_csv()[0], "blobs.csv")
    key = store.choose(received.upload_id, FEATURES, "species", True)[0]
    assert validate({**DEFAULTS, "dataset": key, "n_clusters": 3}).dataset == key
    assert store.forget(received.upload_id) is True and store.forget(received.upload_id) is False
    assert store.source(key) is None and datasets.find(key) is None
    with pytest.raises(InvalidSettings) as caught:
        validate({**DEFAULTS, "dataset": key, "n_clusters": 3})
    assert "no longer kept" in str(caught.value) and received.upload_id not in str(caught.value)
    with pytest.raises(KeyError):
        store.choose(received.upload_id, FEATURES, "species", True)


def test_another_process_on_the_same_directory_sees_the_upload_until_it_is_forgotten(store_factory):
    mine, theirs = store_factory(), UploadStore()
    received = mine.receive(labelled_csv()[0], "blobs.csv")
    key = mine.choose(received.upload_id, FEATURES, "species", True)[0]
    seen = theirs.source(key)
    assert seen is not None and seen.n_samples == 150
    assert theirs.choose(received.upload_id, FEATURES, None, True)[0].startswith(f"upload-{received.upload_id}-")
    mine.forget(received.upload_id)
    assert theirs.source(key) is None  # its own prepared copy is dropped too


def kept(store: UploadStore, upload_id: str) -> list[str]:
    """What the store's directory holds of an upload: csv, meta and the digests of its choices."""
    return sorted(key.split(":")[1] for key in store.backend.cache.iterkeys() if key.startswith(f"{upload_id}:"))


def test_an_upload_keeps_its_two_newest_choices(store):
    upload_id = store.receive(labelled_csv()[0], "blobs.csv").upload_id
    first, second, third = (store.choose(upload_id, features, None, True)[0]
                            for features in (FEATURES, FEATURES[:2], FEATURES[1:]))
    assert datasets.find(first) is None and datasets.find(second) is not None and datasets.find(third) is not None
    assert store.choose(upload_id, FEATURES[:2], None, True)[0] == second  # chosen again: the newest
    fourth = store.choose(upload_id, FEATURES, "species", True)[0]
    assert datasets.find(third) is None and datasets.find(second).n_features == 2
    assert datasets.find(fourth).n_features == 3
    assert kept(store, upload_id) == sorted(["csv", "meta", second[-16:], fourth[-16:]])  # the dropped arrays deleted


def test_an_upload_expires_after_its_time_to_live(store_factory):
    store = store_factory(ttl_s=1)
    received = store.receive(labelled_csv()[0], "blobs.csv")
    key = store.choose(received.upload_id, FEATURES, "species", True)[0]
    assert datasets.find(key) is not None
    deadline = time.monotonic() + 10
    while datasets.find(key) is not None:
        assert time.monotonic() < deadline, "the upload outlived its time-to-live by 10 s"
        time.sleep(0.05)
    with pytest.raises(KeyError):
        store.choose(received.upload_id, FEATURES, "species", True)


# --- the callbacks ----------------------------------------------------------------------------------------------------

@pytest.fixture
def page(store, monkeypatch):
    """What the route answered the page (its `upload-received` store), with the callbacks' services installed."""
    monkeypatch.setattr(services_module, "_services", None)
    install(Services(table_rows=lambda *args, **kwargs: (), jobs=None, uploads=store))
    return post(flask_client(store), labelled_csv()[0]).get_json()


def only_the_error(out: dict, message: str) -> None:
    """The choice was refused: the message shown, every other output left as it is."""
    assert (out["error"], out["error_hidden"]) == (message, False)
    assert {"options", "value", "limits"} <= set(out)
    assert {name: value for name, value in out.items() if value is not no_update} == {"error": message,
                                                                                       "error_hidden": False}


def test_the_received_file_fills_the_pickers_and_its_choice_switches_the_dataset_to_it(page):
    shown = upload_callbacks.show_received(page)
    assert shown["hidden"] is False and shown["label"] == "species" and shown["features"] == FEATURES
    # That default choice is clustered at once, as "Cluster these columns" would.
    assert shown["value"] == upload_callbacks.apply_choice(page, FEATURES, "species", ["on"])["value"]
    out = upload_callbacks.apply_choice(page, FEATURES, "species", ["on"])
    assert out["value"].startswith(f"upload-{page['id']}-") and out["error_hidden"] is True
    assert [option["value"] for option in out["options"]] == [*DATASETS, out["value"]]
    assert out["limits"][out["value"]]["classes"] == 3 and out["forget_hidden"] is False


def test_a_choice_refused_for_a_forged_id_or_a_label_of_one_class_changes_nothing_else(page):
    for forged in ("A" * 22, "../../etc/passwd", page["id"][:-1]):
        only_the_error(upload_callbacks.apply_choice({**page, "id": forged}, FEATURES, "species", ["on"]),
                       upload_callbacks.GONE)
    assert upload_callbacks.apply_choice({"id": 3}, FEATURES, None, [])["error"] == upload_callbacks.GONE
    only_the_error(upload_callbacks.apply_choice(page, FEATURES, "site", ["on"]),
                   "The label column 'site' has 1 class in the rows kept; a label column needs 2 to 100.")


def test_forget_deletes_the_upload_and_goes_back_to_the_built_in_datasets(page, store):
    key = upload_callbacks.apply_choice(page, FEATURES, "species", ["on"])["value"]
    out = upload_callbacks.forget(page)
    assert out["options"] == dataset_options() and [o["value"] for o in out["options"]] == list(DATASETS)
    assert len(out["options"]) == 4 and out["value"] == "digits" and out["received"] is None
    assert store.source(key) is None


def test_a_second_file_from_the_tab_replaces_the_first_and_is_clustered_at_once(store, page):
    first_key = upload_callbacks.apply_choice(page, FEATURES, "species", ["on"])["value"]
    second = store.receive(labelled_csv(1)[0], "second.csv", replaces=page["id"])  # as assets/uploads.js sends it
    assert datasets.find(first_key) is None  # the server forgot the first: a tab keeps one upload
    answer = {"id": second.upload_id, "filename": "second.csv", "rows": second.parsed.n_rows,
              "columns": list(second.parsed.columns), "numeric": list(second.parsed.numeric),
              "label_candidates": list(second.parsed.label_candidates), "notes": []}
    shown = upload_callbacks.show_received(answer, current=first_key)
    assert shown["value"].startswith(f"upload-{second.upload_id}-") and shown["forget_hidden"] is False
    assert [option["value"] for option in shown["options"]] == [*DATASETS, shown["value"]]
    assert datasets.find(shown["value"]).feature_names == tuple(FEATURES) and shown["error_hidden"] is True
    # A default choice the server refuses (one feature left): the error, and the page back on the digits.
    refused = upload_callbacks.show_received({**answer, "numeric": FEATURES[:1]}, current=first_key)
    assert refused["error_hidden"] is False and "feature" in refused["error"]
    assert refused["value"] == "digits" and refused["forget_hidden"] is True
    untouched = upload_callbacks.show_received({**answer, "numeric": FEATURES[:1]}, current="iris")
    assert untouched["value"] is no_update and untouched["options"] is no_update
