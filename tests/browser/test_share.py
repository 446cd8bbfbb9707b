"""Share, export and present, in real Chromium: the address, CSV, reproduce code, PNG, themes."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
from PIL import Image

from components.metrics_table import COLUMNS
from core.clustering import benchmark_inits
from core.reproduce import reproduce_snippet
from core.settings import DEFAULTS, Settings
from core.share import format_query
from tests.browser.pages import (
    dashboard,
    settings_message,
    table_cells,
    type_into,
    wait_for_caption,
    wait_for_table,
)

DEFAULT_QUERY = format_query(Settings(**DEFAULTS))


def _expected_cells(k: int, n_init: int, seed: int) -> dict[str, list[str]]:
    """The table's text for these settings, from the core, without the fit time (a timing)."""
    return {r.init_method: [c.text(c.value(r)) for c in COLUMNS[1:]] for r in benchmark_inits(k, n_init, seed)}


def _without_fit_time(cells: dict[str, list[str]]) -> dict[str, list[str]]:
    return {init: row[1:] for init, row in cells.items()}


def test_an_address_restores_its_settings(browser, app_url):
    query = "?init=random&n_init=4&k=6&seed=3&mesh=0.05"
    with dashboard(browser, app_url, path="/" + query) as page:
        caption = wait_for_caption(page, "random (n_init 4)", "k 6", "seed 3", "step 0.05")
        assert all(part in caption for part in ("random (n_init 4)", "k 6", "seed 3", "step 0.05")), caption
        assert [page.input_value(f"#{id_}") for id_ in ("n-init", "n-clusters", "random-seed", "mesh-step")] == [
            "4", "6", "3", "0.05"]
        assert page.is_checked("#init-method input[value='random']")
        wait_for_table(page, "k = 6, n_init = 4, seed = 3")
        assert _without_fit_time(table_cells(page)) == _expected_cells(6, 4, 3)
        assert page.locator("#settings-message").is_hidden()
        assert page.evaluate("location.search") == query


def test_changes_replace_the_address_and_a_reload_keeps_them(page):
    assert page.evaluate("location.search") == DEFAULT_QUERY
    entries = page.evaluate("history.length")
    type_into(page, "#n-clusters", "7")
    page.wait_for_function("() => location.search.includes('k=7')", timeout=20_000)
    type_into(page, "#mesh-step", "0.1", key="Tab")
    page.wait_for_function("() => location.search.includes('mesh=0.1')", timeout=20_000)
    assert page.evaluate("history.length") == entries, "a change added a history entry"
    page.reload()
    caption = wait_for_caption(page, "k 7", "step 0.1")
    assert "k 7" in caption and "step 0.1" in caption, caption


def test_junk_in_the_address_is_named_escaped_and_replaced_by_defaults(browser, app_url):
    junk = "/?k=abc&mesh=-1&%3Cb%20id%3Dpwn%3Ex%3C%2Fb%3E=1&seed=5"
    with dashboard(browser, app_url, path=junk) as page:
        page.wait_for_function("() => !document.getElementById('settings-message').hidden", timeout=20_000)
        message = settings_message(page)
        assert "From the address:" in message
        assert "k='abc' was ignored" in message and "the default, 10, is used" in message
        assert "mesh='-1' was ignored" in message and "positive number" in message
        assert "'<b id=pwn>x</b>' is not a setting" in message  # shown as text, not as markup
        assert page.locator("#pwn").count() == 0
        caption = wait_for_caption(page, "k 10", "seed 5", "step 0.02")
        assert "seed 5" in caption, caption  # the valid parameter still applies
        assert page.evaluate("location.search") == format_query(Settings(**{**DEFAULTS, "seed": 5}))
        # The note goes with the next change.
        type_into(page, "#n-clusters", "8")
        page.wait_for_function("() => document.getElementById('settings-message').hidden", timeout=20_000)


def test_reset_restores_the_defaults(page):
    page.locator("#init-method label", has_text="random").click()
    type_into(page, "#n-clusters", "5")
    wait_for_caption(page, "random", "k 5")
    page.click("#reset-settings")
    caption = wait_for_caption(page, "k-means++ (n_init 10)", "k 10", "seed 0", "step 0.02")
    assert "k-means++ (n_init 10) · k 10 · seed 0" in caption, caption
    assert page.input_value("#n-clusters") == "10" and page.is_checked("#init-method input[value='k-means++']")
    page.wait_for_function(f"() => location.search === {DEFAULT_QUERY!r}", timeout=20_000)


def test_the_csv_download_holds_the_tables_numbers(page):
    type_into(page, "#n-clusters", "6")
    wait_for_table(page, "k = 6, n_init = 10, seed = 0")
    shown = table_cells(page)
    with page.expect_download() as download_info:
        page.click("#export-csv")
    download = download_info.value
    assert download.suggested_filename == "kmeans-digits_k6_n_init10_seed0.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.splitlines()[1] == "# k=6, n_init=10, seed=0, selected init=k-means++"
    frame = pd.read_csv(io.StringIO(text), comment="#")
    as_shown = {row[0]: [column.text(value) for column, value in zip(COLUMNS, row[1:], strict=True)]
                for row in frame.itertuples(index=False)}
    assert as_shown == shown  # every cell, the fit time included: the same cached fits


