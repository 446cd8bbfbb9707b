"""The upload routes take requests from the dashboard's own pages only: another site's page cannot
make its visitors' browsers upload here or forget an upload (serving/upload_route.py)."""

from __future__ import annotations

import pytest

from serving.upload_route import CROSS_SITE
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
