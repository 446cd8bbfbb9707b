"""The guard of the one allowed workaround of a library's insides: assets/busy_retry.js wraps
window.fetch for Dash's callback endpoint, and sends a callback again after a 503 with Retry-After
(the server busy) or a dropped connection (its web worker gone).

The browser's request routing answers the first callback request of a change 503, or drops it;
the page must say so in #server-busy, send it again by itself, and show the change. If these fail,
Dash most likely no longer sends callbacks through window.fetch (a new Dash release), and the
workaround no longer works: see assets/busy_retry.js.
"""

from __future__ import annotations

from components.server_fault import BUSY_TEXT, LOST_TEXT
from tests.browser.pages import CALLBACK_PATH, type_into, wait_for_map_caption, wait_for_table_caption

WORKAROUND_BROKE = ("Dash no longer sends its callback requests through window.fetch, or assets/busy_retry.js "
                    "broke: the one allowed workaround (resending a callback after {what}) does not work")
NOTICE_TIMEOUT_MS = 15_000


class FirstRequestRefused:
    """Route handler: the first callback request is answered by `refuse(route)`; the rest reach the
    server. Records the bodies of both, in order."""

    def __init__(self, refuse):
        self.refuse = refuse
        self.refused: list[str] = []
        self.passed: list[str] = []

    def __call__(self, route):
        if route.request.method != "POST":
            route.continue_()
        elif not self.refused:
            self.refused.append(route.request.post_data or "")
            self.refuse(route)
        else:
            self.passed.append(route.request.post_data or "")
            route.continue_()


def answer_busy(route) -> None:
    route.fulfill(status=503, headers={"Retry-After": "1", "Content-Type": "application/json"},
                  body='{"error": "busy; retry shortly"}')


def drop_connection(route) -> None:
    route.abort("connectionclosed")


def assert_resent_and_applied(page, handler: FirstRequestRefused, reason: str, what: str) -> None:
    failure = WORKAROUND_BROKE.format(what=what)
    try:
        page.wait_for_selector("#server-busy", state="visible", timeout=NOTICE_TIMEOUT_MS)
    except Exception:
        raise AssertionError(f"#server-busy never showed. {failure}") from None
    assert page.inner_text("#server-busy-reason") == reason
    wait_for_map_caption(page, "· k 9 ·")
    wait_for_table_caption(page, "k = 9,")
    page.wait_for_selector("#server-busy", state="hidden", timeout=NOTICE_TIMEOUT_MS)
    assert handler.refused and handler.refused[0] in handler.passed, (
        f"the refused request was not sent again. {failure}")


def test_a_busy_answer_is_waited_out_and_the_change_applied(page):
    handler = FirstRequestRefused(answer_busy)
    page.route(f"**/{CALLBACK_PATH}*", handler)
    page.problems.expect("503")  # Chromium logs each non-2xx response; these are the point here
    type_into(page, "#n-clusters", "9")
    assert_resent_and_applied(page, handler, BUSY_TEXT, "a 503 with Retry-After")


def test_a_dropped_connection_is_sent_again_and_the_change_applied(page):
    handler = FirstRequestRefused(drop_connection)
    page.route(f"**/{CALLBACK_PATH}*", handler)
    page.problems.expect("ERR_CONNECTION_CLOSED", "Failed to fetch")
    type_into(page, "#n-clusters", "9")
    assert_resent_and_applied(page, handler, LOST_TEXT, "a dropped connection")
