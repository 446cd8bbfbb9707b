"""Where uploads are kept: diskcache in a directory only this user can read, or Redis; the same few
operations on either (serving/uploads.py), each key's expiry the store's own."""

from __future__ import annotations

import os
import tempfile

from serving.jobs.store import private_directory

LOCK_S = 30  # a lock held past this (its holder died) is let go


def uploads_dir() -> str:
    return os.environ.get("UPLOADS_DIR") or os.path.join(tempfile.gettempdir(), f"kmeans-uploads-{os.getuid()}")


class DiskBackend:
    """diskcache in a directory only this user can read; expiry is diskcache's own."""

    def __init__(self, directory: str) -> None:
        import diskcache

        self.cache = diskcache.Cache(private_directory(directory), eviction_policy="none", size_limit=2**40)

    def put(self, key: str, value: bytes, ttl_s: float) -> None:
        self.cache.set(key, value, expire=ttl_s)

    def get(self, key: str) -> bytes | None:
        return self.cache.get(key)

    def has(self, key: str) -> bool:
        return key in self.cache

    def delete(self, *keys: str) -> None:
        for key in keys:
            self.cache.delete(key)

    def count(self, suffix: str) -> int:
        self.cache.expire()
        return sum(1 for key in self.cache.iterkeys() if key.endswith(suffix))

    def lock(self, name: str):
        """A lock every process on this directory shares (diskcache's own)."""
        import diskcache

        return diskcache.Lock(self.cache, f"lock:{name}", expire=LOCK_S)

    def keys(self, prefix: str) -> list[str]:
        """Every key starting with `prefix`: iterkeys pages through the keys in order, so each key
        stored before the call and not deleted meanwhile is among them."""
        return [key for key in self.cache.iterkeys() if key.startswith(prefix)]


class RedisBackend:
    PREFIX = "kmeans-upload:"

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=10)

    def put(self, key: str, value: bytes, ttl_s: float) -> None:
        self.client.set(self.PREFIX + key, value, px=int(ttl_s * 1000))

    def get(self, key: str) -> bytes | None:
        return self.client.get(self.PREFIX + key)

    def has(self, key: str) -> bool:
        return bool(self.client.exists(self.PREFIX + key))

    def delete(self, *keys: str) -> None:
        if keys:
            self.client.delete(*(self.PREFIX + key for key in keys))

    def count(self, suffix: str) -> int:
        return sum(1 for _ in self.client.scan_iter(match=f"{self.PREFIX}*{suffix}", count=500))

    def lock(self, name: str):
        """A lock every process on this Redis shares (redis-py's own)."""
        return self.client.lock(f"{self.PREFIX}lock:{name}", timeout=LOCK_S, blocking_timeout=LOCK_S)

    def keys(self, prefix: str) -> list[str]:
        """Every key starting with `prefix` (no glob characters in it): a full SCAN returns each key
        stored before it began and not deleted meanwhile."""
        return [key.decode()[len(self.PREFIX):]
                for key in self.client.scan_iter(match=f"{self.PREFIX}{prefix}*", count=500)]
