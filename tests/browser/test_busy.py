"""The server refuses a change as busy (503 with Retry-After, its queue of fits full: serving/front.py):
the page says "busy, retrying in N s", counts down, sends the same request again by itself, and
shows the result; the notice goes away. The 503s are made by the browser's request routing here
(the app under the browser suite is `python app.py`, which has no queue bound)."""

from __future__ import annotations

from components.server_fault import BUSY_TEXT
from tests.browser.pages import dashboard, wait_for_caption


def _refuse_first(count: int, seconds: int):
    refused = []

    def handle(route):
        if route.request.method == "POST" and len(refused) < count:
            refused.append(route.request.post_data)
            route.fulfill(status=503, headers={"Retry-After": str(seconds), "Content-Type": "application/json"},
                          body='{"error": "busy; retry shortly"}')
        else:
            route.continue_()

    return refused, handle


def test_a_busy_answer_is_retried_by_the_page_with_a_countdown(browser, app_url, artifacts_dir):
    for viewport, name in (({"width": 1440, "height": 900}, "desktop"), ({"width": 390, "height": 844}, "phone")):
        with dashboard(browser, app_url, viewport=viewport) as page:
            # Chromium logs every non-2xx response to the console; these 503s are the point here.
            refused, handle = _refuse_first(2, 2)
            page.route("**/_dash-update-component*", handle)
            assert page.is_hidden("#server-busy")
            page.fill("#n-clusters", "9" if name == "desktop" else "8")
            page.keyboard.press("Tab")
            page.wait_for_selector("#server-busy:not([hidden])", timeout=10_000)
            text = page.inner_text("#server-busy")
            assert text.startswith(BUSY_TEXT) and text.rstrip().endswith("s"), text
            assert int(page.inner_text("#server-busy-seconds")) in (1, 2)
            page.screenshot(path=str(artifacts_dir / f"server-busy-{name}.png"))
            k = "9" if name == "desktop" else "8"
            assert f"· k {k} ·" in wait_for_caption(page, f"· k {k} ·")
            page.wait_for_selector("#server-busy[hidden]", state="attached", timeout=15_000)
            assert len(refused) == 2
            page.problems.console_errors = [m for m in page.problems.console_errors if "503" not in m]
