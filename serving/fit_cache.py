"""Table rows shared through Redis when `REDIS_URL` is set: a row fitted by any web process on any
machine is read by the others instead of fitted again.

Keys carry the scikit-learn and numpy versions and a digest of the data, so a row made by other
code or from other data is never reused. Values are pickled: Redis must be private to the app
(compose.yaml publishes no port for it). Redis is never a reason to fail a request: while it is
unreachable every read is a miss and every write is dropped, with one log line each way.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import time
from functools import lru_cache

import numpy as np
import sklearn

from core import datasets

log = logging.getLogger(__name__)

TTL_S = 6 * 3600
RETRY_S = 5.0  # after a failure, compute locally this long before asking Redis again
CODE_VERSION = 2  # bump when what a cached row holds, or how it is computed, changes


@lru_cache(maxsize=None)
def data_version(dataset: str) -> str:
    data = datasets.load(dataset)
    target = b"" if data.target is None else data.target.tobytes()
    return hashlib.sha256(data.scaled.tobytes() + target).hexdigest()[:16]


def cache_key(kind: str, args: tuple) -> str:
    return (f"kmeans-fits:{CODE_VERSION}:sklearn{sklearn.__version__}:numpy{np.__version__}:"
            f"{data_version(args[0])}:{kind}:{args!r}")


class FitCache:
    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=2)
        self._down_until = 0.0

    def _failed(self, error: Exception) -> None:
        if time.monotonic() >= self._down_until:
            log.warning("Redis unreachable (%s): fitting locally, asking again every %.0f s",
                        type(error).__name__, RETRY_S)
        self._down_until = time.monotonic() + RETRY_S

    @staticmethod
    def _kept(args: tuple) -> bool:
        """An upload's rows are never shared: they would outlive it and reach other pages' caches."""
        return not str(args[0]).startswith(datasets.UPLOAD_PREFIX)

    def _ask(self, args: tuple, command, unanswered=None):
        """Redis's answer to `command()`, or `unanswered` for an upload's rows or while Redis is down."""
        if time.monotonic() < self._down_until or not self._kept(args):
            return unanswered
        try:
            return command()
        except Exception as error:  # noqa: BLE001  (connection, timeout)
            self._failed(error)
            return unanswered

    def get(self, kind: str, args: tuple):
        raw = self._ask(args, lambda: self.client.get(cache_key(kind, args)))
        return None if raw is None else pickle.loads(raw)  # noqa: S301 (a private Redis, see above)

    def has(self, kind: str, args: tuple) -> bool:
        return bool(self._ask(args, lambda: self.client.exists(cache_key(kind, args)), False))

    def set(self, kind: str, args: tuple, value) -> None:
        self._ask(args, lambda: self.client.set(cache_key(kind, args), pickle.dumps(value), ex=TTL_S))
