"""Whether the job workers are there, asked through Celery's own control commands: does a started
job's worker still run it (`inspect().query_task`), and how long has no worker answered a ping.

Each answer is kept CHECK_EVERY_S in this process, so that pages polling every half second do not
each send a broadcast. Threads of one web process may share an answer or ask twice: either is fine.
"""

from __future__ import annotations

import logging
import time

from celery import Celery
from diskcache import Timeout as DiskTimeout
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

UNAVAILABLE = (RedisError, OperationalError, OSError, DiskTimeout)  # the store or the broker not answering
SILENT_AFTER_S = 10.0  # a started job that has not reported for this long: ask its worker about it
CHECK_EVERY_S = 5.0  # how often this process asks about one job, or pings the workers


class Workers:
    def __init__(self, app: Celery) -> None:
        self.app = app
        self._checked: dict[str, tuple[float, bool]] = {}  # task -> (when, its worker still runs it)
        self._pinged = 0.0  # when the workers were last pinged
        self._silent_since: float | None = None  # since when no worker has answered a ping

    def still_running(self, task: str, progress: dict) -> bool:
        """Whether a started job still runs: it has reported within SILENT_AFTER_S, or the worker
        named in its progress lists it."""
        now = time.time()
        if now - float(progress.get("at", 0) or 0) < SILENT_AFTER_S:
            return True
        checked = self._checked.get(task)
        if checked and now - checked[0] < CHECK_EVERY_S:
            return checked[1]
        hostname, alive = progress.get("hostname"), False
        if isinstance(hostname, str):
            try:
                replies = self.app.control.inspect(destination=[hostname], timeout=1.0, limit=1).query_task(task)
                alive = any(task in (reply or {}) for reply in (replies or {}).values())
            except UNAVAILABLE:  # the broker unreachable: its worker cannot be asked
                log.warning("could not ask worker %s about job %s", hostname, task, exc_info=True)
                alive = True  # not known to be lost
        self._checked = {key: value for key, value in self._checked.items() if now - value[0] < CHECK_EVERY_S}
        self._checked[task] = (now, alive)
        return alive

    def silent_for(self) -> float:
        """How long no worker has answered a ping, as far as this process has seen."""
        now = time.time()
        if now - self._pinged >= CHECK_EVERY_S:
            if now - self._pinged > 3 * CHECK_EVERY_S:  # not asked lately: an old silence says nothing of now
                self._silent_since = None
            self._pinged = now
            self._silent_since = None if self.count(timeout_s=1.0, first_only=True) else self._silent_since or now
        return 0.0 if self._silent_since is None else now - self._silent_since

    def count(self, timeout_s: float = 0.5, first_only: bool = False) -> int:
        """How many workers answer a ping within `timeout_s` (with `first_only`, 1 at the first answer)."""
        try:
            return len(self.app.control.ping(timeout=timeout_s, limit=1 if first_only else None) or [])
        except UNAVAILABLE:
            return 0
