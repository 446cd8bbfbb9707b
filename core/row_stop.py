"""Stopping a row a worker process is already fitting, once nobody wants it.

loky cannot cancel a call once it is in its call queue, and a fit at k = 17, n_init = 17 is ~0.6 s
of CPU: back to back, the tables of superseded changes held the cores for seconds. So each call
carries a ticket. The parent marks the tickets it gives up on in a small board shared with the
workers (a memory-mapped file), then sends SIGUSR1 to the worker fitting one. The worker's handler
raises `RowAbandoned` in its main thread, if its current ticket is marked, at the next Python
bytecode: within one Lloyd iteration, since scikit-learn loops over iterations in Python. A worker
reads its ticket's mark before it starts, so a marked call still waiting in loky's queue costs
nothing. The worker stays up and takes the next call.

The marks and the ticket a worker is on are plain stores to shared memory, with no lock: in a rare
interleaving the worker misses a mark and the row is fitted to the end, as it always was before.
Without a board (no file could be made: a full or read-only temporary directory) nothing is
stopped either, and nothing else changes. A board's name carries its server's pid: a normal exit
removes the file, and the next board made removes those of servers that were killed.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import logging
import os
import signal
import tempfile
from collections.abc import Callable, Iterable

import numpy as np
import psutil

log = logging.getLogger(__name__)

SLOTS = 4096  # tickets in flight at once are a handful; a slot is reused 4096 tickets later
_ABANDONED, _OWNER, _PID = range(3)  # rows of the board: marked ticket, ticket started, its worker
_SHAPE = (3, SLOTS)
_PREFIX = "kmeans-row-board-"


class RowAbandoned(Exception):
    """The row was stopped (or never started) because nobody wanted it any more."""


class Board:
    """The parent's side: hands out tickets, marks the abandoned ones and signals their worker."""

    def __init__(self) -> None:
        self._next = 0
        self.path: str | None = None  # None: no board shared with the workers, so no row is stopped
        _remove_orphans()
        try:
            handle, path = tempfile.mkstemp(prefix=f"{_PREFIX}{os.getpid()}-")
            os.close(handle)
            self._cells = np.memmap(path, dtype=np.int64, mode="w+", shape=_SHAPE)
        except OSError as error:
            log.warning("no board for stopping superseded table rows (%s); they run to the end", error)
            self._cells = np.zeros(_SHAPE, dtype=np.int64)
            return
        self.path = path
        atexit.register(self._remove)

    def ticket(self) -> int:
        """A new ticket (call it under the caller's lock: tickets must be unique)."""
        self._next += 1
        return self._next

    def abandon(self, ticket: int, worker_pids: Iterable[int]) -> None:
        """Mark `ticket`; if one of `worker_pids` (the pool's own processes, never another's) has
        started it, tell that worker to look."""
        slot = ticket % SLOTS
        self._cells[_ABANDONED, slot] = ticket
        if self.path is None:  # the workers have no handler: a signal would end them
            return
        pid = int(self._cells[_PID, slot])
        if int(self._cells[_OWNER, slot]) == ticket and pid in set(worker_pids):
            with contextlib.suppress(ProcessLookupError):  # it has just exited: nothing left to stop
                os.kill(pid, signal.SIGUSR1)

    def _remove(self) -> None:
        with contextlib.suppress(OSError, TypeError):
            os.unlink(self.path)


def _remove_orphans() -> None:
    """Remove the boards of servers that no longer run (a SIGKILL skips `atexit`)."""
    for path in glob.glob(os.path.join(tempfile.gettempdir(), f"{_PREFIX}*-*")):
        pid = os.path.basename(path)[len(_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not psutil.pid_exists(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(path)


# The worker's side: its view of the board and the ticket it is fitting (0: none).
_cells: np.ndarray | None = None
_current = 0


def attach(path: str | None) -> None:
    """In a worker, before its first call (loky's initializer runs in the worker's main thread)."""
    global _cells
    if path is None:
        return
    try:
        _cells = np.memmap(path, dtype=np.int64, mode="r+", shape=_SHAPE)
    except OSError as error:  # e.g. removed by a server in another pid namespace sharing /tmp
        log.warning("row board %s unreadable (%s): this worker's rows run to the end", path, error)
        return  # no handler, and no ticket ever marked as started here, so no signal comes
    signal.signal(signal.SIGUSR1, _on_signal)


def _abandoned(ticket: int) -> bool:
    return _cells is not None and int(_cells[_ABANDONED, ticket % SLOTS]) == ticket


def _on_signal(_signum, _frame) -> None:
    if _current and _abandoned(_current):
        raise RowAbandoned(f"row {_current} abandoned")


def run(ticket: int, compute: Callable, *key):
    """`compute(*key)` in a worker, unless or until `ticket` is abandoned."""
    global _current
    if _cells is not None:
        slot = ticket % SLOTS
        _cells[_PID, slot] = os.getpid()
        _cells[_OWNER, slot] = ticket
    _current = ticket
    try:
        if _abandoned(ticket):
            raise RowAbandoned(f"row {ticket} abandoned before it started")
        return compute(*key)
    finally:
        _current = 0
