"""Hostile requests to the public callback endpoint, through Flask's test client.

Every request must be answered with 200/204 or a 4xx within 5 s, never a 500 or a traceback.
A bad control value must change nothing but the settings message, which names each bad value
as plain text (never as markup). The callbacks are read from /_dash-dependencies, so the tests
follow however the app splits its work into callbacks.
"""

from __future__ import annotations

import gc
import json
import re
import time

import pytest

from tests.http.conftest import CONTROL_IDS, UPDATE_URL, VALID_TOKENS, raw_body, rss_bytes

TIME_LIMIT = 5.0  # seconds per request
RSS_LIMIT = 1 << 30  # growth across this module
MESSAGE = "settings-message"
FIELD_NAMES = {  # how the message names each control
    "init-method": "Init method",
    "n-init": "n_init",
    "n-clusters": "k (clusters)",
    "random-seed": "Random seed",
    "mesh-step": "Mesh step",
}
# Plain-text containers the message may use; anything else (Script, Iframe, raw HTML) is a fault.
TEXT_COMPONENTS = {"Strong", "Ul", "Li", "P", "Span", "B", "Em", "Code", "Div"}
TRACEBACK_MARKERS = (b"Traceback", b'File "', b"Werkzeug Debugger")

# --- Values that are wrong for every control, as raw JSON text ---------------------------------
LONG_STRING = '"' + "A" * 20_000 + '"'
COMPONENT_LIKE = '{"props":{"children":"x"},"type":"Script","namespace":"dash_html_components"}'
HTML_STRINGS = {
    "html-script": '"<script>alert(1)</script>"',
    "html-img-onerror": '"<img src=x onerror=alert(1)>"',
    "html-close-tags": '"</li></ul><script>alert(document.cookie)</script>"',
}
BAD_EVERYWHERE = {
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
    "float-overflow-1e400": "1e400",
    "list-with-NaN": "[NaN]",
    "numeric-string": '"10"',
    "empty-string": '""',
    "blank-string": '"   "',
    "word": '"abc"',
    "nul-char": '"\\u0000"',
    "lone-surrogate": '"\\ud800"',
    "long-string": LONG_STRING,
    "empty-list": "[]",
    "list": "[10, 10]",
    "empty-dict": "{}",
    "dict": '{"value": 10}',
    "component-dict": COMPONENT_LIKE,
    "true": "true",
    "false": "false",
    "null": "null",
    "10**30": "1" + "0" * 30,
    "10**400": "1" + "0" * 400,
    "-10**30": "-1" + "0" * 30,
    "-1": "-1",
    "2.5": "2.5",
    "-0.02": "-0.02",
    **HTML_STRINGS,
}
BAD_FOR = {
    "init-method": {
        "unknown-kmeans": '"kmeans++"',
        "wrong-case": '"K-Means++"',
        "lowercase-pca": '"pca-based"',
        "trailing-space": '"k-means++ "',
        "nul-suffix": '"random\\u0000"',
        "explicit-array": "[[0, 0], [1, 1]]",
        "explicit-array-3": "[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]",
        "number-0": "0",
    },
    "n-init": {"zero": "0", "51": "51", "1.5": "1.5", "1e-9": "1e-9", "just-over-50": "50.000001"},
    "n-clusters": {"zero": "0", "one": "1", "31": "31", "n-samples": "1797", "1.5": "1.5", "1e-9": "1e-9"},
    "random-seed": {"2**32": "4294967296", "1e-9": "1e-9", "0.5": "0.5", "-0.5": "-0.5", "1e20": "1e20"},
    "mesh-step": {
        "zero": "0",
        "negative-zero": "-0.0",
        "tiny-1e-9": "1e-9",
        "denormal": "5e-324",
        "1e-300": "1e-300",
        "just-below-finest": "0.013",
        "just-over-1": "1.0000001",
        "two": "2",
        "numeric-string": '"0.02"',
        "negative": "-1",
    },
}
SINGLE_CASES = [
    pytest.param(field, token, id=f"{field}={label}")
    for field in CONTROL_IDS
    for label, token in {**BAD_EVERYWHERE, **BAD_FOR[field]}.items()
]
PAIR_CASES = [
    pytest.param({"n-init": "NaN", "mesh-step": "Infinity"}, id="n-init=NaN+mesh-step=Infinity"),
    pytest.param(
        {"init-method": HTML_STRINGS["html-script"], "random-seed": "1" + "0" * 400},
        id="init-method=script+seed=10**400",
    ),
    pytest.param({"n-clusters": "null", "mesh-step": '"abc"'}, id="k=null+mesh-step=abc"),
    pytest.param({"init-method": "[[0, 0], [1, 1]]", "n-clusters": "0"}, id="init=array+k=0"),
    pytest.param({"random-seed": "-1", "mesh-step": "1e-9"}, id="seed=-1+mesh-step=1e-9"),
    pytest.param({"n-init": "true", "n-clusters": "1" + "0" * 30}, id="n-init=true+k=10**30"),
    pytest.param({"n-clusters": "-Infinity", "random-seed": "NaN"}, id="k=-Infinity+seed=NaN"),
    pytest.param(
        {
            "init-method": "null",
            "n-init": "null",
            "n-clusters": "null",
            "random-seed": "null",
            "mesh-step": "null",
        },
        id="all-null",
    ),
    pytest.param(
        {
            "init-method": "NaN",
            "n-init": "Infinity",
            "n-clusters": "-Infinity",
            "random-seed": "1e400",
            "mesh-step": "0",
        },
        id="all-non-finite",
    ),
]


