"""A page's jobs are bound to its token. A page that starts two jobs at once has no token yet in
either request: both get the token of the page's own random id, so each job polls with the token
whichever answer brought; another page's id never reaches them."""

from __future__ import annotations

from unittest import mock

from celery import states

from callbacks.services import QUEUED, UNKNOWN
from components.jobs_section import STABILITY, SWEEP
from serving.jobs import queue
from serving.jobs.store import DiskStore

SWEEP_PARAMS = {"dataset": "iris", "init_method": "k-means++", "n_init": 10, "seed": 0, "k_min": 2, "k_max": 6}
STABILITY_PARAMS = {"dataset": "iris", "n_clusters": 3, "n_init": 10, "n_seeds": 5}
PAGE_ID, OTHER_ID = "0123456789abcdef" * 2, "fedcba9876543210" * 2


def job_queue(tmp_path, monkeypatch) -> queue.JobQueue:
    jobs = queue.JobQueue("secret", client=lambda: "192.0.2.1", store=DiskStore(str(tmp_path / "jobs")))
    monkeypatch.setattr(jobs, "workers", mock.Mock(**{"silent_for.return_value": 0.0}))
    monkeypatch.setattr(jobs, "_celery_state", lambda task: states.PENDING)
    monkeypatch.setattr(queue.run_job, "apply_async", mock.Mock())
    return jobs


def test_two_jobs_a_page_starts_at_once_share_its_token(tmp_path, monkeypatch):
    jobs = job_queue(tmp_path, monkeypatch)
    sweep_token, stability_token = jobs.page_token(None, PAGE_ID), jobs.page_token(None, PAGE_ID)
    assert sweep_token == stability_token
    sweep = jobs.start(SWEEP, SWEEP_PARAMS, sweep_token)
    stability = jobs.start(STABILITY, STABILITY_PARAMS, stability_token)
    # The page keeps whichever token came back last, and polls both jobs with it.
    assert jobs.status(sweep.handle, stability_token).state == QUEUED
    assert jobs.status(stability.handle, sweep_token).state == QUEUED
    assert jobs.page_token(sweep_token, OTHER_ID) == sweep_token  # a token the page holds is kept


def test_another_pages_id_or_a_malformed_one_gets_another_token(tmp_path, monkeypatch):
    jobs = job_queue(tmp_path, monkeypatch)
    token = jobs.page_token(None, PAGE_ID)
    sweep = jobs.start(SWEEP, SWEEP_PARAMS, token)
    other = jobs.page_token(None, OTHER_ID)
    assert other != token and jobs.status(sweep.handle, other).state == UNKNOWN
    for malformed in ("", "x" * 32, PAGE_ID.upper(), PAGE_ID + "0", ["list"], 12):
        fresh = jobs.page_token(None, malformed)
        assert fresh not in (token, other) and jobs.page_token(None, malformed) != fresh  # random each time
        assert jobs.status(sweep.handle, fresh).state == UNKNOWN
