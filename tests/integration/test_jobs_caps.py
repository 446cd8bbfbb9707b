"""The jobs' caps, queue places and handles, over HTTP against gunicorn with the embedded job worker
(one job at a time), with small caps: 1 job per page, 2 per client address, 3 on the queue.
Client addresses come from X-Forwarded-For (TRUSTED_PROXIES=1, as behind nginx); handles live 10 s
(JOB_HANDLE_TTL_S), and each poll gets a fresh one.

- past each cap a start is refused with its message, and the page's other jobs go on;
- a queued job shows its place, the places go down, and the jobs run in the order they came;
- a page's second start of a kind replaces its first; a queued job can be cancelled, and is never
  computed;
- two pages asking for the same run share one computation;
- forged, tampered, expired and other pages' handles are unknown to the server (the page says so)
  and touch no job; a handle reused after its job ended shows that job's end again, nothing more.
"""

from __future__ import annotations

import itertools
import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from tests.integration.conftest import start_gunicorn
from tests.integration.jobs_client import (
    LONG,
    OUTLASTS_THE_TEST,
    SHORT,
    Dashboard,
    Page,
    applied,
    wait_for_job_worker,
)

pytestmark = pytest.mark.integration

PER_PAGE, PER_CLIENT, QUEUE_MAX, HANDLE_TTL_S = 1, 2, 3, 10
UNKNOWN_TEXT = "The server does not know this job (it may have expired): run it again."
SWEEP = "k-sweep"
_seeds = itertools.count(2000)
_networks = itertools.count(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("jobs-caps")
    env = {"WEB_CONCURRENCY": "2", "TRUSTED_PROXIES": "1", "JOB_LOG_LEVEL": "INFO", "JOB_CONCURRENCY": "1",
           "JOBS_PER_PAGE": str(PER_PAGE), "JOBS_PER_CLIENT": str(PER_CLIENT), "JOBS_QUEUE_MAX": str(QUEUE_MAX),
           "JOB_HANDLE_TTL_S": str(HANDLE_TTL_S)}
    process, base = start_gunicorn(directory, env)
    try:
        wait_for_job_worker(base)
        yield process, Dashboard(base)
    finally:
        process.stop()


@pytest.fixture
def pages(server):
    """Pages from this test's own client addresses; their jobs are cancelled afterwards, so that
    the next test finds the queue empty."""
    _, dashboard = server
    network, made = next(_networks), []

    def page(client: int, seed: int | None = None, **settings) -> Page:
        made.append(Page(dashboard, forwarded_for=f"10.{network}.0.{client}",
                         applied=applied(seed=next(_seeds) if seed is None else seed, **settings)))
        return made[-1]

    yield page
    for each in made:
        for kind, handle in each.handles.items():
            if handle and each.poll(kind).shows(kind) in ("queued", "running"):  # a fresh handle, then cancel
                each.cancel(kind)


def _task(handle: str) -> str:
    """The task a handle names: signed, not secret (serving/jobs/queue.py)."""
    return URLSafeTimedSerializer("").loads_unsafe(handle)[1]["task"]


def test_each_cap_refuses_a_further_start_with_its_message(pages):
    blocker = pages(1, **OUTLASTS_THE_TEST)
    assert blocker.run(**LONG).shows(SWEEP) in ("queued", "running")
    blocker.until_running()

    same_page = blocker.run("stability", seeds=3)
    assert same_page.shows("stability") == "refused"
    assert same_page.message("stability") == ("This page already has 1 job running or waiting: wait for one, "
                                              "or cancel it.")
    assert pages(1).run(**SHORT).shows(SWEEP) == "queued"  # another tab of the same browser: its 2nd job
    third_tab = pages(1).run(**SHORT)
    assert third_tab.shows(SWEEP) == "refused"
    assert third_tab.message(SWEEP) == ("Your browser already has 2 jobs running or waiting (in this tab or "
                                        "others): wait for one, or cancel it.")
    other_client = pages(2)
    assert other_client.run(**SHORT).shows(SWEEP) == "queued"  # the 3rd run on the queue
    full = pages(3).run(**SHORT)
    assert full.shows(SWEEP) == "refused"
    assert full.message(SWEEP) == "The server's job queue is full (3 jobs): try again in a minute."
    assert full.get(SWEEP, "job.data") is None and full.get(SWEEP, "run.disabled") is False
    # The same run as one already queued joins it, queue full or not.
    joining = pages(4, seed=other_client.applied["seed"]).run(**SHORT)
    assert joining.shows(SWEEP) == "queued"
    # The refusals touched no job: the blocker still runs.
    assert blocker.poll().shows(SWEEP) == "running"


def test_queued_jobs_show_their_place_and_run_in_order(pages):
    first, second, third = pages(1, n_init=4), pages(2), pages(3)
    first.run(k_min=2, k_max=24)
    first.until_running()
    assert second.run(k_min=2, k_max=24).waiting(SWEEP) == "Waiting: next in line"
    assert third.run(k_min=2, k_max=24).waiting(SWEEP) == "Waiting: 1 ahead"
    seen = {name: [] for name in ("first", "second", "third")}
    done_at = {}
    deadline = time.monotonic() + 180
    while len(done_at) < 3 and time.monotonic() < deadline:
        for name, page in (("first", first), ("second", second), ("third", third)):
            if name in done_at:
                continue
            answer = page.poll()
            state = answer.shows(SWEEP)
            seen[name].append(answer.waiting(SWEEP) if state == "queued" else state)
            if state == "done":
                done_at[name] = time.monotonic()
            else:
                assert state in ("queued", "running"), (name, state)
        time.sleep(0.2)
    assert sorted(done_at, key=done_at.get) == ["first", "second", "third"], done_at
    places = [step for step in seen["third"] if step.startswith("Waiting")]
    order = ["Waiting: 1 ahead", "Waiting: next in line"]
    assert places and all(order.index(a) <= order.index(b) for a, b in zip(places, places[1:])), places


def test_a_second_start_replaces_the_first_and_a_queued_job_can_be_cancelled(pages, server):
    blocker, page, behind, fresh = pages(1, **OUTLASTS_THE_TEST), pages(2), pages(3), pages(4)
    blocker.run(**LONG)
    blocker.until_running()
    assert page.run(k_min=2, k_max=9).shows(SWEEP) == "queued"
    replaced = page.handles[SWEEP]
    # The page's second start replaces its first: the 1-job cap of this page is not in the way.
    assert page.run(k_min=2, k_max=10).waiting(SWEEP) == "Waiting: next in line"
    # The same start again (a second press) keeps that job: the same task, in the same place.
    again = page.handles[SWEEP]
    assert page.run(k_min=2, k_max=10).waiting(SWEEP) == "Waiting: next in line"
    assert _task(page.handles[SWEEP]) == _task(again)
    assert page.copy(SWEEP, replaced).poll().message(SWEEP) == "Cancelled."
    assert behind.run(k_min=2, k_max=11).waiting(SWEEP) == "Waiting: 1 ahead"  # one queued before it, not two

    cancelled = page.cancel()
    assert cancelled.shows(SWEEP) == "cancelled" and cancelled.get(SWEEP, "job.data") is None
    assert behind.poll().waiting(SWEEP) == "Waiting: next in line"
    blocker.cancel()
    assert behind.poll_until(SWEEP, {"done"}, 120).shows(SWEEP) == "done"
    # Neither the replaced nor the cancelled job was computed: asking for them starts them afresh.
    for k_max in (9, 10):
        fresh.applied = page.applied
        assert fresh.run(k_min=2, k_max=k_max).shows(SWEEP) in ("queued", "running")


def test_two_pages_asking_for_the_same_run_compute_it_once(pages, server):
    process, _ = server
    first, second = pages(1, n_init=2), pages(2)
    second.applied = first.applied
    assert first.run(k_min=2, k_max=24).shows(SWEEP) in ("queued", "running")
    assert second.run(k_min=2, k_max=24).shows(SWEEP) in ("queued", "running")
    first_done = first.poll_until(SWEEP, {"done"}, 120)
    assert first_done.shows(SWEEP) == "done"
    # A handle reused after its job ended shows that end again and touches nothing: the other page
    # still gets the result, and so does a third page, at once.
    reused = first.last_handles[SWEEP]
    assert first.copy(SWEEP, reused).poll().shows(SWEEP) == "done"
    assert first.copy(SWEEP, reused).cancel().shows(SWEEP) == "cancelled"
    second_done = second.poll_until(SWEEP, {"done"}, 120)
    assert second_done.shows(SWEEP) == "done"
    assert first_done.props["k-sweep-graph.figure"] == second_done.props["k-sweep-graph.figure"]
    assert pages(3, n_init=2, seed=first.applied["seed"]).run(k_min=2, k_max=24).shows(SWEEP) == "done"
    # One computation for all three pages: both handles name one task, which the worker ran once.
    task = _task(first.last_handles[SWEEP])
    assert _task(second.last_handles[SWEEP]) == task
    assert process.log().count(f"kmeans.run_job[{task}] received") == 1
    assert process.log().count(f"kmeans.run_job[{task}] succeeded") == 1


def test_forged_expired_and_other_pages_handles_are_unknown_and_touch_no_job(pages):
    owner, stranger = pages(1, **OUTLASTS_THE_TEST), pages(2)
    owner.run(**LONG)
    owner.until_running()
    stranger.run(**SHORT)  # the stranger has a page token of its own
    stranger.cancel()
    genuine = owner.handles[SWEEP]
    tampered = genuine[:-2] + ("AA" if genuine[-2:] != "AA" else "BB")
    for handle in ("forged", tampered, genuine):  # the last: the owner's, sent with the stranger's page token
        for press in ("poll", "cancel"):
            answer = getattr(stranger.copy(SWEEP, handle), press)()
            assert answer.status == 200 and answer.shows(SWEEP) == "unknown", (handle[:12], press, answer.shows(SWEEP))
            assert answer.message(SWEEP) == UNKNOWN_TEXT and answer.get(SWEEP, "job.data") is None
    assert owner.poll().shows(SWEEP) == "running"

    # The owner's own handle, kept unused past its lifetime, is unknown too; the owner's page,
    # which gets a fresh handle at each poll, still sees its job running.
    kept, started, states, owner_saw = owner.handles[SWEEP], time.monotonic(), [], []
    while time.monotonic() - started < HANDLE_TTL_S + 10:
        states.append(owner.copy(SWEEP, kept).poll().shows(SWEEP))
        if states[-1] == "unknown":
            break
        if owner.handles[SWEEP]:  # the page polls while its job runs
            owner_saw.append(owner.poll().shows(SWEEP))
        time.sleep(0.5)
    assert states[0] in ("running", "done") and states[-1] == "unknown", states  # it worked, then it expired
    assert owner.copy(SWEEP, kept).cancel().shows(SWEEP) == "unknown"
    assert owner_saw and set(owner_saw) <= {"running", "done"}, owner_saw  # nothing happened to the job