# --- Helpers -----------------------------------------------------------------------------------


def post(client, body, content_type="application/json"):
    """POST and return (status, raw bytes, headers, seconds)."""
    started = time.perf_counter()
    response = client.post(UPDATE_URL, data=body, content_type=content_type)
    elapsed = time.perf_counter() - started
    return response.status_code, response.get_data(), response.headers, elapsed


def assert_safe_answer(status: int, data: bytes, elapsed: float) -> None:
    assert status in (200, 204) or 400 <= status < 500, f"status {status}: {data[:300]!r}"
    for marker in TRACEBACK_MARKERS:
        assert marker not in data, f"{marker!r} in the response: {data[:500]!r}"
    assert elapsed < TIME_LIMIT, f"answered in {elapsed:.1f} s"


def send_everywhere(client, server_callbacks, tokens: dict[str, str], changed: str,
                    chained_callbacks=()) -> dict:
    """POST the values to every server callback that reads the controls, then (as the page does)
    to every chained callback that their answers trigger; return the merged updates {id: {prop: value}}."""
    updates: dict[str, dict] = {}
    for dep in server_callbacks:
        _send(client, dep, raw_body(dep, tokens, changed), updates)
    for dep in chained_callbacks:
        triggers = [f"{spec['id']}.{spec['property']}" for spec in dep["inputs"]
                    if spec["property"] in updates.get(spec["id"], {})]
        if triggers:
            answered = {f"{cid}.{prop}": json.dumps(value) for cid, props in updates.items() for prop, value in props.items()}
            _send(client, dep, raw_body(dep, {**tokens, **answered}, triggers[0]), updates)
    return updates


def _send(client, dep: dict, body: str, updates: dict) -> None:
    status, data, headers, elapsed = post(client, body)
    assert_safe_answer(status, data, elapsed)
    assert status in (200, 204), f"{dep['output']}: status {status}: {data[:300]!r}"
    if status == 200:
        assert headers["Content-Type"].startswith("application/json")
        assert re.search(rb"<\s*/?\s*script", data, re.IGNORECASE) is None, "raw <script> in the JSON"
        for component, props in json.loads(data)["response"].items():
            updates.setdefault(component, {}).update(props)


def walk_components(node, path="message"):
    """Yield (path, component dict) for every Dash component in a children tree."""
    if isinstance(node, dict):
        yield path, node
        children = node.get("props", {}).get("children")
        if children is not None:
            yield from walk_components(children, path + "/" + str(node.get("type")))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from walk_components(child, f"{path}[{index}]")


