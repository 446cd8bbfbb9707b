"""Keyboard, range and message behaviour of the controls, and axe-core on the whole page."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.pages import dashboard, settings_message, type_into, wait_for_caption, wait_for_table

FIELDS = ("n-init", "n-clusters", "random-seed", "mesh-step")

FOCUSED = """() => { const e = document.activeElement; const s = getComputedStyle(
    e.closest('.dash-input-container') || (e.type === 'radio' ? e.closest('label') : e));
    return {id: e.id, name: e.name || '', type: e.type || '', tag: e.tagName,
            outline: parseFloat(s.outlineWidth), outlineStyle: s.outlineStyle}; }"""


def test_every_control_takes_one_tab_stop_and_shows_a_clear_focus_ring(page):
    page.locator("body").click(position={"x": 1, "y": 1})
    stops = []
    for _ in range(40):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
        if stops[-1]["id"] == "mesh-step":
            break
    ids = [stop["id"] or stop["name"] for stop in stops]
    for field in ("reset-settings", *FIELDS):
        assert ids.count(field) == 1, ids
    assert ids.count("init-method") == 1, ids  # the radio group is one stop; arrows move within it
    assert not any(id_.endswith(("-increment", "-decrement")) for id_ in ids), ids
    for stop in stops:  # WCAG 2.2 focus appearance: a solid ring of at least 2 px
        assert stop["outlineStyle"] == "solid" and stop["outline"] >= 2, stop


def test_every_control_works_from_the_keyboard_alone(page):
    page.focus("#init-method input[value='k-means++']")
    page.keyboard.press("ArrowRight")
    assert "random" in wait_for_caption(page, "random (n_init 10)")
    page.keyboard.press("Tab")  # from the radio group to n_init
    assert page.evaluate("document.activeElement.id") == "n-init"
    page.keyboard.press("ArrowDown")
    assert "n_init 9" in wait_for_caption(page, "n_init 9")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowUp")
    assert "k 11" in wait_for_caption(page, "k 11")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("4")
    page.keyboard.press("Enter")
    assert "seed 4" in wait_for_caption(page, "seed 4")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("0.1")
    page.keyboard.press("Tab")  # leaving the field applies it
    assert "step 0.1" in wait_for_caption(page, "step 0.1")
    wait_for_table(page, "k = 11, n_init = 9, seed = 4")
    # The summary opens the reproduce code; the toolbar's buttons answer Enter and Space.
    page.focus(".reproduce summary")
    page.keyboard.press("Enter")
    assert page.locator("#reproduce-code").is_visible()
    page.focus("#theme-toggle")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.documentElement.dataset.theme === 'dark'")
    page.focus("#presenter-toggle")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.documentElement.classList.contains('presenter')")
    page.focus("#export-csv")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "kmeans-digits_k11_n_init9_seed4.csv"
    page.focus("#reset-settings")
    page.keyboard.press("Enter")
    assert "k-means++ (n_init 10) · k 10 · seed 0" in wait_for_caption(page, "k-means++ (n_init 10) · k 10 · seed 0")


def test_enter_applies_at_once_and_typing_waits_for_the_pause(page):
    sent = []
    page.on("request", lambda r: sent.append(r.post_data or "") if "_dash-update-component" in r.url else None)
    type_into(page, "#n-clusters", "8", key="")
    page.wait_for_timeout(150)
    assert not any("n-clusters" in body for body in sent), "sent while still typing"
    page.keyboard.press("Enter")
    page.wait_for_timeout(150)  # well inside the 350 ms typing pause
    assert any('"n-clusters","property":"value","value":8' in body for body in sent), sent


def test_a_bad_n_init_left_in_place_never_blocks_pca_based(page):
    type_into(page, "#n-init", "0")
    page.wait_for_function("() => !document.getElementById('settings-message').hidden", timeout=20_000)
    page.locator("#init-method label", has_text="PCA-based").click()
    caption = wait_for_caption(page, "PCA-based (deterministic, 1 run)")
    assert "PCA-based" in caption and page.locator("#settings-message").is_hidden()
    assert page.is_disabled("#n-init") and page.is_disabled("#random-seed")
    assert page.inner_text("#random-seed-description") == page.inner_text("#n-init-description")
    type_into(page, "#n-clusters", "6")  # other changes go on applying
    assert "k 6" in wait_for_caption(page, "PCA-based", "k 6")
    assert "k = 6, n_init = 10" in wait_for_table(page, "k = 6, n_init = 10, seed = 0")  # the last valid n_init
    page.locator("#init-method label", has_text="random").click()  # enabled again: its value is the user's to fix
    page.wait_for_function("() => !document.getElementById('settings-message').hidden", timeout=20_000)
    assert "n_init must be a whole number from 1 to 50; got 0." in settings_message(page)


@pytest.mark.parametrize(("field", "start", "button", "key", "stays"), [
    ("n-init", "50", "increment", "ArrowUp", "50"),
    ("n-init", "1", "decrement", "ArrowDown", "1"),
    ("n-clusters", "30", "increment", "ArrowUp", "30"),
    ("n-clusters", "2", "decrement", "ArrowDown", "2"),
    ("random-seed", "0", "decrement", "ArrowDown", "0"),
    ("random-seed", "4294967295", "increment", "ArrowUp", "4294967295"),
])
def test_steppers_and_arrows_stop_at_the_ends_of_the_range(page, field, start, button, key, stays):
    type_into(page, f"#{field}", start)
    page.click(f"#{field}-{button}")
    page.focus(f"#{field}")
    page.keyboard.press(key)
    page.wait_for_timeout(600)
    assert page.input_value(f"#{field}") == stays
    assert page.locator("#settings-message").is_hidden(), settings_message(page)


def test_a_stepper_brings_a_value_typed_out_of_range_back_into_it(page):
    type_into(page, "#n-init", "99")
    page.wait_for_function("() => !document.getElementById('settings-message').hidden", timeout=20_000)
    page.click("#n-init-decrement")
    assert "n_init 50" in wait_for_caption(page, "n_init 50")
    page.wait_for_function("() => document.getElementById('settings-message').hidden", timeout=20_000)
    page.focus("#mesh-step")  # no steppers: the arrows leave it alone
    page.keyboard.press("ArrowUp")
    assert page.input_value("#mesh-step") == "0.02"


@pytest.mark.parametrize(("field", "typed", "says"), [
    ("n-init", "e", "n_init must be a whole number from 1 to 50."),  # no number: the browser sends none
    ("mesh-step", "-1", "Mesh step must be a positive number, from 0.014 to 1; got -1."),
    ("mesh-step", "0", "Mesh step must be a positive number, from 0.014 to 1; got 0."),
    ("mesh-step", "1e-9", ("Mesh step must be at least 0.014: a finer mesh would draw more than 2,000,000 "
                           "cells; got 1e-09.")),
    ("mesh-step", "2", "Mesh step must be at most 1: a coarser mesh shows nothing; got 2."),
])
def test_each_bad_value_gets_a_message_that_fits(page, field, typed, says):
    type_into(page, f"#{field}", typed)
    page.wait_for_function("() => !document.getElementById('settings-message').hidden", timeout=20_000)
    assert says in settings_message(page).splitlines()


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("presenter", [False, True], ids=["normal", "presenter"])
@pytest.mark.parametrize("viewport", [{"width": 1440, "height": 900}, {"width": 390, "height": 844}],
                         ids=["1440", "390"])
def test_axe_finds_no_serious_or_critical_violation(browser, app_url, theme, presenter, viewport):
    with dashboard(browser, app_url, viewport) as page:
        if theme == "dark":
            page.click("#theme-toggle")
        if presenter:
            page.click("#presenter-toggle")
        page.wait_for_function("([dark, presenter]) => (document.documentElement.dataset.theme === 'dark') === dark"
                               " && document.documentElement.classList.contains('presenter') === presenter",
                               arg=[theme == "dark", presenter])
        page.click(".reproduce summary")  # the code block too
        page.wait_for_timeout(300)
        violations = Axe().run(page).response["violations"]
    serious = [(v["id"], v["impact"], [node["target"] for node in v["nodes"]][:5])
               for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == []
