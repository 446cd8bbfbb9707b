"""One computation per job's settings at a time, however many pages ask for it at once.

Finished results are stored by settings (`JobResults`), so a run asked for after another has
finished is read, not run. This covers runs asked for while another is still computing: a shared
link opened by a room, and everyone pressing "Run seeds". The first job process to claim the
settings computes; the others wait for its result and relay its progress to their pages.

A claim is a key in the jobs' store (diskcache on one machine, Redis across machines), added
atomically, naming its process, and renewed by a thread while that process computes. A claim whose
process has died (cancelled, killed, out of memory) is taken over at once on the same machine, and
once its lease runs out on another. In a rare interleaving (two waiters taking over the same dead
claim) both compute, which is what every run did before.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from typing import Protocol

import psutil

from serving.renewal import renew_every

log = logging.getLogger(__name__)

LEASE_S = 6  # a claim not renewed for this long is taken over (its process is gone)
RENEW_S = 1.5  # four renewals per lease: a niced job process on a busy machine may be late
WAIT_POLL_S = 0.2
PROGRESS_TTL_S = 600

Progress = Callable[[int, int], None]


class Store(Protocol):
    """What the jobs' stores (diskcache.Cache, serving.shared_cache.SharedStore) both offer."""

    def get(self, key: str) -> object | None: ...
    def set(self, key: str, value: object, expire: float | None = None) -> object: ...
    def add(self, key: str, value: object, expire: float | None = None) -> bool: ...
    def delete(self, key: str) -> object: ...


def _me() -> tuple[str, int]:
    return socket.gethostname(), os.getpid()


def _dead(owner: object) -> bool:
    """Whether a claim's process is known to have ended (only a process on this machine can be)."""
    if not (isinstance(owner, tuple) and len(owner) == 2):
        return True  # not a claim of ours: nobody computes under it
    host, pid = owner
    return host == socket.gethostname() and not _running(pid)


def _running(pid: int) -> bool:
    """A killed job process stays a zombie until its parent reaps it: that is not running."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def computed_once(store: Store, key: str, compute: Callable[[Progress], object], progress: Progress,
                  *, keep_s: float, poll_s: float = WAIT_POLL_S):
    """The result stored under `key`; if it is not there, `compute(progress)` here, stored for
    `keep_s` seconds, unless another process is computing it: then its result, and meanwhile its
    progress relayed to `progress`."""
    claim, shown = f"claim:{key}", f"progress:{key}"
    relayed, waited_on = None, None
    while True:
        owner = store.get(claim)
        if owner is not None and _dead(owner):
            if store.get(claim) == owner:
                store.delete(claim)
            owner = None
        if owner is None and store.add(claim, _me(), expire=LEASE_S):
            break
        result = store.get(key)
        if result is not None:
            return result
        if owner is not None and owner != waited_on:
            log.info("%s is being computed by process %s on %s: waiting for its result", key, owner[1], owner[0])
            waited_on = owner
        seen = store.get(shown)
        if seen is not None and seen != relayed:
            progress(*seen)
            relayed = seen
        time.sleep(poll_s)
    try:
        result = store.get(key)  # stored before this call, or by an owner just before letting go
        if result is not None:
            return result
        store.delete(shown)  # a dead owner's last progress is not this run's
        stop_renewing = renew_every(RENEW_S, lambda: store.set(claim, _me(), expire=LEASE_S), f"renew {claim}")
        try:
            def published(done: int, total: int) -> None:
                store.set(shown, (done, total), expire=PROGRESS_TTL_S)
                progress(done, total)
            result = compute(published)
            store.set(key, result, expire=keep_s)  # before the claim goes: waiters find it
        finally:
            stop_renewing()
        return result
    finally:
        if store.get(claim) == _me():
            store.delete(claim)
            store.delete(shown)
