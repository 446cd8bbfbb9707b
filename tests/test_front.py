"""serving/front.py driven as an ASGI app (what gunicorn's asyncio worker calls), with small WSGI apps:
the body is read in full before a thread runs the app, /health is answered without a thread, the
queue of callbacks is bounded (503 with Retry-After), and a slow body gets 408."""

from __future__ import annotations

import asyncio
import threading

from flask import Flask, request

from serving import front


def _run(coroutine):
    """asyncio.run in a thread of its own: the browser suite's Playwright keeps a loop in this one."""
    box = {}
    thread = threading.Thread(target=lambda: box.update(result=asyncio.run(coroutine)))
    thread.start()
    thread.join(60)
    return box["result"]


def _flask(release: threading.Event | None = None) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1024

    @app.route("/health")
    def health():
        return "OK", 200, {"X-Frame-Options": "DENY"}

    @app.route("/_dash-update-component", methods=["POST"])
    def update():
        if release is not None:
            release.wait(10)
        return {"length": len(request.get_data())}

    return app


def _scope(path: str, method: str = "GET", length: int | None = None) -> dict:
    headers = [(b"content-type", b"application/json")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
            "headers": headers, "server": ("127.0.0.1", 80),
            "client": ("127.0.0.1", 5000), "scheme": "http", "http_version": "1.1", "root_path": ""}


