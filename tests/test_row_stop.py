"""core/row_stop.py in one process: a marked ticket's fit stops at the next signal; a signal for
anything else (a row that has moved on, no row at all) changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from core import row_stop


@pytest.fixture
def board():
    """A board, and this process attached to it as a worker would be (its handler restored after)."""
    previous = signal.getsignal(signal.SIGUSR1)
    made = row_stop.Board()
    row_stop.attach(made.path)
    yield made
    signal.signal(signal.SIGUSR1, previous)
    row_stop._cells = None  # pylint: disable=protected-access


def _fit_abandoned_midway(board, ticket):
    def fit():
        board.abandon(ticket, [os.getpid()])  # the parent gives up while the row is being fitted
        for _ in range(10_000_000):  # a long fit: the handler must cut it short
            pass
        return "finished"
    return fit


def test_a_row_abandoned_while_it_is_fitted_stops(board):
    ticket = board.ticket()
    with pytest.raises(row_stop.RowAbandoned):
        row_stop.run(ticket, _fit_abandoned_midway(board, ticket))


def test_a_row_abandoned_before_it_starts_never_runs(board):
    ticket = board.ticket()
    board.abandon(ticket, [os.getpid()])  # still queued: nobody is fitting it, so no signal
    ran = []
    with pytest.raises(row_stop.RowAbandoned):
        row_stop.run(ticket, lambda: ran.append(1))
    assert ran == []


def test_a_signal_for_another_row_leaves_this_one_to_finish(board):
    other, mine = board.ticket(), board.ticket()
    board.abandon(other, [os.getpid()])  # marked, but not the row being fitted

    def fit():
        os.kill(os.getpid(), signal.SIGUSR1)  # e.g. a late signal meant for a row already done
        return sum(range(1000))

    assert row_stop.run(mine, fit) == sum(range(1000))
    os.kill(os.getpid(), signal.SIGUSR1)  # between rows: nothing to stop, nothing raised


def test_only_the_pools_own_processes_are_signalled(board, monkeypatch):
    sent = []
    monkeypatch.setattr(os, "kill", lambda pid, signum: sent.append(pid))
    ticket = board.ticket()
    row_stop.run(ticket, lambda: board.abandon(ticket, [os.getpid() + 1]))  # not one of the pool's
    assert sent == []


def test_without_a_board_nothing_is_stopped_and_no_worker_is_signalled(monkeypatch):
    def no_room(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(row_stop.tempfile, "mkstemp", no_room)
    made = row_stop.Board()
    assert made.path is None
    sent = []
    monkeypatch.setattr(os, "kill", lambda pid, signum: sent.append(pid))
    row_stop.attach(made.path)  # as a worker would: no handler installed
    ticket = made.ticket()
    assert row_stop.run(ticket, lambda: made.abandon(ticket, [os.getpid()]) or "fitted") == "fitted"
    assert sent == [], "a worker with no handler would be ended by the signal"


def test_a_killed_servers_board_is_removed_by_the_next_one(tmp_path, monkeypatch):
    monkeypatch.setattr(row_stop.tempfile, "tempdir", str(tmp_path))
    gone = subprocess.Popen(["true"])  # noqa: S603, S607
    gone.wait()
    orphan = tmp_path / f"kmeans-row-board-{gone.pid}-abc"
    living = tmp_path / f"kmeans-row-board-{os.getppid()}-def"  # a server that still runs
    orphan.write_bytes(b"\0" * 8)
    living.write_bytes(b"\0" * 8)
    made = row_stop.Board()
    assert not orphan.exists() and living.exists()
    assert made.path is not None and os.path.basename(made.path).startswith(f"kmeans-row-board-{os.getpid()}-")


def test_a_worker_that_cannot_open_the_board_runs_rows_to_the_end(tmp_path):
    previous = signal.getsignal(signal.SIGUSR1)
    row_stop.attach(str(tmp_path / "removed-board"))
    assert signal.getsignal(signal.SIGUSR1) == previous and row_stop._cells is None  # pylint: disable=protected-access
    assert row_stop.run(1, lambda: "fitted") == "fitted"
