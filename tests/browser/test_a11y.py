"""axe-core on the whole page as a person leaves it after using the jobs: the jobs' panels mounted,
a sweep, a stability run and a replay shown, the map's explainer open; in the light and the dark
theme, each in normal and presenter mode. No serious or critical violation.

One node is judged here rather than by axe: Dash 4's dcc.Dropdown keeps an invisible, aria-hidden
input in the tab order whose only job is to hand the focus to the dropdown's own (named) button.
axe reports that pattern as aria-hidden-focus (see dequelabs/axe-core#4165, where axe's maintainers
found it reliable with VoiceOver, JAWS and NVDA). The test checks the hand-over itself: Tab from
the control before the dataset picker lands on the picker's button, named by its label and value.
"""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.pages import set_display, show_every_job_result

STATES = [("light", False, False), ("dark", True, False), ("presenter, light", False, True),
          ("presenter, dark", True, True)]
FOCUS_PROXY = ".dash-dropdown-focus-target"  # dcc.Dropdown's: checked by the hand-over below


def serious(violations: list[dict]) -> list[tuple]:
    found = []
    for violation in violations:
        nodes = [node["target"] for node in violation["nodes"]]
        if violation["id"] == "aria-hidden-focus":
            # axe names it as specifically as the page needs: ".dataset-field > ... > .dash-dropdown-focus-target..."
            nodes = [target for target in nodes if not (len(target) == 1 and FOCUS_PROXY in target[0])]
        if violation["impact"] in ("serious", "critical") and nodes:
            found.append((violation["id"], violation["impact"], violation["help"], nodes[:5]))
    return found


def test_the_dataset_pickers_hidden_focus_target_hands_the_focus_to_its_named_button(page):
    page.focus("#reset-settings")
    page.keyboard.press("Tab")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'dataset'")
    # Named by its label and its value, as a screen reader says it.
    expect(page.locator("#dataset")).to_have_accessible_name(re.compile(r"^Dataset\b.*Handwritten digits"))


def test_axe_finds_no_serious_or_critical_violation_in_either_theme_or_mode(page):
    show_every_job_result(page)
    page.click("#map-card .explainer summary")
    axe = Axe()
    found = {}
    for name, dark, presenter in STATES:
        set_display(page, dark=dark, presenter=presenter)
        found[name] = serious(axe.run(page).response["violations"])
    assert all(not violations for violations in found.values()), "\n".join(
        f"{name}: {violation}" for name, violations in found.items() for violation in violations)
