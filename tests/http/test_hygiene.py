"""Protocol hygiene through Flask's test client: no version numbers in public responses, script
paths Dash does not serve get a plain 404, and request text in the app's log lines is escaped.
(The wrong method, oversized bodies: test_hostile_inputs.py; gunicorn's access log: test_deploy.py.)"""

from __future__ import annotations

import logging
import re
import sys

import dash
import plotly
import pytest

from serving.log_escaping import escape_controls

PUBLIC_PATHS = ("/", "/_dash-layout", "/_dash-dependencies", "/health")


def test_escape_controls_leaves_one_visible_line():
    assert escape_controls("a\nb\rc\x1b[31m\u2028d\x85") == "a\\x0ab\\x0dc\\x1b[31m\\u2028d\\x85"
    assert escape_controls("k-means++ 7′ é") == "k-means++ 7′ é"


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_public_responses_carry_no_version_numbers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    text = response.get_data(as_text=True) + " ".join(f"{k}: {v}" for k, v in response.headers.items())
    for version in (dash.__version__, plotly.__version__, sys.version.split()[0]):
        assert version not in text, f"{version} in {path}"
    assert "python_version" not in text and "dash_version" not in text


def test_the_page_config_keeps_what_the_renderer_needs(client):
    page = client.get("/").get_data(as_text=True)
    config = re.search(r'id="_dash-config"[^>]*>(.*?)</script>', page, re.DOTALL).group(1)
    for key in ("requests_pathname_prefix", "end_id", "children_props", "csrf_header_name"):
        assert f'"{key}"' in config


@pytest.mark.parametrize("path", [
    "/_dash-component-suites/dash/x%0dFORGED%0b.js",  # a registered package, a path it does not have
    "/_dash-component-suites/dash/%3Cscript%3Ealert(1)%3C%2Fscript%3E.js",
    "/_dash-component-suites/no_such_package/x.js",
])
def test_unknown_script_paths_get_a_plain_404_and_one_escaped_log_line(client, caplog, path):
    with caplog.at_level(logging.WARNING):
        response = client.get(path)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert body == "Not found" and response.mimetype == "text/plain"
    messages = [record.getMessage() for record in caplog.records]
    assert any(message.startswith("no such resource: /_dash-component-suites/") for message in messages)
    assert not any(re.search("[\x00-\x1f\x7f-\x9f]", message) for message in messages), messages
