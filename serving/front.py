"""The server front: gunicorn's asyncio worker reads each request in full, then hands it to Flask.

gunicorn's `gthread` worker gives each connection a thread while it reads the request, so 64 slow
clients sending their headers a byte at a time (slowloris) held every thread of the image and
the page did not load for anyone (`benchmarks/slowloris.py`: every load timed out). Here the
event loop reads headers and bodies of any number of connections; only a complete request takes
one of the `threads` Flask threads (a2wsgi's pool). The body is read here too, up to the app's
limit plus one byte (the app answers 413 past it) and within `BODY_TIMEOUT_S` (then 408).

`/health` is answered on the loop itself, so it never waits behind fits for a thread.

The queue of fits is bounded: past `QUEUE_PER_THREAD` × `threads` callback requests running or
waiting in this worker, a new one gets 503 with Retry-After at once; the page says "busy,
retrying in N s" and sends it again by itself (assets/busy_retry.js), with `X-Attempt: n`. A
request sent again goes before new ones: attempt n is let in while fewer than the limit + n (up to
half the limit more) are queued, so no page is refused again and again while fresh requests take
every slot freed, and a request a killed worker dropped is taken at once. The header only ever
buys that bounded headroom, so a client that always sends it gains little. A callback that has
not been given a thread within `THREAD_WAIT_S` is answered busy too (it has not run: nothing is
lost), so under a crowd's heaviest settings a page is told "busy" instead of waiting past any
client's patience.

`gunicorn -c gunicorn.conf.py app:server` stays the command: `BufferingWorker` wraps the WSGI app.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

from a2wsgi import WSGIMiddleware
from gunicorn.workers.gasgi import ASGIWorker

from serving.attempts import attempt_number

BODY_TIMEOUT_S = 10.0
HEALTH_PATH = "/health"
CALLBACK_PATH = "/_dash-update-component"  # every fit is asked for here
QUEUE_PER_THREAD = 4  # callbacks running or waiting per Flask thread before new ones get 503
RETRY_AFTER_S = 1  # most callbacks take tens of ms: a full queue of them drains within a second
THREAD_WAIT_S = 10.0  # a callback not given a thread by then is answered busy: no page waits on for minutes


def _plain_server_header(send):
    """`Server: gunicorn`, as the gthread worker said it (the asyncio worker says `gunicorn/asgi`)."""

    async def sending(message):
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if not any(name.lower() == b"server" for name, _ in headers):
                message = {**message, "headers": [*headers, (b"server", b"gunicorn")]}
        await send(message)

    return sending


async def _respond(send, status: int, body: bytes, headers=None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": headers or [(b"content-type", b"text/plain; charset=utf-8"),
                                       (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class BufferedFront:
    """ASGI app: /health here; every other request read in full, then run by the WSGI app in a thread."""

    def __init__(self, wsgi_app, threads: int, max_body_bytes: int, max_queued: int | None = None) -> None:
        self.wsgi = WSGIMiddleware(wsgi_app, workers=threads)
        self.max_body_bytes = max_body_bytes
        self.health = _health_answer(wsgi_app)
        # The bounded queue of fits: callbacks in this worker, running or waiting for a thread.
        self.max_queued = max_queued or QUEUE_PER_THREAD * threads
        self.max_headroom = max(1, self.max_queued // 2)  # the most a request sent again may go past it
        self.queued = 0  # only touched on the event loop: no lock
        # Callbacks take the Flask threads in order of attempt, then arrival (a2wsgi's pool is
        # first come, first served): a request the page sent again does not wait behind new ones.
        self._free_threads = threads
        self._turns: list = []  # heap of (-attempt, arrival, future)
        self._arrivals = itertools.count()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.wsgi(scope, receive, send)
            return
        send = _plain_server_header(send)
        if scope["path"] == HEALTH_PATH and scope["method"] in ("GET", "HEAD") and self.health is not None:
            headers, body = self.health
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
            return
        try:
            body = await asyncio.wait_for(self._read_body(receive), BODY_TIMEOUT_S)
        except TimeoutError:
            await _respond(send, 408, b"Request Timeout")
            return
        if body is None:  # the client went away
            return
        replay = [{"type": "http.request", "body": body, "more_body": False}]

        async def buffered_receive():
            return replay.pop() if replay else await receive()

        if not scope["path"].endswith(CALLBACK_PATH):
            await self.wsgi(scope, buffered_receive, send)
            return
        attempt = attempt_number(scope)
        headroom = min(attempt, self.max_headroom)
        if self.queued >= self.max_queued + headroom:  # "busy": the page sends it again (assets/busy_retry.js)
            await self._busy(send)
            return
        self.queued += 1
        try:
            try:
                await asyncio.wait_for(self._take_thread(attempt), THREAD_WAIT_S)
            except TimeoutError:  # it never ran, so nothing is lost: the page sends it again
                await self._busy(send)
                return
            try:
                await self.wsgi(scope, buffered_receive, send)
            finally:
                self._give_thread()
        finally:
            self.queued -= 1

    @staticmethod
    async def _busy(send) -> None:
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", b"application/json"), (b"retry-after", str(RETRY_AFTER_S).encode()),
            (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": b'{"error": "busy; retry shortly"}'})

    async def _take_thread(self, attempt: int) -> None:
        if self._free_threads > 0 and not self._turns:
            self._free_threads -= 1
            return
        turn = asyncio.get_running_loop().create_future()
        heapq.heappush(self._turns, (-attempt, next(self._arrivals), turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # handed a thread as it left: pass it on
                self._give_thread()
            raise

    def _give_thread(self) -> None:
        while self._turns:
            _, _, turn = heapq.heappop(self._turns)
            if not turn.done():  # a waiter that left has a cancelled turn
                turn.set_result(None)
                return
        self._free_threads += 1

    async def _read_body(self, receive) -> bytes | None:
        chunks, size = [], 0
        while size <= self.max_body_bytes:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)[: self.max_body_bytes + 1]  # past the limit: the app answers 413


def _health_answer(wsgi_app) -> tuple[list, bytes] | None:
    """The app's own /health answer, headers (security headers included) and body, asked once."""
    if not hasattr(wsgi_app, "test_client"):
        return None
    with wsgi_app.test_client() as client:
        response = client.get(HEALTH_PATH)
    if response.status_code != 200:
        return None
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in response.headers.items()
               if name.lower() not in ("date", "set-cookie")]
    return headers, response.get_data()


class BufferingWorker(ASGIWorker):
    """gunicorn's asyncio worker serving a WSGI app through `BufferedFront`; `threads` sizes its pool."""

    @classmethod
    def check_config(cls, cfg, log) -> None:
        pass  # `threads` is used: it is the Flask pool's size

    def load_wsgi(self) -> None:
        super().load_wsgi()
        flask_app = self.asgi
        limit = getattr(flask_app, "config", {}).get("MAX_CONTENT_LENGTH") or 64 * 1024
        self.wsgi = flask_app  # for post_worker_init's checks
        self.asgi = BufferedFront(flask_app, threads=self.cfg.threads, max_body_bytes=limit)
