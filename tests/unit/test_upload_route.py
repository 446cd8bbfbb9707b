"""The upload routes take requests from the dashboard's own pages only: another site's page cannot
make its visitors' browsers upload here or forget an upload (serving/upload_route.py)."""

from __future__ import annotations

import pytest

from serving.upload_route import CROSS_SITE
from serving.uploads import UploadStore
from tests.unit.test_upload_store import flask_client, labelled_csv

SAME = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
CROSS = [{"Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"},
         {"Sec-Fetch-Site": "same-site"}, {"Origin": "http://example.localhost"}, {"Origin": "null"}]


@pytest.mark.parametrize("headers", CROSS)
def test_another_sites_page_can_neither_upload_nor_forget(store, headers):
    client = flask_client(store)
    kept = client.post("/upload", data=labelled_csv()[0], headers=SAME)
    assert kept.status_code == 200, kept.get_json()
    refused = client.post("/upload", data=labelled_csv()[0], headers=headers)
    assert refused.status_code == 403 and refused.get_json() == {"error": CROSS_SITE}
    assert store.backend.count(":meta") == 1  # nothing kept
    upload_id = kept.get_json()["id"]
    assert client.post("/upload/forget", data=upload_id, headers=headers).status_code == 403
    assert client.post("/upload/forget", data=upload_id, headers=SAME).get_json() == {"forgotten": True}


def test_a_script_or_tool_without_those_headers_is_served_and_a_front_may_drop_the_port(store):
    client = flask_client(store)
    assert client.post("/upload", data=labelled_csv()[0]).status_code == 200
    # nginx's `Host $host` forwards the host without the port the browser's Origin names
    behind_front = {"Origin": "http://localhost:8080", "Host": "localhost"}
    assert client.post("/upload", data=labelled_csv()[0], headers=behind_front).status_code == 200


def test_one_address_keeps_at_most_its_share_of_the_places(tmp_path, monkeypatch):
    monkeypatch.setenv("UPLOADS_DIR", str(tmp_path / "shared"))
    store = UploadStore(max_kept=8, per_client=2)
    client = flask_client(store)

    def send(address: str, replaces: str | None = None):
        headers = {"X-Replaces": replaces} if replaces else {}
        return client.post("/upload", data=labelled_csv()[0], headers=headers, environ_base={"REMOTE_ADDR": address})

    first, second = send("10.0.0.1").get_json()["id"], send("10.0.0.1").get_json()["id"]
    refused = send("10.0.0.1")
    assert refused.status_code == 503 and refused.get_json()["error"].startswith(
        "Your address already keeps 2 uploads, its limit; forget one")
    assert store.backend.count(":meta") == 2  # nothing more kept
    assert send("10.0.0.2").status_code == 200  # another visitor is not held up
    assert send("10.0.0.1", replaces=second).status_code == 200  # a tab replacing its own upload
    assert client.post("/upload/forget", data=first).get_json() == {"forgotten": True}
    assert send("10.0.0.1").status_code == 200  # a forgotten upload frees its place
    assert not any("10.0.0" in key for key in store.backend.keys(""))  # no address is kept
