"""A job first in line while no job worker answers (busy, or restarting) waits, and says so: it is
not called failed, since Celery's queue keeps it and a worker that answers again runs it."""

from __future__ import annotations

from unittest import mock

from celery import states

from callbacks.jobs import KINDS, job_outputs
from callbacks.services import QUEUED
from components.jobs_section import SWEEP
from serving.jobs import queue
from serving.jobs.store import DiskStore

PARAMS = {"dataset": "iris", "init_method": "k-means++", "n_init": 10, "seed": 0, "k_min": 2, "k_max": 6}


def started(tmp_path, monkeypatch, silent_s: float):
    jobs = queue.JobQueue("secret", client=lambda: "192.0.2.1", store=DiskStore(str(tmp_path / "jobs")))
    monkeypatch.setattr(jobs, "workers", mock.Mock(**{"silent_for.return_value": silent_s}))
    monkeypatch.setattr(jobs, "_celery_state", lambda task: states.PENDING)
    monkeypatch.setattr(queue.run_job, "apply_async", mock.Mock())
    page = jobs.page_token(None)
    return jobs, page, jobs.start(SWEEP, PARAMS, page)


def test_a_job_no_worker_has_answered_for_waits_and_says_so(tmp_path, monkeypatch):
    jobs, page, view = started(tmp_path, monkeypatch, silent_s=queue.NO_WORKER_AFTER_S + 5)
    polled = jobs.status(view.handle, page)
    assert polled.state == QUEUED and polled.message.startswith("Waiting for a job worker: none has answered for 35 s")
    shown = job_outputs(KINDS[SWEEP], polled, None)
    assert shown["progress_text"] == polled.message
    assert shown["failure_hidden"] is True and shown["poll_disabled"] is False  # not failed: still polled


def test_while_workers_answer_a_queued_job_says_where_it_stands(tmp_path, monkeypatch):
    jobs, page, view = started(tmp_path, monkeypatch, silent_s=0.0)
    polled = jobs.status(view.handle, page)
    assert polled.state == QUEUED and polled.message == ""
    assert job_outputs(KINDS[SWEEP], polled, None)["progress_text"] == "Waiting: next in line"
