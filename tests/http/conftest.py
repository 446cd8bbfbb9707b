"""The app behind Flask's test client, and a hand-built Dash callback request for raw JSON values."""

from __future__ import annotations

import json
import os

import pytest

CONTROL_IDS = ("init-method", "n-init", "n-clusters", "random-seed", "mesh-step")
# Valid values as raw JSON text; the hostile cases replace one or two of them.
VALID_TOKENS = {
    "init-method": '"k-means++"',
    "n-init": "10",
    "n-clusters": "10",
    "random-seed": "0",
    "mesh-step": "0.02",
}
UPDATE_URL = "/_dash-update-component"


def rss_bytes() -> int:
    """This process's resident set size now."""
    try:
        import psutil

        return psutil.Process(os.getpid()).memory_info().rss
    except ImportError:  # Linux fallback
        with open(f"/proc/{os.getpid()}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(scope="session")
def dash_app():
    from app import app

    return app


@pytest.fixture(scope="session")
def rss_at_start(dash_app) -> int:
    """RSS once the app is built, before the first request of the suite."""
    return rss_bytes()


@pytest.fixture(scope="session")
def client(dash_app, rss_at_start):
    return dash_app.server.test_client()


@pytest.fixture(scope="session")
def all_server_callbacks(client) -> list[dict]:
    """Every server-side callback, as /_dash-dependencies lists them."""
    return [dep for dep in client.get("/_dash-dependencies").get_json() if not dep.get("clientside_function")]


@pytest.fixture(scope="session")
def server_callbacks(all_server_callbacks) -> list[dict]:
    """The server-side callbacks that read any control: what a control change sends first."""
    callbacks = [
        dep
        for dep in all_server_callbacks
        if any(spec["id"] in CONTROL_IDS for spec in dep["inputs"] + (dep.get("state") or []))
    ]
    assert callbacks, "no server-side callback reads the controls"
    return callbacks


@pytest.fixture(scope="session")
def chained_callbacks(all_server_callbacks, server_callbacks) -> list[dict]:
    """The server-side callbacks that other callbacks' answers trigger (the table, after the map)."""
    return [dep for dep in all_server_callbacks if dep not in server_callbacks]


def outputs_of(dep: dict) -> object:
    """The renderer's `outputs` field: a list for a multi-output callback, else one {id, property}."""
    output = dep["output"]
    if output.startswith(".."):
        parts = output[2:-2].split("...")
        return [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True)) for part in parts]
    component, prop = output.rsplit(".", 1)
    return {"id": component, "property": prop}


def token(tokens: dict[str, str], component: str, prop: str) -> str:
    """A control's value by its id; any other property by "id.prop", else null, as on a fresh page."""
    if prop == "value" and component in tokens:
        return tokens[component]
    return tokens.get(f"{component}.{prop}", "null")


def raw_body(dep: dict, tokens: dict[str, str], changed: str) -> str:
    """The request body for `dep` with each control's value given as raw JSON text.

    Built by hand so that NaN, Infinity, 10**400 and the like reach the server verbatim.
    """

    def specs(kind: str) -> str:
        return ",".join(
            f'{{"id":{json.dumps(s["id"])},"property":{json.dumps(s["property"])},'
            f'"value":{token(tokens, s["id"], s["property"])}}}'
            for s in dep.get(kind) or []
        )

    text = (
        f'{{"output":{json.dumps(dep["output"])},"outputs":{json.dumps(outputs_of(dep))},'
        f'"inputs":[{specs("inputs")}],"changedPropIds":[{json.dumps(changed if "." in changed else f"{changed}.value")}]'
    )
    if dep.get("state"):
        text += f',"state":[{specs("state")}]'
    return text + "}"
