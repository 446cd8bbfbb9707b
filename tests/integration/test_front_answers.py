"""What the image's front answers and logs, as an operator would check it: the security headers
on every answer (nginx's own errors too) and no echoed input, development endpoints gone, no query
string in any log line, and /ready (details only for callers inside the container)."""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.integration.conftest import wait_until
from tests.integration.raw_http import raw_http, security_headers_problem

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("front")]

ECHO = b"<script>echo-7f3a</script>"  # would show in a page that quotes its request
BAD_JSON = b'{"output": "' + ECHO + b'"'  # unfinished
ANSWERS = {
    "page": (b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 200, False),
    "bad request line": (b"GET /" + ECHO + b" HTT\r\nHost: localhost\r\n\r\n", 400, True),
    "bad header": (b"GET / HTTP/1.1\r\nHost: localhost\r\nBad " + ECHO + b"\r\n\r\n", 400, True),
    "development endpoint": (b"GET /_reload-hash HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                             404, True),
    "wrong method": (b"GET /_dash-update-component?" + ECHO + b" HTTP/1.1\r\nHost: localhost\r\n"
                     b"Connection: close\r\n\r\n", 405, False),
    "body too big": (b"POST /" + ECHO + b" HTTP/1.1\r\nHost: localhost\r\nContent-Length: 70000\r\n"
                     b"Connection: close\r\n\r\n" + b"a" * 70_000, 413, True),
    "bad callback body": (b"POST /_dash-update-component HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                          b"application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                          % (len(BAD_JSON), BAD_JSON), 400, False),
}


@pytest.mark.parametrize("name", ANSWERS)
def test_every_answer_has_the_security_headers_and_echoes_nothing(front, name):
    request, status, from_nginx = ANSWERS[name]
    answer = raw_http(front.port, request)
    assert answer.status == status, answer.head
    assert security_headers_problem(answer.headers, own=from_nginx) is None, answer.head
    if status != 200:
        assert b"echo-7f3a" not in answer.body, answer.body


def test_development_endpoints_are_404_at_nginx_and_at_gunicorn(front):
    for base in (front.base, front.gunicorn_base):
        answer = requests.get(base + "/_reload-hash", timeout=30)
        assert answer.status_code == 404, base


def test_no_query_string_is_ever_logged(front):
    since = len(front.log())
    secret = "endId=secret-5e1f&job=handle-9c2d"
    requests.get(f"{front.base}/?{secret}", timeout=30)
    requests.post(f"{front.base}/_dash-update-component?{secret}", json={"output": "x"}, timeout=30)
    requests.post(f"{front.base}/_dash-update-component?{secret}", data=b"a" * 70_000, timeout=30)
    requests.get(f"{front.base}/_reload-hash?{secret}", timeout=30)

    def logged() -> str | None:
        log = front.log()[since:]
        lines = ('nginx 127.0.0.1 "GET /_reload-hash HTTP/1.1" 404', '"POST /_dash-update-component HTTP/1.0" 400',
                 'nginx 127.0.0.1 "POST /_dash-update-component HTTP/1.1" 413')
        return log if all(line in log for line in lines) else None

    log = wait_until(logged, 30, what="nginx and gunicorn logging the requests")
    assert "secret-5e1f" not in log and "handle-9c2d" not in log and "endId" not in log


def test_ready_says_only_ready_through_nginx_and_details_inside(front):
    outside = requests.get(front.base + "/ready", timeout=30)
    assert (outside.status_code, outside.json()) == (200, {"ready": True})
    inside = requests.get(front.gunicorn_base + "/ready", timeout=30)
    assert inside.status_code == 200
    assert inside.json()["jobs"]["workers"] >= 1 and inside.json()["jobs"]["store"] is True
    # A caller that says it came through a proxy is outside, whatever its address.
    forwarded = requests.get(front.gunicorn_base + "/ready", headers={"X-Forwarded-For": "127.0.0.1"}, timeout=30)
    assert forwarded.json() == {"ready": True}


def test_700_concurrent_probes_of_ready_all_say_ready(front):
    def probes(_) -> list[tuple[int, dict]]:
        with requests.Session() as session:
            answers = []
            for _ in range(35):
                answer = session.get(front.base + "/ready", timeout=30)
                answers.append((answer.status_code, answer.json()))
            return answers

    with ThreadPoolExecutor(20) as pool:
        answers = [answer for batch in pool.map(probes, range(20)) for answer in batch]
    wrong = [answer for answer in answers if answer != (200, {"ready": True})]
    assert len(answers) == 700 and not wrong, f"{len(wrong)} of 700 probes: {wrong[:5]}"


def test_ready_says_not_ready_while_the_job_worker_does_not_answer(front):
    worker = front.program_pid("celery")
    os.kill(worker, signal.SIGSTOP)  # the job worker started by this test's supervisord
    try:
        def not_ready() -> dict | None:
            answer = requests.get(front.base + "/ready", timeout=30)
            return answer.json() if answer.status_code == 503 else None

        assert wait_until(not_ready, 30, 0.5, "/ready answering 503") == {"ready": False}
        inside = requests.get(front.gunicorn_base + "/ready", timeout=30)
        assert inside.status_code == 503 and inside.json()["jobs"]["workers"] == 0
        assert requests.get(front.base + "/health", timeout=30).status_code == 200  # alive all the same
    finally:
        os.kill(worker, signal.SIGCONT)
    wait_until(lambda: requests.get(front.base + "/ready", timeout=30).status_code == 200, 30, 0.5,
               "/ready answering 200 again")
