"""The processes tests look at (an app's table processes, job workers, gunicorn's workers), through
psutil: who is whose child, their command lines, their CPU time. A process gone meanwhile reads as
no children, an empty command line, no CPU time and not alive."""

from __future__ import annotations

import psutil

GONE = (psutil.NoSuchProcess, psutil.AccessDenied)  # ZombieProcess is a NoSuchProcess


def children(pid: int) -> list[int]:
    try:
        return [child.pid for child in psutil.Process(pid).children()]
    except GONE:
        return []


def descendants(pid: int) -> list[int]:
    """Every process under `pid`: children, their children..."""
    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except GONE:
        return []


def command_line(pid: int) -> str:
    try:
        return " ".join(psutil.Process(pid).cmdline())
    except GONE:
        return ""


def parent_of(pid: int) -> int | None:
    try:
        return psutil.Process(pid).ppid()
    except GONE:
        return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process itself."""
    try:
        times = psutil.Process(pid).cpu_times()
    except GONE:
        return 0.0
    return times.user + times.system


def alive(pid: int) -> bool:
    """Running or sleeping: not gone, and not a zombie waiting to be reaped."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except GONE:
        return False
