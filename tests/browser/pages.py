"""Helpers for the share, responsive and accessibility suites: a dashboard page at any viewport."""

from __future__ import annotations

import contextlib

import pytest

from tests.browser.conftest import PAGE_READY, RECORD_CSP_VIOLATIONS, PageProblems

UPDATE_TIMEOUT_MS = 20_000
# The map's note: its fit's caption, then its mesh (the page writes the mesh part itself).
MAP_NOTE = ("(document.getElementById('map-caption').textContent + ' · '"
            " + document.getElementById('map-mesh').textContent)")
# Each row of the table: init name, then every cell's text, as shown.
READ_TABLE = """() => Object.fromEntries([...document.querySelectorAll('#metrics-table tr[data-init]')]
    .map(row => [row.dataset.init, [...row.querySelectorAll('td')].map(cell => cell.innerText.trim())]))"""


@contextlib.contextmanager
def dashboard(browser, app_url: str, viewport: dict | None = None, path: str = "/", **context_options):
    """A fresh context and page on the dashboard, waited until drawn; fails on console errors,
    uncaught exceptions or CSP violations, as the `page` fixture does."""
    context = browser.new_context(viewport=viewport or {"width": 1440, "height": 900}, accept_downloads=True,
                                  **context_options)
    context.set_default_timeout(30_000)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    tab = context.new_page()
    tab.problems = PageProblems(tab)
    try:
        tab.goto(app_url + path)
        tab.wait_for_function(PAGE_READY, timeout=30_000)
        yield tab
        problems = tab.problems.all()
    finally:
        context.close()
    if problems:
        pytest.fail("the page reported problems:\n" + "\n".join(problems), pytrace=False)


def table_cells(page) -> dict[str, list[str]]:
    return page.evaluate(READ_TABLE)


def wait_for_caption(page, *parts: str) -> str:
    """Wait until the map's caption and mesh note hold every part; return them (the caller asserts)."""
    with contextlib.suppress(Exception):
        page.wait_for_function(
            f"parts => {{ const c = {MAP_NOTE}; return parts.every(p => c.includes(p)); }}",
            arg=list(parts), timeout=UPDATE_TIMEOUT_MS, polling=100)
    return page.evaluate(f"() => {MAP_NOTE}")


def wait_for_table(page, *parts: str) -> str:
    """Wait until the note under the table names every part (its settings); return it."""
    with contextlib.suppress(Exception):
        page.wait_for_function(
            "parts => { const t = document.getElementById('metrics-table');"
            " return t && t.getAttribute('data-dash-is-loading') !== 'true'"
            " && parts.every(p => t.textContent.includes(p)); }",
            arg=list(parts), timeout=UPDATE_TIMEOUT_MS, polling=100)
    return page.inner_text("#metrics-table")


def settings_message(page) -> str:
    return page.inner_text("#settings-message") if page.locator("#settings-message").is_visible() else ""


def type_into(page, selector: str, text: str, key: str = "Enter") -> None:
    """Replace a field's text as a person would (select all, type), then press `key`."""
    page.click(selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    if key:
        page.keyboard.press(key)
