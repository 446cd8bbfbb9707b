"""What the callbacks need from the server, as plain interfaces: app.py hands in serving's
implementations, and tests hand in fakes. Callbacks never import serving/ itself.

- `table_rows(table_key, page, seq)`: the table's rows (core.clustering.TableRow, INIT_METHODS
  order) for (dataset, k, n_init, seed), computed off the web threads. `page` and `seq` name the
  page and its request; a newer request of the same page supersedes it (`Superseded`). It raises
  `Busy` when the server cannot take the work now; any other exception is a server fault.
- `table_progress(table_key)`: (init, state) of each of that table's rows, state "done",
  "running", "waiting" or UNKNOWN_ROW (not asked of this web process), for the progress line of a
  table being fitted.
- `jobs`: the background jobs (k sweep, seed stability): start, poll, cancel, by handle.
- `uploads`: the uploaded files kept for their pages: a choice of columns becomes a dataset key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from core.clustering import TableRow


class Busy(Exception):
    """The server refused the work for now (its queue is full): not the user's fault, and not a
    fault either. The request is answered 503 with Retry-After, and the page sends it again."""

    def __init__(self, message: str, retry_after_s: int = 2) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Superseded(Exception):
    """The page asked for a newer table while this one was being fitted: nobody waits for it any
    more. Its request is answered with no update."""


UNKNOWN_ROW = "unknown"  # a table row this web process was not asked for (another one may fit it)

# A job's states, as the page shows them.
QUEUED, RUNNING, DONE, FAILED, LOST, REFUSED, CANCELLED, UNKNOWN = (
    "queued", "running", "done", "failed", "lost", "refused", "cancelled", "unknown")


@dataclass(frozen=True)
class JobView:
    """What the page is told about one job."""

    state: str
    handle: str | None = None  # signed, bound to the page; None when no job runs
    ahead: int = 0  # jobs before it in the queue (queued)
    done: int = 0
    total: int = 0
    result: dict | None = None  # the core result as a dict (done)
    message: str = ""  # why it was refused, lost or failed, in the page's words
    params: dict = field(default_factory=dict)  # the validated parameters it runs with


class Jobs(Protocol):
    def page_token(self, token: object, page_id: object = None) -> str:
        """`token` if it is one this server issued, else the token of `page_id`, the page's own
        random id (so the jobs a page starts at once, before an answer brings it its token, share
        one), else a new one. A page is one browser tab."""

    def start(self, kind: str, params: dict, page: str) -> JobView:
        """Start (or join, or answer from a stored result) the job `kind` with validated params."""

    def status(self, handle: object, page: str) -> JobView:
        """The job behind a handle, if it is this page's; UNKNOWN for any other handle."""

    def cancel(self, handle: object, page: str) -> JobView:
        """Cancel the job behind a handle, if it is this page's; nothing otherwise."""

    def stored(self, kind: str, params: dict) -> dict | None:
        """The finished result of `kind` with these params, if one is kept."""


class Uploads(Protocol):
    def choose(self, upload_id: object, features, label, standardize) -> tuple[str, tuple[str, ...]]:
        """The dataset key of these columns of a kept upload and notes on them (rows dropped);
        core.uploads.UploadRefused says what is wrong with the choice, KeyError that the upload is
        no longer kept."""

    def forget(self, upload_id: object) -> bool:
        """Delete the upload and everything made from it."""


@dataclass(frozen=True)
class Services:
    table_rows: Callable[..., tuple[TableRow, ...]]
    jobs: Jobs
    uploads: Uploads | None = None
    table_progress: Callable[..., tuple[tuple[str, str], ...]] | None = None


_services: Services | None = None


def install(services: Services) -> None:
    """Set what the callbacks call (app.py at start-up, or a test)."""
    global _services  # pylint: disable=global-statement
    _services = services


def services() -> Services:
    if _services is None:
        raise RuntimeError("callbacks.services.install() was not called")
    return _services