def message_items(children) -> list[str]:
    """The text of every Li in the message."""
    items = []
    for _, component in walk_components(children):
        if component.get("type") == "Li":
            text = component["props"].get("children")
            assert isinstance(text, str), f"a message line is not plain text: {text!r}"
            items.append(text)
    return items


def assert_message_only(updates: dict, bad_fields) -> list[str]:
    """Only the message changed (and the controls' error flags, if the app sets them); the message
    is shown, is plain text, and names every bad control."""
    assert MESSAGE in updates, f"the message was not updated: {sorted(updates)}"
    others = set(updates) - {MESSAGE, "results"} - set(CONTROL_IDS)
    assert not others, f"outputs other than the message changed: {sorted(others)}"
    # The views still showing the last valid settings are marked stale, and nothing else about them changes.
    assert updates.get("results", {"className": "content stale"}) == {"className": "content stale"}
    for control in set(updates) & set(CONTROL_IDS):
        # A control may only be flagged (its class marks it invalid), never given a new value.
        assert set(updates[control]) == {"className"}, (control, updates[control])
        flagged = "invalid" in updates[control]["className"].split()
        assert flagged == (control in bad_fields), (control, updates[control], bad_fields)
    assert set(updates[MESSAGE]) == {"children", "hidden"}
    assert updates[MESSAGE]["hidden"] is False
    children = updates[MESSAGE]["children"]
    for path, component in walk_components(children):
        assert component.get("namespace") == "dash_html_components", f"{path}: {component.get('namespace')}"
        assert component.get("type") in TEXT_COMPONENTS, f"{path}: a {component.get('type')} component"
        props = component.get("props", {})
        assert "dangerouslySetInnerHTML" not in props
        for key, value in props.items():
            assert key == "children" or isinstance(value, (str, int, float, bool, type(None))), (path, key)
    items = message_items(children)
    assert len(items) == len(bad_fields), items
    for field in bad_fields:
        assert any(FIELD_NAMES[field] in item for item in items), (field, items)
    return items


# --- The baseline the hostile cases are measured against ----------------------------------------


def test_valid_request_updates_everything_and_hides_the_message(client, server_callbacks, chained_callbacks):
    """Guards the request builder: a valid change reaches every output and hides the message."""
    tokens = dict(VALID_TOKENS, **{"n-clusters": "4", "random-seed": "7"})
    updates = send_everywhere(client, server_callbacks, tokens, "n-clusters", chained_callbacks)
    assert updates[MESSAGE]["hidden"] is True
    for component in ("html-views", "map-regions", "map-caption"):
        assert component in updates, sorted(updates)
    assert "k 4" in updates["map-caption"]["children"]


@pytest.mark.parametrize(
    "tokens",
    [
        pytest.param(
            {"n-clusters": "2", "n-init": "1", "random-seed": "4294967295", "mesh-step": "1"},
            id="k=2,n_init=1,seed=max,mesh=1",
        ),
        pytest.param(
            {"n-clusters": "2.0", "n-init": "1.0", "init-method": '"PCA-based"', "mesh-step": "0.5"},
            id="integral-floats,PCA-based",
        ),
        pytest.param(
            {"n-clusters": "30", "n-init": "1", "init-method": '"random"', "mesh-step": "1.0"},
            id="k=30,random",
        ),
    ],
)
def test_edge_values_in_range_are_accepted(client, server_callbacks, chained_callbacks, tokens):
    updates = send_everywhere(client, server_callbacks, {**VALID_TOKENS, **tokens}, "n-clusters", chained_callbacks)
    assert updates[MESSAGE] == {"children": [], "hidden": True} or updates[MESSAGE]["hidden"] is True
    assert {"html-views", "map-regions", "map-caption"} <= set(updates)


# --- One bad control value -----------------------------------------------------------------------


@pytest.mark.parametrize(("field", "token"), SINGLE_CASES)
def test_one_bad_value_changes_only_the_message(client, server_callbacks, chained_callbacks, field, token):
    updates = send_everywhere(client, server_callbacks, {**VALID_TOKENS, field: token}, field, chained_callbacks)
    items = assert_message_only(updates, [field])
    assert len(items[0]) < 400, "the message should describe the value briefly"


