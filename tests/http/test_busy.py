"""The table's queue of fits full: the table callback answers 503 with Retry-After (the page says
"busy" and retries by itself), not a server fault, not the settings' fault; a free queue fits."""

from __future__ import annotations

from core import clustering, row_pool

APPLIED = {"init_method": "k-means++", "n_init": 2, "n_clusters": 6, "seed": 8123, "mesh_step": 0.1}


def _table_body(client, applied: dict) -> dict:
    table = next(d for d in client.get("/_dash-dependencies").get_json() if "html-views.data" in d["output"])
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in table["output"].strip(".").split("...")]
    values = {"init-method": applied["init_method"], "n-init": applied["n_init"], "n-clusters": applied["n_clusters"],
              "random-seed": applied["seed"], "mesh-step": applied["mesh_step"], "applied-settings": applied,
              "table-retry": 0}

    def filled(specs):
        return [{"id": s["id"], "property": s["property"], "value": values.get(s["id"])} for s in specs]

    return {"output": table["output"], "outputs": outputs, "inputs": filled(table["inputs"]),
            "state": filled(table.get("state", [])), "changedPropIds": ["n-clusters.value"]}


def test_a_full_queue_of_fits_answers_503_with_retry_after_then_fits_when_free(client, monkeypatch):
    body = _table_body(client, APPLIED)
    monkeypatch.setattr(row_pool, "ROW_QUEUE_LIMIT", 0)  # as if every slot were taken
    busy = client.post("/_dash-update-component", json=body)
    assert busy.status_code == 503
    assert int(busy.headers["Retry-After"]) == clustering.FitQueueFull.retry_after_s
    monkeypatch.setattr(row_pool, "ROW_QUEUE_LIMIT", 6 * clustering.ROW_WORKERS)
    done = client.post("/_dash-update-component", json=body)
    assert done.status_code == 200
    response = done.get_json()["response"]
    assert response["table-fault"]["hidden"] is True
    inertia = clustering.fit("k-means++", 6, 2, 8123).inertia
    assert f"{inertia:,.0f}" in response["html-views"]["data"]["metrics-table"]


def test_a_table_the_page_sends_again_goes_past_a_full_queue_by_a_bounded_headroom(client, monkeypatch):
    """The page marks a request it sends again (X-Attempt: n, assets/busy_retry.js): the queue lets
    it in past its bound, by at most half the bound, so it goes before new requests."""
    from concurrent.futures import Future

    monkeypatch.setattr(row_pool, "ROW_QUEUE_LIMIT", 6)  # headroom: at most 3 rows, one table
    monkeypatch.setattr(clustering.benchmark_rows, "_pending", {Future() for _ in range(6)})  # full
    new = client.post("/_dash-update-component", json=_table_body(client, {**APPLIED, "seed": 8124}))
    assert new.status_code == 503
    again = client.post("/_dash-update-component", json=_table_body(client, {**APPLIED, "seed": 8124}),
                        headers={"X-Attempt": "1"})
    assert again.status_code == 200 and again.get_json()["response"]["table-fault"]["hidden"] is True
    monkeypatch.setattr(clustering.benchmark_rows, "_pending", {Future() for _ in range(9)})  # full + headroom
    beyond = client.post("/_dash-update-component", json=_table_body(client, {**APPLIED, "seed": 8125}),
                         headers={"X-Attempt": "50"})
    assert beyond.status_code == 503
