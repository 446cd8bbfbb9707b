"""serving/job_sharing.py with real processes on a real diskcache (the embedded default's store),
and the Redis store's atomic add on fakeredis: runs of the same settings asked for at once are
computed once; a dead owner is taken over; anything else computes as before."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import diskcache
import fakeredis
import pytest

from serving import job_sharing
from tests.test_shared_cache import _store as redis_store

FORK = multiprocessing.get_context("fork")
KEY = "result:sweep:k=2..9"
TICKS = 5


def _counting_compute(directory: str, tick_s: float = 0.15):
    """A job that records each start in the store's directory and reports TICKS fits."""
    def compute(progress):
        with open(os.path.join(directory, "starts"), "a", encoding="utf-8") as starts:
            starts.write(f"{os.getpid()}\n")
        for done in range(1, TICKS + 1):
            time.sleep(tick_s)
            progress(done, TICKS)
        return {"inertia": [3.0, 2.0, 1.0]}
    return compute


def _run(directory: str, key: str, tick_s: float, answers, make_store) -> None:
    """In a forked process: computed_once on the shared store; its result and progress seen."""
    store, seen = make_store(directory), []
    result = job_sharing.computed_once(store, key, _counting_compute(directory, tick_s),
                                       lambda done, total: seen.append((done, total)), keep_s=60)
    answers.put((os.getpid(), result, seen))


def _starts(directory) -> list[str]:
    path = os.path.join(directory, "starts")
    return open(path, encoding="utf-8").read().split() if os.path.exists(path) else []


def _start(directory, key=KEY, tick_s=0.15, answers=None, make_store=diskcache.Cache):
    """A job process (forked, as Dash's and Celery's are) asking for `key` through `make_store(directory)`."""
    process = FORK.Process(target=_run, args=(str(directory), key, tick_s, answers, make_store))
    process.start()
    return process


def _wait_for_claim(store, key=KEY, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while store.get(f"claim:{key}") is None:
        assert time.monotonic() < deadline, "nobody claimed the run"
        time.sleep(0.02)


def test_the_same_run_asked_for_at_once_is_computed_once_and_both_see_its_progress(tmp_path):
    computed_once_by_two_processes(tmp_path, diskcache.Cache)


def computed_once_by_two_processes(tmp_path, make_store) -> None:
    """Two processes ask for one run; the second while the first computes it (also run on real Redis)."""
    answers = FORK.Queue()
    first = _start(tmp_path, answers=answers, make_store=make_store)
    _wait_for_claim(make_store(str(tmp_path)))
    second = _start(tmp_path, answers=answers, make_store=make_store)
    got = [answers.get(timeout=30) for _ in range(2)]
    first.join(10), second.join(10)
    assert _starts(tmp_path) == [str(first.pid)]
    assert got[0][1] == got[1][1] == {"inertia": [3.0, 2.0, 1.0]}
    by_pid = {pid: seen for pid, _, seen in got}
    assert by_pid[first.pid] == [(done, TICKS) for done in range(1, TICKS + 1)]
    relayed = by_pid[second.pid]  # the waiter's page moved with the owner's fits
    assert relayed and set(relayed) <= set(by_pid[first.pid]) and relayed == sorted(relayed)
    assert make_store(str(tmp_path)).get(f"claim:{KEY}") is None  # let go once stored


def test_runs_of_other_settings_are_not_held_up(tmp_path):
    answers = FORK.Queue()
    first = _start(tmp_path, answers=answers)
    _wait_for_claim(diskcache.Cache(str(tmp_path)))
    second = _start(tmp_path, key="result:sweep:k=2..10", answers=answers)
    [answers.get(timeout=30) for _ in range(2)]
    first.join(10), second.join(10)
    assert sorted(_starts(tmp_path)) == sorted([str(first.pid), str(second.pid)])


def test_a_cancelled_owner_is_taken_over_at_once(tmp_path):
    """Cancel kills the job process (Dash's terminate_job): a page waiting on it computes itself,
    without waiting for the lease, because the owner is a process of this machine."""
    answers, store = FORK.Queue(), diskcache.Cache(str(tmp_path))
    owner = _start(tmp_path, tick_s=2.0)  # slow: still computing when killed
    _wait_for_claim(store)
    waiter = _start(tmp_path, answers=answers)
    time.sleep(0.5)
    assert _starts(tmp_path) == [str(owner.pid)]  # the waiter waits
    os.kill(owner.pid, signal.SIGKILL)
    killed = time.monotonic()
    pid, result, _ = answers.get(timeout=30)
    took_s = time.monotonic() - killed
    waiter.join(10), owner.join(10)
    assert pid == waiter.pid and result == {"inertia": [3.0, 2.0, 1.0]}
    assert _starts(tmp_path) == [str(owner.pid), str(waiter.pid)]
    assert took_s < job_sharing.LEASE_S  # five 0.15 s fits, not a lease's wait


def test_a_claim_from_another_machine_is_waited_on_until_its_lease_runs_out(tmp_path):
    store = diskcache.Cache(str(tmp_path))
    store.set(f"claim:{KEY}", ("another-machine", os.getpid()), expire=1.5)  # its renewals stopped
    answers, asked = FORK.Queue(), time.monotonic()
    waiter = _start(tmp_path, tick_s=0.01, answers=answers)
    _, result, _ = answers.get(timeout=30)
    waiter.join(10)
    assert result == {"inertia": [3.0, 2.0, 1.0]} and _starts(tmp_path) == [str(waiter.pid)]
    assert time.monotonic() - asked >= 1.4  # it did not compute under a live claim


def test_an_owner_that_fails_lets_go_and_the_next_run_computes(tmp_path):
    store = diskcache.Cache(str(tmp_path))

    def failing(_progress):
        raise MemoryError("out of memory")

    with pytest.raises(MemoryError):
        job_sharing.computed_once(store, KEY, failing, lambda *_: None, keep_s=60)
    assert store.get(f"claim:{KEY}") is None and store.get(KEY) is None
    assert job_sharing.computed_once(store, KEY, lambda _p: "fitted", lambda *_: None, keep_s=60) == "fitted"


def test_a_stored_result_is_read_not_computed(tmp_path):
    store = diskcache.Cache(str(tmp_path))
    store.set(KEY, "stored")
    assert job_sharing.computed_once(store, KEY, lambda _p: pytest.fail("computed"), lambda *_: None,
                                     keep_s=60) == "stored"


def test_the_redis_store_adds_a_claim_once_with_its_expiry_in_the_same_command():
    server = fakeredis.FakeServer()
    store = redis_store(server)
    assert store.add("claim:x", ("host", 1), expire=6) is True
    assert store.add("claim:x", ("host", 2), expire=6) is False
    assert store.get("claim:x") == ("host", 1)
    assert 0 < fakeredis.FakeRedis(server=server).ttl("kmeans-digits:claim:x") <= 6


def test_with_redis_down_a_claim_is_taken_and_the_run_computes_here():
    server = fakeredis.FakeServer()
    store = redis_store(server)
    server.connected = False
    assert store.add("claim:x", ("host", 1), expire=6) is True
    assert job_sharing.computed_once(store, "k", lambda _p: "fitted", lambda *_: None, keep_s=60) == "fitted"