@pytest.mark.parametrize("label", sorted(HTML_STRINGS))
@pytest.mark.parametrize("field", CONTROL_IDS)
def test_markup_comes_back_as_text(client, server_callbacks, chained_callbacks, field, label):
    token = HTML_STRINGS[label]
    updates = send_everywhere(client, server_callbacks, {**VALID_TOKENS, field: token}, field, chained_callbacks)
    (item,) = assert_message_only(updates, [field])
    sent = json.loads(token)
    # The value is echoed (possibly shortened) inside a plain string, not parsed into elements.
    assert sent[:20] in item or repr(sent)[:30] in item, item


# --- Several bad values at once ------------------------------------------------------------------


@pytest.mark.parametrize("bad", PAIR_CASES)
def test_several_bad_values_are_all_named(client, server_callbacks, chained_callbacks, bad):
    changed = next(iter(bad))
    updates = send_everywhere(client, server_callbacks, {**VALID_TOKENS, **bad}, changed, chained_callbacks)
    assert_message_only(updates, list(bad))


# --- Forged values for a chained callback's input --------------------------------------------------

FORGED_APPLIED = {
    "null": "null",
    "string": '"k-means++"',
    "list": "[10, 10, 0]",
    "empty": "{}",
    "missing-field": '{"init_method": "random", "n_init": 10, "n_clusters": 10, "seed": 0}',
    "extra-field": '{"init_method": "random", "n_init": 10, "n_clusters": 10, "seed": 0, "mesh_step": 0.02, "x": 1}',
    "k-out-of-range": '{"init_method": "random", "n_init": 10, "n_clusters": 10000, "seed": 0, "mesh_step": 0.02}',
    "nan-seed": '{"init_method": "random", "n_init": 10, "n_clusters": 10, "seed": NaN, "mesh_step": 0.02}',
    "huge-n-init": '{"init_method": "random", "n_init": 1e400, "n_clusters": 10, "seed": 0, "mesh_step": 0.02}',
    "explicit-init-array": '{"init_method": [[0, 0]], "n_init": 1, "n_clusters": 2, "seed": 0, "mesh_step": 0.02}',
}


@pytest.mark.parametrize("label", sorted(FORGED_APPLIED))
def test_forged_settings_for_the_table_change_nothing(client, chained_callbacks, label):
    """The table follows a store that only the map callback sets with valid settings; posted
    directly, a forged value is refused (nothing is fitted, nothing changes)."""
    assert chained_callbacks, "the table is expected to follow the map"
    for dep in chained_callbacks:
        spec = dep["inputs"][0]
        key = f"{spec['id']}.{spec['property']}"
        status, data, _, elapsed = post(client, raw_body(dep, {**VALID_TOKENS, key: FORGED_APPLIED[label]}, key))
        assert_safe_answer(status, data, elapsed)
        assert status == 204, (label, status, data[:200])


# --- Malformed envelopes -------------------------------------------------------------------------


def _message_dep(server_callbacks) -> dict:
    return next(dep for dep in server_callbacks if f"{MESSAGE}.hidden" in dep["output"])


def _valid(server_callbacks) -> dict:
    return json.loads(raw_body(_message_dep(server_callbacks), VALID_TOKENS, "n-init"))


def _without(key):
    return lambda body: {k: v for k, v in body.items() if k != key}


def _with(**changes):
    return lambda body: {**body, **changes}


def _inputs(transform):
    return lambda body: {**body, "inputs": transform(body["inputs"])}


