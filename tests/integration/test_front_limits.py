"""The image's front (nginx before gunicorn, deploy/) against slow, big, wrong and too many
requests, as an operator would try it: the `front` fixture runs the image's command.

Each test reads what it checks from the outside: status lines, headers, when the server closes a
socket, and the container's log (nginx's lines start with "nginx "; gunicorn's with the client)."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from benchmarks.health_under_load import WORST_CASE, table_body
from benchmarks.load import fetch_callbacks
from benchmarks.slowloris import page_load, slow_connections
from tests.integration.conftest import wait_until
from tests.integration.raw_http import RawAnswer, raw_http, security_headers_problem

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("front")]

CALLBACK = "/_dash-update-component"
GUNICORN_LINE = re.compile(r'^\S+ "(\w+) (\S+) HTTP/[\d.]+" (\d{3}) ', re.M)


def gunicorn_requests(log: str, method: str, path: str) -> list[str]:
    """Statuses of gunicorn's access-log lines for `method path`."""
    return [status for m, p, status in GUNICORN_LINE.findall(log) if m == method and p == path]


def sync_log(front, since: int) -> str:
    """The log written since `since` (a length), once gunicorn has logged a request sent now:
    every earlier request that reached gunicorn has been logged by then."""
    marker = "/_dash-layout"
    before = len(gunicorn_requests(front.log()[since:], "GET", marker))
    requests.get(front.base + marker, timeout=30).raise_for_status()
    wait_until(lambda: len(gunicorn_requests(front.log()[since:], "GET", marker)) > before, 30,
               what="gunicorn logging the marker request")
    return front.log()[since:]


def test_the_page_loads_while_64_slowloris_connections_are_open(front):
    stop = threading.Event()
    sockets = slow_connections("127.0.0.1", front.port, 64, stop, every=0.5)
    try:
        seconds = page_load(front.base)  # raises on an error or a 30 s timeout
        still_open = sum(_open(sock) for sock in sockets)
    finally:
        stop.set()
        for sock in sockets:
            sock.close()
    # The page loaded while the slow connections were all still held open (nginx cuts them only
    # after 10 s): they did not block it.
    assert still_open == 64, f"only {still_open} slow connections were open after the page load ({seconds:.1f} s)"


def _open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""  # data: open (nginx sends nothing to an unfinished request)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_64_kib_is_refused_413_before_gunicorn(front, chunked):
    since = len(front.log())
    body = b'{"x": "' + b"a" * 70_000 + b'"}'
    if chunked:
        pieces = [body[i:i + 16_384] for i in range(0, len(body), 16_384)]
        framed = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"
        head = b"Transfer-Encoding: chunked\r\n"
    else:
        framed, head = body, b"Content-Length: %d\r\n" % len(body)
    answer = raw_http(front.port, b"POST " + CALLBACK.encode() + b" HTTP/1.1\r\nHost: localhost\r\n"
                      b"Content-Type: application/json\r\nConnection: close\r\n" + head + b"\r\n" + framed)
    assert answer.status == 413, answer.head
    assert security_headers_problem(answer.headers, own=True) is None
    assert gunicorn_requests(sync_log(front, since), "POST", CALLBACK) == []  # gunicorn never saw it


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_the_callback_endpoint_answers_405_to_anything_but_post(front, method):
    answer = requests.request(method, front.base + CALLBACK, data=b"{}" if method == "PUT" else None, timeout=30)
    assert answer.status_code == 405
    assert "POST" in answer.headers.get("Allow", "")
    assert security_headers_problem(answer.headers) is None


def test_overload_is_shed_503_with_retry_after_while_health_answers(front):
    limit = int(re.search(r"limit_conn callbacks (\d+);", front.nginx_config()).group(1))
    callbacks = fetch_callbacks(requests.Session(), front.base)
    # One table at the heaviest settings, with a seed no one asked for: the requests let through
    # wait together for its rows (a second or more; each worker fits them once), so the first
    # `limit` are all still held when the rest arrive.
    seed = int(time.time() * 1000) % 10**9
    burst = limit + 6
    values = {**WORST_CASE, "init_method": "k-means++", "seed": seed}
    bodies = [table_body(callbacks, values, f"page-{n}", 1) for n in range(burst)]  # a page each
    since = len(front.log())

    health: list[tuple[int, float]] = []
    done = threading.Event()

    def probe() -> None:
        with requests.Session() as session:
            while not done.is_set():
                started = time.monotonic()
                health.append((session.get(front.base + "/health", timeout=30).status_code,
                               time.monotonic() - started))
                done.wait(0.1)

    ready = threading.Barrier(burst)

    def post(body: dict) -> requests.Response:
        ready.wait(30)
        return requests.post(front.base + CALLBACK, json=body, timeout=60)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        with ThreadPoolExecutor(burst) as pool:
            answers = list(pool.map(post, bodies))
        probes_during = len(health)
    finally:
        done.set()
        prober.join()

    statuses = [answer.status_code for answer in answers]
    shed = [a for a in answers if a.status_code == 503 and "default-src 'none'" in
            a.headers.get("Content-Security-Policy", "")]  # nginx's own answer, not the app's
    assert shed, f"no request was shed by nginx: {statuses}"
    assert set(statuses) <= {200, 503}, statuses
    for answer in (a for a in answers if a.status_code == 503):
        assert int(answer.headers["Retry-After"]) >= 1
        assert security_headers_problem(answer.headers) is None
        assert json.loads(answer.content) == {"error": "The server is busy: the request will be sent again."}
    # The shed requests never reached gunicorn; the rest did, each once.
    reached = gunicorn_requests(sync_log(front, since), "POST", CALLBACK)
    assert len(reached) == burst - len(shed), (statuses, reached)
    # /health answered all along, while the callbacks were held.
    assert probes_during >= 2 and all(status == 200 for status, _ in health), health

    # As the page does: each shed request is sent again after Retry-After, until it is answered.
    def send_again(body: dict, answer: requests.Response) -> int:
        for _ in range(20):
            if answer.status_code != 503:
                break
            time.sleep(int(answer.headers["Retry-After"]))
            answer = requests.post(front.base + CALLBACK, json=body, timeout=60)
        return answer.status_code

    with ThreadPoolExecutor(burst) as pool:
        assert list(pool.map(send_again, bodies, answers)) == [200] * burst


