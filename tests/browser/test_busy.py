"""The server refuses a change as busy (503 with Retry-After, its queue of fits full: serving/front.py):
the page says "busy, retrying in N s", counts down, sends the same request again by itself, and
shows the result; the notice goes away. The 503s are made by the browser's request routing here
(the app under the browser suite is `python app.py`, which has no queue bound)."""

from __future__ import annotations

from components.server_fault import BUSY_TEXT, LOST_TEXT, UNREACHABLE_TEXT
from tests.browser.pages import MAP_NOTE, dashboard, wait_for_caption, wait_for_table


def _refuse_first(count: int, seconds: int):
    """Route handler: the first `count` callback requests are refused as busy. `refused` holds their
    bodies, and then each later request's body with its X-Attempt header (None: a new request)."""
    refused, passed = [], []

    def handle(route):
        if route.request.method == "POST" and len(refused) < count:
            refused.append(route.request.post_data)
            route.fulfill(status=503, headers={"Retry-After": str(seconds), "Content-Type": "application/json"},
                          body='{"error": "busy; retry shortly"}')
        else:
            if route.request.method == "POST":
                passed.append((route.request.post_data, route.request.headers.get("x-attempt")))
            route.continue_()

    return refused, passed, handle


def test_a_busy_answer_is_retried_by_the_page_with_a_countdown(browser, app_url, artifacts_dir):
    for viewport, name in (({"width": 1440, "height": 900}, "desktop"), ({"width": 390, "height": 844}, "phone")):
        with dashboard(browser, app_url, viewport=viewport) as page:
            # Chromium logs every non-2xx response to the console; these 503s are the point here.
            refused, passed, handle = _refuse_first(2, 2)
            page.route("**/_dash-update-component*", handle)
            assert page.is_hidden("#server-busy")
            page.fill("#n-clusters", "9" if name == "desktop" else "8")
            page.keyboard.press("Tab")
            page.wait_for_selector("#server-busy:not([hidden])", timeout=10_000)
            text = page.inner_text("#server-busy")
            assert text.startswith(BUSY_TEXT) and text.rstrip().endswith("s"), text
            assert page.inner_text("#server-busy-reason") == BUSY_TEXT
            assert int(page.inner_text("#server-busy-seconds")) in (1, 2)
            page.screenshot(path=str(artifacts_dir / f"server-busy-{name}.png"))
            k = "9" if name == "desktop" else "8"
            assert f"· k {k} ·" in wait_for_caption(page, f"· k {k} ·")
            page.wait_for_selector("#server-busy[hidden]", state="attached", timeout=15_000)
            assert len(refused) == 2
            # Sent again, each says how often it was refused: the server lets it in before new ones.
            attempts = {body: attempt for body, attempt in passed}
            assert all(attempts.get(body) is not None for body in refused), (refused, passed)
            page.problems.console_errors = [m for m in page.problems.console_errors if "503" not in m]


def _drop_first(count: int):
    """Route handler: the first `count` callback requests lose their connection, as when the web
    worker serving them is killed; later ones reach the server."""
    dropped, passed = [], []

    def handle(route):
        if route.request.method == "POST" and len(dropped) < count:
            dropped.append(route.request.post_data)
            route.abort("connectionclosed")
        else:
            if route.request.method == "POST":
                passed.append((route.request.post_data, route.request.headers.get("x-attempt")))
            route.continue_()

    return dropped, passed, handle


# Chromium's and Dash's console lines for a dropped request, and for one given up on.
DROP_MESSAGES = ("ERR_CONNECTION_CLOSED", "Failed to fetch", "Callback failed: the server did not respond")


def _without_network_errors(page) -> None:
    # Chromium logs each dropped request to the console; those drops are the point here.
    page.problems.console_errors = [m for m in page.problems.console_errors
                                    if not any(drop in m for drop in DROP_MESSAGES)]


def test_a_change_whose_connection_dropped_is_sent_again_and_shown(browser, app_url, artifacts_dir):
    with dashboard(browser, app_url) as page:
        dropped, passed, handle = _drop_first(2)  # the change's map request and its table request
        page.route("**/_dash-update-component*", handle)
        page.fill("#n-clusters", "7")
        page.keyboard.press("Enter")
        page.wait_for_selector("#server-busy:not([hidden])", timeout=10_000)
        assert page.inner_text("#server-busy-reason") == LOST_TEXT
        assert page.is_visible("#server-busy-countdown")
        page.screenshot(path=str(artifacts_dir / "server-connection-lost.png"))
        assert "· k 7 ·" in wait_for_caption(page, "· k 7 ·")
        assert "k = 7" in wait_for_table(page, "k = 7")
        page.wait_for_selector("#server-busy[hidden]", state="attached", timeout=10_000)
        assert len(dropped) == 2
        # Sent again ahead of busy retries: it had been let in once already (serving/front.py).
        attempts = dict(passed)
        assert [attempts.get(body) for body in dropped] == ["20", "20"], passed
        _without_network_errors(page)


def test_a_server_that_stays_unreachable_is_said_so_and_the_next_change_works(browser, app_url, artifacts_dir):
    with dashboard(browser, app_url, viewport={"width": 390, "height": 844}) as page:
        dropped, _, handle = _drop_first(1000)
        page.route("**/_dash-update-component*", handle)
        page.fill("#n-clusters", "6")
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => document.getElementById('server-busy-reason').textContent"
                               f" === {UNREACHABLE_TEXT!r}", timeout=20_000)
        assert page.is_visible("#server-busy") and page.is_hidden("#server-busy-countdown")
        page.screenshot(path=str(artifacts_dir / "server-unreachable-phone.png"))
        caption = page.evaluate(f"() => {MAP_NOTE}")
        assert "· k 6 ·" not in caption  # nothing claims the change was applied
        # Each request was tried once and then 4 times more before the page gave up.
        assert len(dropped) % 5 == 0 and len(dropped) >= 5, len(dropped)
        page.unroute("**/_dash-update-component*")
        page.fill("#n-clusters", "5")
        page.keyboard.press("Enter")
        assert "· k 5 ·" in wait_for_caption(page, "· k 5 ·")
        page.wait_for_selector("#server-busy[hidden]", state="attached", timeout=10_000)
        _without_network_errors(page)
