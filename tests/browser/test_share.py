"""Sharing and exports as a person uses them: the address holds the settings and restores them,
a bad address is explained field by field, and the CSV, the map's PNG and the reproduce code
hold the table's numbers (scikit-learn's, computed here)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

from PIL import Image

from core.settings import DEFAULTS
from tests.browser import sklearn_reference as sk
from tests.browser.pages import (
    choose_init,
    field_values,
    open_dashboard,
    selected_init,
    settings_message,
    table_cells,
    type_into,
    wait_for_map_caption,
    wait_for_message,
    wait_for_table_caption,
    wait_until_drawn,
)

K, N_INIT, SEED, STEP = DEFAULTS["n_clusters"], DEFAULTS["n_init"], DEFAULTS["seed"], DEFAULTS["mesh_step"]
ADDRESS_HOLDS = "parts => parts.every(p => location.search.includes(p))"


def change_settings(page) -> None:
    """random, k 7, seed 3, mesh step 0.1; waited until the map and the table show them."""
    choose_init(page, "random")
    type_into(page, "#n-clusters", "7")
    type_into(page, "#random-seed", "3")
    type_into(page, "#mesh-step", "0.1", key="Tab")
    wait_for_map_caption(page, f"random (n_init {N_INIT}) · k 7 · seed 3", "step 0.1 =")
    wait_for_table_caption(page, f"k = 7, n_init = {N_INIT}, seed = 3")


def assert_changed_settings_shown(page) -> None:
    wait_for_map_caption(page, f"random (n_init {N_INIT}) · k 7 · seed 3", "step 0.1 =")
    wait_for_table_caption(page, f"k = 7, n_init = {N_INIT}, seed = 3")
    assert field_values(page, "n-init", "n-clusters", "random-seed", "mesh-step") == {
        "n-init": str(N_INIT), "n-clusters": "7", "random-seed": "3", "mesh-step": "0.1"}
    assert selected_init(page) == "random"
    assert settings_message(page) == ""


def test_the_address_holds_the_settings_without_new_history_entries(page):
    entries = page.evaluate("history.length")
    change_settings(page)
    page.wait_for_function(ADDRESS_HOLDS, arg=["init=random", "k=7", "seed=3", "mesh=0.1"])
    assert page.evaluate("history.length") == entries, "a change added a history entry: Back would replay settings"


def test_reloading_the_address_restores_its_settings(page):
    change_settings(page)
    page.wait_for_function(ADDRESS_HOLDS, arg=["init=random", "k=7", "seed=3", "mesh=0.1"])
    address = page.url
    page.reload()
    # The page is served drawn for the defaults; the address's settings replace them a moment later.
    wait_until_drawn(page)
    assert_changed_settings_shown(page)
    assert page.url == address


def test_opening_a_shared_address_restores_its_settings(browser, app):
    with open_dashboard(browser, app.url, path="/?init=random&n_init=10&k=7&seed=3&mesh=0.1") as page:
        assert_changed_settings_shown(page)
        assert sk.table_differences(table_cells(page), sk.table("digits", 7, N_INIT, 3)) == []


def test_a_bad_address_falls_back_field_by_field_and_says_why_as_text(browser, app):
    junk = "/?k=abc&mesh=-1&%3Cb%20id%3Dpwn%3Ex%3C%2Fb%3E=1&seed=5"
    with open_dashboard(browser, app.url, path=junk) as page:
        message = wait_for_message(page)
        assert "From the address:" in message
        assert "k='abc' was ignored" in message and f"the default, {K}, is used" in message, message
        assert "mesh='-1' was ignored" in message and "positive number" in message, message
        assert "'<b id=pwn>x</b>' is not a setting" in message, message  # shown as text, not as markup
        assert page.locator("#pwn").count() == 0
        # The valid parameter applies; the others are the defaults.
        wait_for_map_caption(page, f"· k {K} · seed 5 ·", f"step {STEP:g} =")
        wait_for_table_caption(page, f"k = {K}, n_init = {N_INIT}, seed = 5")
        assert field_values(page, "n-clusters", "random-seed", "mesh-step") == {
            "n-clusters": str(K), "random-seed": "5", "mesh-step": f"{STEP:g}"}
        page.wait_for_function(ADDRESS_HOLDS, arg=[f"k={K}", "seed=5", f"mesh={STEP}"])
        # The notes are about opening the address: the next change clears them.
        type_into(page, "#n-clusters", "8")
        wait_for_message(page, shown=False)


def test_the_csv_export_holds_scikit_learns_numbers_in_shortest_form(page):
    type_into(page, "#n-clusters", "6")
    wait_for_table_caption(page, f"k = 6, n_init = {N_INIT}, seed = {SEED}")
    shown = table_cells(page)
    with page.expect_download() as download_info:
        page.click("#export-csv")
    download = download_info.value
    assert download.suggested_filename == f"kmeans-digits_k6_n_init{N_INIT}_seed{SEED}.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert any(f"k=6, n_init={N_INIT}, seed={SEED}" in line for line in comments), comments
    rows = list(csv.DictReader(io.StringIO("\n".join(line for line in text.splitlines() if not line.startswith("#")))))
    expected = sk.table("digits", 6, N_INIT, SEED)
    assert [row["Init"] for row in rows] == list(expected)
    for row in rows:
        numbers = {header: text for header, text in row.items() if header != "Init"}
        for header, value in numbers.items():
            assert repr(float(value)) == value, f"{header} {value!r} is not the shortest form of its float"
        for header, metric in sk.SHOWN_METRICS.items():
            want = expected[row["Init"]][metric]
            assert abs(float(numbers[header]) - want) <= 1e-9 * max(1.0, abs(want)), (
                f"{row['Init']} {header}: CSV {numbers[header]}, scikit-learn {want!r}")
        # The same fits as the table: its fit time, in seconds, is the one shown in ms.
        seconds = float(next(value for header, value in numbers.items() if header.startswith("Fit time")))
        assert f"{seconds * 1000:.0f} ms" == shown[row["Init"]]["Fit time"]


def test_the_maps_png_button_downloads_the_map_as_a_png(page):
    size = page.evaluate("() => { const gd = document.querySelector('#boundary-graph .js-plotly-plot');"
                         " return [gd.clientWidth, gd.clientHeight]; }")
    with page.expect_download() as download_info:
        page.click("#map-png")
    download = download_info.value
    assert download.suggested_filename == "kmeans-map_digits_k-means++_k-10_n_init-10_seed-0_step-0.02.png", \
        download.suggested_filename  # the map's own settings, the defaults
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), "the download is not a PNG"
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.width == 2 * size[0] and picture.height > 2 * size[1], (picture.size, size)
        colours = picture.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is None or len(colours) > 50, "the PNG is nearly blank"


def test_the_reproduce_code_prints_the_tables_numbers(page):
    type_into(page, "#n-clusters", "5")
    type_into(page, "#random-seed", "2")
    wait_for_table_caption(page, f"k = 5, n_init = {N_INIT}, seed = 2")
    page.click("#reproduce-card summary")
    code = page.locator("#reproduce-code")
    page.wait_for_function("() => /K, N_INIT, SEED = 5, \\d+, 2/.test(document.getElementById('reproduce-code')"
                           ".textContent)")
    snippet = code.text_content()
    done = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=300, check=True)
    printed = {line.split()[0]: line.split()[3:] for line in done.stdout.splitlines()[1:] if line.strip()}
    shown = table_cells(page)
    assert printed == {init: [cells[header] for header in sk.SHOWN_METRICS] for init, cells in shown.items()}, \
        f"the code printed:\n{done.stdout}"
