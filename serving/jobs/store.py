"""Where jobs, their results and the page tokens' records live, shared by every web process and
job worker: Redis when `REDIS_URL` is set, else a private diskcache directory on this machine.

Values are JSON (no unpickling of what another process wrote). Read-modify-write goes under the
library's own lock: redis-py's `Lock`, or `diskcache.Lock`.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
import uuid
from collections.abc import Iterator
from functools import lru_cache

LOCK_TTL_S = 10  # a lock whose holder died is released by then


def redis_url() -> str | None:
    return os.environ.get("REDIS_URL", "").strip() or None


def jobs_dir() -> str:
    """The machine-local directory of the embedded jobs (queue, results, store): JOBS_DIR, or one
    per user in the temporary directory."""
    return os.environ.get("JOBS_DIR") or os.path.join(tempfile.gettempdir(), f"kmeans-jobs-{os.getuid()}")


def private_directory(path: str) -> str:
    """Create `path` (mode 0700), or check that an existing one is a plain directory of ours."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise RuntimeError(f"{path!r} must be a plain directory owned by this user")
    os.chmod(path, 0o700)
    return path


class RedisStore:
    def __init__(self, url: str) -> None:
        import redis  # only with REDIS_URL

        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)

    def get(self, key: str):
        raw = self.client.get(key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value, ttl_s: float) -> None:
        self.client.set(key, json.dumps(value), ex=max(1, int(ttl_s)))

    def delete(self, key: str) -> None:
        self.client.delete(key)

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        with self.client.lock(f"lock:{name}", timeout=LOCK_TTL_S, blocking_timeout=LOCK_TTL_S):
            yield

    def ping(self) -> bool:
        return bool(self.client.ping())


class DiskStore:
    def __init__(self, directory: str) -> None:
        import diskcache

        self._diskcache = diskcache
        self.cache = diskcache.Cache(private_directory(directory), size_limit=256 * 2**20)

    def get(self, key: str):
        raw = self.cache.get(key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value, ttl_s: float) -> None:
        self.cache.set(key, json.dumps(value), expire=ttl_s)

    def delete(self, key: str) -> None:
        self.cache.delete(key)

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        with self._diskcache.Lock(self.cache, f"lock:{name}", expire=LOCK_TTL_S):
            yield

    def ping(self) -> bool:
        probe = f"probe:{uuid.uuid4().hex}"  # one key per probe: concurrent probes never collide
        self.cache.set(probe, "1", expire=10)
        ok = self.cache.get(probe) == "1"
        self.cache.delete(probe)
        return ok


@lru_cache(maxsize=1)
def job_store() -> RedisStore | DiskStore:
    url = redis_url()
    return RedisStore(url) if url else DiskStore(os.path.join(jobs_dir(), "store"))