def test_the_reproduce_code_prints_the_tables_numbers(browser, app_url):
    with dashboard(browser, app_url, permissions=["clipboard-read", "clipboard-write"]) as page:
        type_into(page, "#n-clusters", "5")
        type_into(page, "#random-seed", "2")
        wait_for_table(page, "k = 5, n_init = 10, seed = 2")
        page.click(".reproduce summary")
        code = page.locator("#reproduce-code")
        assert code.evaluate("e => e.tagName") == "PRE" and code.evaluate("e => e.children.length") == 0
        snippet = code.text_content()
        assert snippet == reproduce_snippet(Settings("k-means++", 10, 5, 2, 0.02))
        page.click(".copy-code")
        page.wait_for_function("s => navigator.clipboard.readText().then(t => t === s)", arg=snippet,
                               timeout=10_000)
        done = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=300,
                              check=True)
        printed = {line.split()[0]: line.split()[3:] for line in done.stdout.splitlines()[1:]}
        assert printed == _without_fit_time(table_cells(page))


def test_the_modebar_offers_no_upload_or_selection_and_downloads_a_2x_png(page):
    page.hover("#boundary-graph .nsewdrag")
    titles = page.eval_on_selector_all("#boundary-graph .modebar-btn", "bs => bs.map(b => b.dataset.title)")
    assert "Download plot as a PNG" in titles
    for unwanted in ("Share", "Lasso", "Box Select", "Edit in Chart Studio", "Produced with Plotly"):
        assert not any(unwanted.lower() in (title or "").lower() for title in titles), titles
    assert page.locator("#boundary-graph .modebar-btn.plotlyjsicon").count() == 0
    size = page.evaluate("() => { const l = document.querySelector('#boundary-graph .js-plotly-plot')._fullLayout;"
                         " return [l.width, l.height]; }")
    with page.expect_download() as download_info:
        page.click('#boundary-graph .modebar-btn[data-title="Download plot as a PNG"]')
    download = download_info.value
    assert download.suggested_filename == (
        "kmeans-digits-map_init-k-means++_n_init-10_k-10_seed-0_mesh-0.02.png")
    picture = Image.open(download.path()).convert("L")
    assert picture.size == (2 * size[0], 2 * (size[1] + 48))
    # The title band above the plot holds dark text.
    band = picture.crop((0, 0, picture.width // 2, 2 * 48))
    assert band.getextrema()[0] < 80


def test_presenter_mode_and_theme_switch_in_the_browser_and_persist(page):
    posts = []
    page.on("request", lambda r: posts.append(r.url) if "_dash-update-component" in r.url else None)
    page.click("#presenter-toggle")
    page.click("#theme-toggle")
    page.wait_for_function("() => document.documentElement.classList.contains('presenter')"
                           " && document.documentElement.dataset.theme === 'dark'")
    page.wait_for_timeout(500)
    assert posts == [], f"switching asked the server: {posts}"  # nothing refit, nothing redrawn there
    sizes = page.evaluate("""() => ({
        body: parseFloat(getComputedStyle(document.body).fontSize),
        label: parseFloat(getComputedStyle(document.querySelector('.field-label')).fontSize),
        table: parseFloat(getComputedStyle(document.querySelector('#metrics-table td')).fontSize),
        centroid: Math.min(...[...document.querySelectorAll('#boundary-graph .annotation-text')]
            .filter(t => t.textContent).map(t => parseFloat(getComputedStyle(t).fontSize))),
        background: getComputedStyle(document.body).backgroundColor,
    })""")
    assert sizes["body"] >= 20 and sizes["label"] >= 20 and sizes["table"] >= 22 and sizes["centroid"] >= 16, sizes
    assert sizes["background"] == "rgb(15, 20, 27)", sizes
    page.click(".reproduce summary")
    small_text = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => !e.closest('.js-plotly-plot') && e.getClientRects().length
                && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
        .filter(e => parseFloat(getComputedStyle(e).fontSize) < 20)
        .map(e => `${e.className}: ${e.textContent.trim().slice(0, 30)}`)""")
    assert small_text == [], "text under 20 px in presenter mode"
    assert page.get_attribute("#presenter-toggle", "aria-pressed") == "true"
    page.reload()
    page.wait_for_function("() => document.documentElement.classList.contains('presenter')"
                           " && document.documentElement.dataset.theme === 'dark'", timeout=20_000)
    assert page.get_attribute("#theme-toggle", "aria-pressed") == "true"
    page.click("#presenter-toggle")
    page.click("#theme-toggle")
    page.wait_for_function("() => !document.documentElement.classList.contains('presenter')"
                           " && document.documentElement.dataset.theme === 'light'")