ENVELOPES = {
    "missing-output": _without("output"),
    "missing-outputs": _without("outputs"),
    "missing-inputs": _without("inputs"),
    "missing-changedPropIds": _without("changedPropIds"),
    "unknown-output": _with(output="..nope.children...nope.hidden.."),
    "single-unknown-output": _with(output="nope.children", outputs={"id": "nope", "property": "children"}),
    "clientside-callback-output": _with(output="..n-init.disabled...n-init.description.."),
    "outputs-wrong-ids": _with(outputs=[{"id": "x", "property": "y"}, {"id": "z", "property": "w"}]),
    "outputs-not-a-list": _with(outputs="settings-message.children"),
    "outputs-too-few": lambda body: {**body, "outputs": body["outputs"][:1]},
    "output-not-a-string": _with(output=["settings-message.children"]),
    "inputs-a-string": _with(inputs="n-init"),
    "inputs-a-dict": _with(inputs={"id": "n-init", "property": "value", "value": 1}),
    "inputs-empty": _with(inputs=[]),
    "inputs-one-short": _inputs(lambda inputs: inputs[:-1]),
    "inputs-one-extra": _inputs(lambda inputs: inputs + [{"id": "x", "property": "value", "value": 1}]),
    "inputs-without-value": _inputs(
        lambda inputs: [{k: v for k, v in s.items() if k != "value"} for s in inputs]
    ),
    "inputs-without-id": _inputs(lambda inputs: [{k: v for k, v in s.items() if k != "id"} for s in inputs]),
    "inputs-items-null": _inputs(lambda inputs: [None] * len(inputs)),
    "inputs-items-numbers": _inputs(lambda inputs: list(range(len(inputs)))),
    "inputs-wrong-ids": _inputs(lambda inputs: [{**s, "id": f"other-{i}"} for i, s in enumerate(inputs)]),
    "inputs-dict-ids": _inputs(
        lambda inputs: [{**s, "id": {"type": "x", "index": i}} for i, s in enumerate(inputs)]
    ),
    "state-a-string": _with(state="mesh-step"),
    "state-extra": _with(state=[{"id": "mesh-step", "property": "value", "value": 0.02}]),
    "changedPropIds-a-number": _with(changedPropIds=5),
    "changedPropIds-unknown": _with(changedPropIds=["nope.value", '{"bad": json']),
}
RAW_BODIES = {
    "not-json": b"not json",
    "empty-body": b"",
    "truncated-json": b'{"output": "..settings-message.children...',
    "json-array": b"[]",
    "json-null": b"null",
    "json-string": b'"hello"',
    "json-number": b"42",
    "empty-object": b"{}",
    "invalid-utf8": b'{"output": "\xff\xfe"}',
    "deep-nesting": b'{"output": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
    "int-over-4300-digits": b'{"output": ' + b"9" * 5_000 + b"}",
    "bare-NaN": b"NaN",
}


@pytest.mark.parametrize("label", sorted(ENVELOPES))
def test_malformed_envelope_is_refused_cleanly(client, server_callbacks, label):
    body = ENVELOPES[label](_valid(server_callbacks))
    status, data, _, elapsed = post(client, json.dumps(body))
    assert_safe_answer(status, data, elapsed)


@pytest.mark.parametrize("label", sorted(RAW_BODIES))
def test_unparseable_body_is_refused_cleanly(client, label):
    status, data, _, elapsed = post(client, RAW_BODIES[label])
    assert_safe_answer(status, data, elapsed)
    assert 400 <= status < 500


def test_deep_nesting_inside_a_value_is_refused_cleanly(client, server_callbacks):
    deep = "[" * 20_000 + "]" * 20_000
    body = raw_body(_message_dep(server_callbacks), {**VALID_TOKENS, "n-init": deep}, "n-init")
    assert len(body) < 64 * 1024
    status, data, _, elapsed = post(client, body)
    assert_safe_answer(status, data, elapsed)


def test_body_over_64_kib_is_refused_before_parsing(client, server_callbacks):
    huge = '"' + "x" * (70 * 1024) + '"'
    body = raw_body(_message_dep(server_callbacks), {**VALID_TOKENS, "init-method": huge}, "init-method")
    status, data, _, elapsed = post(client, body)
    assert_safe_answer(status, data, elapsed)
    assert status == 413


def _chunked_post(client, body: bytes):
    import io

    # gunicorn de-chunks the body and marks the stream as terminated; the test client does neither.
    return client.post(UPDATE_URL, input_stream=io.BytesIO(body), content_type="application/json",
                       headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})


