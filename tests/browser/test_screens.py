"""The page on every listed screen, in the light and the dark theme and in presenter mode (each set
by clicking the header's toggles): no page-wide sideways scroll, no cut text (the tagline, the
table's caption and column headers), every plot drawn to its box's size, and a full-page
screenshot of each under tests/artifacts/screens/ for a person to look at. The jobs' results are
shown, so that their plots are in the pictures.

A 1280×720 projector at 150% zoom: Chrome lays the page out in 1280/1.5 × 720/1.5 = 853×480 CSS
pixels at a device pixel ratio of 1.5; a viewport of 853×480 with device_scale_factor 1.5 is
exactly that (media queries, vh units and the screenshot's 1280×720 pixels included). Playwright
has no browser-zoom setting, and CSS `zoom` on the page would leave the viewport and media
queries at 1280×720.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.looks import cut_text, sideways_scroll
from tests.browser.pages import open_dashboard, set_display, show_every_job_result

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "screens"
# (name, CSS viewport, device pixel ratio)
SCREENS = [
    ("phone-390x844", {"width": 390, "height": 844}, 1),
    ("tablet-768x1024", {"width": 768, "height": 1024}, 1),
    ("laptop-1440x900", {"width": 1440, "height": 900}, 1),
    ("monitor-2560x1440", {"width": 2560, "height": 1440}, 1),
    ("projector-1280x720-at-150pct", {"width": 853, "height": 480}, 1.5),
]
# Each reached from the one before by one click on a toggle.
STATES = [("light", False, False), ("dark", True, False), ("presenter-dark", True, True),
          ("presenter-light", False, True)]


@pytest.mark.parametrize(("screen", "viewport", "scale"), SCREENS, ids=[name for name, _, _ in SCREENS])
def test_every_screen_and_mode_fits_and_is_saved_for_a_look(browser, app, screen, viewport, scale):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems = []
    with open_dashboard(browser, app.url, viewport=viewport, device_scale_factor=scale,
                        log_tail=app.log_tail) as page:
        show_every_job_result(page)
        page.evaluate("() => window.scrollTo(0, 0)")
        for state, dark, presenter in STATES:
            misfits = set_display(page, dark=dark, presenter=presenter)
            page.screenshot(path=str(ARTIFACTS / f"{screen}-{state}.png"), full_page=True)
            found = [sideways_scroll(page)] + cut_text(page) + misfits
            problems += [f"{state}: {problem}" for problem in found if problem]
    assert not problems, f"at {screen}:\n" + "\n".join(problems)