async def _call(app, scope: dict, chunks: list[bytes], chunk_delay: float = 0.0) -> tuple[int, dict, bytes]:
    messages = [{"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
                for i, chunk in enumerate(chunks)]
    sent = []

    async def receive():
        if messages:
            if chunk_delay:
                await asyncio.sleep(chunk_delay)
            return messages.pop(0)
        await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


def _callback(app, attempt: bytes | None = None):
    """A callback request through `app`, sent again (`X-Attempt: attempt`) or new (None)."""
    scope = _scope("/_dash-update-component", "POST")
    if attempt is not None:
        scope["headers"].append((b"x-attempt", attempt))
    return _call(app, scope, [b"{}"])


def test_health_is_the_apps_own_answer_without_a_thread():
    release = threading.Event()
    app = front.BufferedFront(_flask(release), threads=1, max_body_bytes=1024)

    async def scenario():
        busy = asyncio.ensure_future(_call(app, _scope("/_dash-update-component", "POST"), [b"{}"]))
        await asyncio.sleep(0.2)  # the only thread is now held
        health = await asyncio.wait_for(_call(app, _scope("/health"), [b""]), 1.0)
        release.set()
        await busy
        return health

    status, headers, body = _run(scenario())
    assert (status, body) == (200, b"OK")
    assert headers["x-frame-options"] == "DENY" and headers["server"] == "gunicorn"


def test_a_body_sent_in_pieces_reaches_the_app_whole():
    app = front.BufferedFront(_flask(), threads=1, max_body_bytes=1024)
    status, _, body = _run(_call(app, _scope("/_dash-update-component", "POST", 500), [b"a" * 100] * 5,
                                        chunk_delay=0.01))
    assert status == 200 and body == b'{"length":500}\n'


def test_a_body_too_slow_gets_408():
    app = front.BufferedFront(_flask(), threads=1, max_body_bytes=1024)
    front.BODY_TIMEOUT_S, saved = 0.3, front.BODY_TIMEOUT_S
    try:
        status, _, _ = _run(_call(app, _scope("/_dash-update-component", "POST"), [b"a"] * 10,
                                         chunk_delay=0.1))
    finally:
        front.BODY_TIMEOUT_S = saved
    assert status == 408


def test_past_the_queue_limit_a_callback_gets_503_with_retry_after_and_others_still_pass():
    release = threading.Event()
    app = front.BufferedFront(_flask(release), threads=1, max_body_bytes=1024, max_queued=2)

    async def scenario():
        held = [asyncio.ensure_future(_call(app, _scope("/_dash-update-component", "POST"), [b"{}"]))
                for _ in range(2)]
        await asyncio.sleep(0.2)
        refused = await asyncio.wait_for(_call(app, _scope("/_dash-update-component", "POST"), [b"{}"]), 1.0)
        page = await asyncio.wait_for(_call(app, _scope("/health"), [b""]), 1.0)
        release.set()
        done = await asyncio.gather(*held)
        after = await _call(app, _scope("/_dash-update-component", "POST"), [b"{}"])
        return refused, page, done, after

    refused, page, done, after = _run(scenario())
    assert refused[0] == 503 and int(refused[1]["retry-after"]) == front.RETRY_AFTER_S
    assert page[0] == 200
    assert [status for status, _, _ in done] == [200, 200]
    assert after[0] == 200 and app.queued == 0


def test_a_request_sent_again_goes_before_new_ones_within_a_bounded_headroom():
    release = threading.Event()
    app = front.BufferedFront(_flask(release), threads=1, max_body_bytes=1024, max_queued=4)  # headroom 2

    def sent(attempt: bytes | None):
        return _callback(app, attempt)

    async def scenario():
        held = [asyncio.ensure_future(sent(None)) for _ in range(4)]
        await asyncio.sleep(0.2)  # the queue is full
        refused = [await asyncio.wait_for(sent(None), 1.0)]  # a new request
        first_retry = asyncio.ensure_future(sent(b"1"))  # let in: 4 queued < 4 + 1
        await asyncio.sleep(0.1)
        refused.append(await asyncio.wait_for(sent(b"1"), 1.0))  # 5 queued: not < 5
        older_retry = asyncio.ensure_future(sent(b"2"))  # let in: 5 < 4 + 2
        await asyncio.sleep(0.1)
        refused.append(await asyncio.wait_for(sent(b"999"), 1.0))  # the headroom is 2, whatever it says
        refused.append(await asyncio.wait_for(sent(b"abc"), 1.0))  # not a number: a new request
        release.set()
        return refused, await asyncio.gather(*held, first_retry, older_retry)

    refused, done = _run(scenario())
    assert [status for status, _, _ in refused] == [503] * 4
    assert [status for status, _, _ in done] == [200] * 6 and app.queued == 0


def test_a_request_sent_again_takes_the_next_free_thread_before_new_ones_waiting():
    release, order = threading.Event(), []
    app = Flask(__name__)

    @app.route("/_dash-update-component", methods=["POST"])
    def update():
        order.append(request.headers.get("X-Attempt", "new"))
        if len(order) == 1:
            release.wait(10)  # holds the only thread while the others queue
        return {}

    front_app = front.BufferedFront(app, threads=1, max_body_bytes=1024, max_queued=8)

    def sent(attempt: bytes | None):
        return _callback(front_app, attempt)

    async def scenario():
        calls = [asyncio.ensure_future(sent(None))]
        await asyncio.sleep(0.2)
        for attempt in (None, None, b"1", b"3"):  # arriving in this order while the thread is held
            calls.append(asyncio.ensure_future(sent(attempt)))
            await asyncio.sleep(0.05)
        release.set()
        return await asyncio.gather(*calls)

    done = _run(scenario())
    assert [status for status, _, _ in done] == [200] * 5
    assert order == ["new", "3", "1", "new", "new"]


def test_a_callback_not_given_a_thread_in_time_is_answered_busy(monkeypatch):
    release = threading.Event()
    app = front.BufferedFront(_flask(release), threads=1, max_body_bytes=1024, max_queued=8)
    monkeypatch.setattr(front, "THREAD_WAIT_S", 0.3)

    async def scenario():
        held = asyncio.ensure_future(_callback(app))
        await asyncio.sleep(0.1)
        waited = await asyncio.wait_for(_callback(app), 2.0)
        release.set()
        return waited, await held, await _callback(app)

    waited, held, after = _run(scenario())
    assert waited[0] == 503 and int(waited[1]["retry-after"]) == front.RETRY_AFTER_S
    assert held[0] == 200 and after[0] == 200 and app.queued == 0
