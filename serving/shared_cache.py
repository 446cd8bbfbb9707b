"""Scale-out by configuration: with `REDIS_URL` set, fits are shared through Redis (Flask-Caching).

`install(server)` builds a Flask-Caching `RedisCache` from `REDIS_URL` and hands it to
`core.fit_store`, so a table row or a map fit made by any worker on any machine is reused by every
other (keys carry the data and code version; entries expire after `FIT_TTL_S`). Without
`REDIS_URL` nothing is installed: each process keeps its own caches, as before.

Redis is never a reason to fail a request. `SharedStore` turns every Redis error into a miss (a
read) or nothing (a write), logs one line when Redis becomes unreachable and one when it is back,
and leaves Redis alone for `RETRY_S` after a failure, so a lost Redis costs no request a timeout
more than once in a while. What still needs Redis (starting a Celery job) gets 503 with
Retry-After when it is gone (`install_error_pages`), never a 500.

Redis unpickles nothing by itself, but this store does unpickle what it reads: the Redis instance
must be private to the app (compose.yaml publishes no port for it).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask
from flask_caching import Cache

from core import fit_store
from core.row_pool import FitQueueFull

log = logging.getLogger(__name__)

URL_VARIABLE = "REDIS_URL"
FIT_TTL_S = 6 * 3600  # bounded: a fit is cheap to redo, and Redis's memory is capped anyway
RETRY_S = 5.0  # after a failure, compute locally this long before asking Redis again
CONNECT_TIMEOUT_S = 0.5  # loopback or one network hop: a reachable Redis answers in milliseconds
IO_TIMEOUT_S = 2.0  # a row is ~20 KB, a map fit a few KB
RETRY_AFTER_S = 5  # what a 503 asks the client to wait


def redis_url() -> str | None:
    return os.environ.get(URL_VARIABLE, "").strip() or None


def where(url: str) -> str:
    """host:port/db of a Redis URL, without credentials (for log lines)."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}{parts.path or '/0'}"


class SharedStore:
    """A Flask-Caching cache that never raises: Redis down reads as a miss and drops writes."""

    def __init__(self, cache: Cache, url: str, ttl_s: int = FIT_TTL_S) -> None:
        self._cache = cache
        self._where = where(url)
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._down_until = 0.0  # monotonic time before which Redis is not asked
        self._down = False

    @property
    def client(self):
        """The redis-py client under the cache (for a ping)."""
        return self._cache.cache._write_client  # pylint: disable=protected-access

    def _failed(self, error: Exception) -> None:
        with self._lock:
            self._down_until = time.monotonic() + RETRY_S
            if not self._down:
                self._down = True
                log.warning("Redis at %s unreachable (%s: %s): computing locally, retrying every %.0f s",
                            self._where, type(error).__name__, error, RETRY_S)

    def _succeeded(self) -> None:
        if self._down:
            with self._lock:
                if self._down:
                    self._down = False
                    log.warning("Redis at %s reachable again: sharing fits", self._where)

    def _skipping(self) -> bool:
        return self._down and time.monotonic() < self._down_until

    def get(self, key: str) -> object | None:
        if self._skipping():
            return None
        try:
            value = self._cache.get(key)
        except Exception as error:  # noqa: BLE001  (connection, timeout, unpickling)
            self._failed(error)
            return None
        self._succeeded()
        return value

    def set(self, key: str, value: object, expire: float | None = None) -> None:
        if self._skipping():
            return
        try:
            self._cache.set(key, value, timeout=int(expire) if expire else self._ttl_s)
        except Exception as error:  # noqa: BLE001
            self._failed(error)
            return
        self._succeeded()

    def add(self, key: str, value: object, expire: float | None = None) -> bool:
        """Set `key` only if it is absent, with its expiry in the same command (Flask-Caching's own
        `add` sets the expiry in a second one: a process dying between them left a key for ever).
        True when set, and when Redis is down: then no other process can be told apart anyway."""
        if self._skipping():
            return True
        backend = self._cache.cache
        prefix = backend.key_prefix if isinstance(backend.key_prefix, str) else backend.key_prefix()
        try:
            added = self.client.set(prefix + key, backend.serializer.dumps(value), nx=True,
                                    ex=max(1, int(expire or self._ttl_s)))
        except Exception as error:  # noqa: BLE001
            self._failed(error)
            return True
        self._succeeded()
        return bool(added)

    def delete(self, key: str) -> None:
        if self._skipping():
            return
        try:
            self._cache.delete(key)
        except Exception as error:  # noqa: BLE001
            self._failed(error)

    def reachable(self) -> bool:
        try:
            self.client.ping()
        except Exception as error:  # noqa: BLE001
            self._failed(error)
            return False
        self._succeeded()
        return True


_installed: dict[str, SharedStore] = {}


def install(server: Flask) -> SharedStore | None:
    """With REDIS_URL: the shared fit store, installed in core; without: None (embedded default)."""
    url = redis_url()
    if url is None:
        fit_store.set_backend(None)
        return None
    cache = Cache(server, config={
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": url,
        "CACHE_DEFAULT_TIMEOUT": FIT_TTL_S,
        "CACHE_KEY_PREFIX": "kmeans-digits:",
        "CACHE_OPTIONS": {"socket_connect_timeout": CONNECT_TIMEOUT_S, "socket_timeout": IO_TIMEOUT_S},
    })
    store = SharedStore(cache, url)
    if store.reachable():
        log.info("sharing fits through Redis at %s", where(url))
    fit_store.set_backend(store)
    _installed["store"] = store
    return store


def store() -> SharedStore | None:
    """The store `install` made in this process, if any."""
    return _installed.get("store")


@lru_cache(maxsize=1)
def _redis_errors() -> tuple[type[Exception], ...]:
    from kombu.exceptions import OperationalError
    from redis.exceptions import RedisError

    return RedisError, OperationalError


def install_error_pages(app) -> None:
    """A request that needed Redis while it is gone (a job start or poll), or that found the table's
    queue of fits full: 503 with Retry-After (the page retries by itself), never a 500.

    Also reads Dash's job-handle signing secret now, while Redis answers: Dash keeps the first
    value it resolves, and one read while Redis is down would give this process a secret of its own.
    """
    if store() is not None:
        app._get_signing_secret()  # pylint: disable=protected-access
    server = app.server

    def unavailable(error: Exception):
        log.warning("Redis unavailable for a request (%s: %s): 503", type(error).__name__, error)
        return {"error": "Temporarily unavailable; retry shortly."}, 503, {"Retry-After": str(RETRY_AFTER_S)}

    for error_class in _redis_errors():
        server.register_error_handler(error_class, unavailable)

    def busy(error: FitQueueFull):
        log.warning("busy: %s: 503", error)
        return ({"error": "Busy; retry shortly."}, 503,
                {"Retry-After": str(error.retry_after_s), "Cache-Control": "no-store"})

    server.register_error_handler(FitQueueFull, busy)  # the table's queue of fits is full