def test_idle_and_slow_connections_are_closed_by_the_server(front):
    def idle_keep_alive() -> float:
        with socket.create_connection(("127.0.0.1", front.port), timeout=30) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            head = b""
            while not head.endswith(b"\r\n\r\nOK"):  # /health's whole answer: headers, then "OK"
                chunk = sock.recv(4096)
                assert chunk, "closed before the answer"
                head += chunk
            assert b"Connection: keep-alive" in head
            return _seconds_until_closed(sock)

    def slow_headers() -> float:
        with socket.create_connection(("127.0.0.1", front.port), timeout=30) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
            return _seconds_until_closed(sock, trickle=b"X")

    def slow_body() -> tuple[float, bytes]:
        with socket.create_connection(("127.0.0.1", front.port), timeout=30) as sock:
            sock.sendall(b"POST " + CALLBACK.encode() + b" HTTP/1.1\r\nHost: localhost\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            received = bytearray()
            return _seconds_until_closed(sock, received=received), bytes(received)

    with ThreadPoolExecutor(3) as pool:
        idle, headers, body = pool.submit(idle_keep_alive), pool.submit(slow_headers), pool.submit(slow_body)
        idle, headers, (body, body_answer) = idle.result(), headers.result(), body.result()

    margin = 3.0  # a loaded machine's scheduling, not nginx's timers
    assert 5.0 - margin / 3 <= idle <= 15.0 + margin, f"idle keep-alive connection closed after {idle:.1f} s"
    assert headers <= 10.0 + margin, f"headers sent a byte a second were cut after {headers:.1f} s"
    assert body <= 10.0 + margin, f"a stalled body was cut after {body:.1f} s"
    if body_answer:  # nginx resets such a connection; if it ever answers, the answer has the headers
        assert security_headers_problem(RawAnswer(body_answer).headers, own=True) is None


def _seconds_until_closed(sock: socket.socket, trickle: bytes = b"", received: bytearray | None = None) -> float:
    """Seconds until the server closes `sock` (at most 30), sending `trickle` every second."""
    started = time.monotonic()
    sock.settimeout(1.0)
    while time.monotonic() - started < 30:
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            if trickle:
                try:
                    sock.sendall(trickle)
                except OSError:
                    break
            continue
        except OSError:  # reset
            break
        if not chunk:
            break
        if received is not None:
            received += chunk
    return time.monotonic() - started


def test_a_csv_of_megabytes_is_uploaded_through_the_front_while_callbacks_keep_their_64_kb_limit(front):
    rows = "\n".join(f"{i},{i * 0.5},{i % 7},{'abc'[i % 3]}" for i in range(120_000))
    body = ("a,b,c,kind\n" + rows + "\n").encode()
    assert len(body) > 1_000_000  # far past the callbacks' 64 KiB
    answer = requests.post(front.base + "/upload", data=body, timeout=60,
                           headers={"Content-Type": "text/csv", "X-Filename": "big.csv"})
    # 120,000 rows is past core.uploads.MAX_ROWS: refused by the app with its message (so nginx
    # let the body through), not by nginx's 413.
    assert answer.status_code == 400, answer.text
    assert "more than 100,000 data rows" in answer.json()["error"]
    kept = "a,b,c,kind\n" + "\n".join(rows.split("\n")[:60_000]) + "\n"
    answer = requests.post(front.base + "/upload", data=kept.encode(), timeout=60,
                           headers={"Content-Type": "text/csv", "X-Filename": "kept.csv"})
    assert answer.status_code == 200, answer.text
    upload_id = answer.json()["id"]
    assert answer.json()["rows"] == 60_000 and answer.json()["label_candidates"] == ["c", "kind"]
    assert upload_id not in front.log()  # no log line holds the upload's secret
    forgotten = requests.post(front.base + "/upload/forget", data=upload_id, timeout=30)
    assert forgotten.json() == {"forgotten": True}
    assert requests.post(front.base + CALLBACK, data=b"x" * 70_000, timeout=30,
                         headers={"Content-Type": "application/json"}).status_code == 413
