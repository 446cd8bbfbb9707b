"""Keeping a lease alive: a daemon thread that renews it every few seconds until told to stop.

A lease is a key with an expiry in the jobs' store (a running Celery job's, a job's claim on its
settings). Its process renews it while it works; when the process dies, the renewals stop and the
key expires, which is how the others learn that it is gone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


def renew_every(every_s: float, renew: Callable[[], None], name: str) -> Callable[[], None]:
    """Call `renew` every `every_s` seconds from a daemon thread; returns the function that stops it
    (and waits, briefly, for a renewal under way, so that none comes after the caller lets go)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every_s):
            renew()

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()

    def stopped() -> None:
        stop.set()
        thread.join(timeout=every_s)

    return stopped
