"""Table requests that a newer change from the same page has superseded are dropped, not fitted.

Each page holds a token (the map callback hands one out with the page's first change). The map
callback, which every change sends first, records the table settings the page now wants; a table
request whose settings are no longer its page's latest answers at once with no update, and one
already waiting on its rows gives up as soon as it is superseded, abandoning the rows that no
other request of this process waits on: cancelled if not started, stopped in their worker if they
are being fitted (core/row_stop.py). So, when a presenter clicks "+" five
times, the tables of the first four changes stop taking cores from the maps and the last table.

A change's map and table requests may reach different workers, and behind a load balancer different
machines, so the record is shared: in Redis when the jobs run on Celery (`REDIS_URL` set and Redis
answering at start-up, as the job results: serving/jobs_manager.py), else in the jobs' private
diskcache directory, shared by every worker of this machine. Either way it expires after
`RECORD_TTL_S`, and a record that cannot be read or written (Redis lost, a full disk) only means
that nothing is superseded: every table is fitted, as without this module.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, wait

import diskcache

from serving import shared_cache
from serving.jobs_manager import cache_dir, private_directory, uses_celery

log = logging.getLogger(__name__)

TOKEN = re.compile(r"^[0-9a-f]{32}$")
POLL_S = 0.05  # how often a waiting table request checks whether it is still wanted
RECORD_TTL_S = 3600  # a page idle for an hour starts afresh
_store: diskcache.Cache | shared_cache.SharedStore | None = None
_store_lock = threading.Lock()
_waiting: collections.Counter = collections.Counter()  # row future -> table requests waiting on it
_waiting_lock = threading.Lock()


class Superseded(Exception):
    """The page has moved on to other settings: this request's table is no longer wanted."""


def new_token(token: object) -> str | None:
    """A fresh token for a page that has none (or sent something that is not one), else None."""
    return None if isinstance(token, str) and TOKEN.match(token) else uuid.uuid4().hex


def _latest() -> diskcache.Cache | shared_cache.SharedStore | None:
    """The store of the records (made once): Redis (a SharedStore: it never raises, a lost Redis
    reads as no record) or this machine's diskcache; None when neither can be had."""
    global _store
    with _store_lock:
        if _store is None:
            _store = shared_cache.store() if uses_celery() else _machine_store()
        return _store


def _machine_store() -> diskcache.Cache | None:
    try:
        directory = os.path.join(private_directory(cache_dir()), "latest-tables")
        return diskcache.Cache(directory, size_limit=16 * 2**20)
    except (OSError, RuntimeError, sqlite3.Error):  # no store: nothing is ever superseded
        log.warning("no store for superseded table requests; every table request is fitted")
        return None


def _key(token: str) -> str:
    return f"superseded:{token}"  # in Redis, under the shared store's prefix: kmeans-digits:superseded:…


def record(token: object, table_key: tuple) -> None:
    """The page `token` now wants the table at `table_key` (k, n_init, seed)."""
    store = _latest()
    if store is not None and isinstance(token, str) and TOKEN.match(token):
        with contextlib.suppress(OSError, sqlite3.Error):  # a lost record only means one table fitted
            store.set(_key(token), table_key, expire=RECORD_TTL_S)


def is_superseded(token: object, table_key: tuple) -> bool:
    store = _latest()
    if store is None or not (isinstance(token, str) and TOKEN.match(token)):
        return False
    try:
        latest = store.get(_key(token))
    except (OSError, sqlite3.Error):
        return False
    return latest is not None and tuple(latest) != tuple(table_key)


class NotStarted(Exception):
    """A row had not even started within the wait allowed for that: the server is busy (503)."""


def wait_unless_superseded(futures: list[Future], superseded: Callable[[], bool], timeout: float,
                           start_within: float | None = None) -> None:
    """Wait for `futures`; raise Superseded (abandoning the ones that no other request of this
    process waits on) as soon as `superseded()` says so; NotStarted (cancelling the same ones not
    started: the page asks again and finds the others fitting) when one has not started
    `start_within` seconds in; and TimeoutError once `timeout` has passed with a row still
    unfitted (the caller reports it as a server fault)."""
    with _waiting_lock:
        _waiting.update(futures)
    drop: Callable[[Future], object] | None = None  # what is done to the rows left unwaited for
    try:
        began = time.monotonic()
        deadline = began + timeout
        while time.monotonic() < deadline:
            _done, pending = wait(futures, timeout=POLL_S)
            if not pending:
                return
            if superseded():
                drop = _abandon
                raise Superseded
            if start_within is not None and time.monotonic() - began > start_within and any(
                    not (future.running() or future.done()) for future in pending):
                drop = Future.cancel
                raise NotStarted
        raise TimeoutError(f"table rows not fitted within {timeout:g} s")  # a stuck row: a server fault
    finally:
        with _waiting_lock:
            _waiting.subtract(futures)
            for future in futures:
                if _waiting[future] <= 0:
                    del _waiting[future]
                    if drop is not None:
                        drop(future)


def _abandon(future: Future) -> None:
    """A row's future (core/row_pool.py) is stopped even mid-fit; another is cancelled if not started."""
    getattr(future, "abandon", future.cancel)()
