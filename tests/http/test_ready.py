"""`/ready` says whether the table's worker processes are alive and the jobs' store is writable
(200, or 503 with the same JSON); `/health` stays a liveness check that answers either way."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from core.clustering import ROW_WORKERS
from serving import jobs_manager

REPO = Path(__file__).resolve().parents[2]


def test_ready_reports_what_is_configured_and_reachable(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    report = response.get_json()
    assert report == {
        "ready": True,
        "table_workers": {"alive": ROW_WORKERS, "expected": ROW_WORKERS, "ok": True},
        "jobs": {"manager": "diskcache", "store_writable": True, "ok": True},
    }


class _BrokenStore:
    def set(self, *_args, **_kwargs):
        raise OSError(28, "No space left on device")


def test_an_unwritable_jobs_store_makes_it_503_but_health_stays_200(client, monkeypatch):
    monkeypatch.setattr(jobs_manager, "_store", _BrokenStore)
    response = client.get("/ready")
    assert response.status_code == 503
    report = response.get_json()
    assert report["ready"] is False and report["jobs"]["store_writable"] is False
    assert report["table_workers"]["ok"] is True
    assert client.get("/health").status_code == 200


def test_a_dead_table_process_makes_it_503_but_health_stays_200():
    """In a child process: killing a table worker breaks that process's pool for good."""
    script = """
import os, signal, time
import app
from core import clustering
client = app.server.test_client()
assert client.get("/ready").status_code == 200
os.kill(next(iter(clustering.benchmark_rows._executor._processes)), signal.SIGKILL)
time.sleep(1)
ready = client.get("/ready")
print("READY", ready.status_code, ready.get_json()["table_workers"], client.get("/health").status_code)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=180,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    status, rest = done.stdout.split("READY", 1)[1].split(None, 1)
    assert status == "503", done.stdout
    # The executor stops the other workers too once one has died: the pool is broken as a whole.
    assert f"'alive': 0, 'expected': {ROW_WORKERS}, 'ok': False" in rest
    assert rest.split()[-1] == "200"  # /health