def test_body_over_64_kib_without_content_length_is_refused(client):
    started = time.perf_counter()
    response = _chunked_post(client, b'{"output": "' + b"x" * (200 * 1024) + b'"}')
    assert_safe_answer(response.status_code, response.get_data(), time.perf_counter() - started)
    assert response.status_code == 413  # not 400: Werkzeug alone cut such a body short and failed to parse it


def test_a_small_chunked_callback_request_is_answered(client, server_callbacks):
    body = raw_body(_message_dep(server_callbacks), {**VALID_TOKENS, "n-init": "NaN"}, "n-init").encode()
    response = _chunked_post(client, body)
    assert response.status_code == 200, response.get_data()[:300]
    assert response.get_json()["response"][MESSAGE]["hidden"] is False


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_wrong_content_type_is_refused_cleanly(client, server_callbacks, content_type):
    status, data, _, elapsed = post(
        client, raw_body(_message_dep(server_callbacks), VALID_TOKENS, "n-init"), content_type=content_type
    )
    assert_safe_answer(status, data, elapsed)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_refused(client, method):
    response = client.open(UPDATE_URL, method=method)
    # Not the index page that Dash's catch-all page route would serve for GET, HEAD and OPTIONS.
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert b"<html" not in response.get_data().lower() or b"405" in response.get_data()
    assert b"Traceback" not in response.get_data()


def test_error_pages_carry_the_security_headers(client):
    response = client.post(UPDATE_URL, data=b"not json", content_type="application/json")
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", "")


# --- Memory: last, so it sees the whole module --------------------------------------------------


def test_memory_growth_across_the_suite_stays_bounded(client, rss_at_start):
    gc.collect()
    growth = rss_bytes() - rss_at_start
    print(f"RSS growth across the hostile-input suite: {growth / 2**20:.0f} MiB")
    assert growth < RSS_LIMIT, f"RSS grew by {growth / 2**20:.0f} MiB"


# --- Forged cluster picks ------------------------------------------------------------------------

VALID_APPLIED = '{"init_method": "k-means++", "n_init": 10, "n_clusters": 10, "seed": 0, "mesh_step": 0.02}'
FORGED_PICKS = {
    "index": '{"source": "model", "name": 3}',
    "out-of-range-name": '{"source": "model", "name": "17"}',
    "negative": '{"source": "map", "name": "-1"}',
    "huge-string": '{"source": "model", "name": "' + "9" * 5000 + '"}',
    "nested": '{"source": {"a": [1, 2]}, "name": ["3"]}',
    "nan": '{"source": "model", "name": NaN}',
    "markup": '{"source": "model", "name": "<img src=x onerror=alert(1)>"}',
    "list": '["model", "3"]',
}


@pytest.mark.parametrize("label", sorted(FORGED_PICKS))
def test_forged_cluster_picks_close_the_panel_or_change_nothing(client, all_server_callbacks, label):
    """A pick is posted by the page as {source, name}; anything else opens nothing, and is never a 500."""
    dep = next(d for d in all_server_callbacks if "members-card.hidden" in d["output"])
    key = "selected-cluster.data"
    tokens = {key: FORGED_PICKS[label], "applied-settings.data": VALID_APPLIED}
    status, data, _, elapsed = post(client, raw_body(dep, tokens, key))
    assert_safe_answer(status, data, elapsed)
    if status == 200:
        response = json.loads(data)["response"]
        assert response["members-card"]["hidden"] is True and response["members-html"]["data"] == {"cluster-members": ""}


def test_a_real_pick_opens_the_members(client, all_server_callbacks):
    dep = next(d for d in all_server_callbacks if "members-card.hidden" in d["output"])
    key = "selected-cluster.data"
    tokens = {key: '{"source": "model", "name": "3", "at": 1}', "applied-settings.data": VALID_APPLIED}
    status, data, _, _ = post(client, raw_body(dep, tokens, key))
    response = json.loads(data)["response"]
    assert status == 200 and response["members-card"]["hidden"] is False
    assert response["members-html"]["data"]["cluster-members"].count('class="digit-tile"') == 48  # 24 + 24
