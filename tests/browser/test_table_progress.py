"""A slow table says how far it has got: each init's row, as the server's executor sees it."""

from __future__ import annotations

import re

from core.datasets import load
from core.settings import N_CLUSTERS_RANGE, N_INIT_RANGE
from tests.browser.pages import type_into, wait_for_table_caption

LINE = re.compile(r"^Fitting ([\d,]+) rows × (\d+) columns: k-means\+\+ (.+), random (.+), PCA-based (.+) "
                  r"\((\d) of 3 done\)$")
STATES = {"done", "fitting", "waiting for a process"}


def test_the_heaviest_table_shows_its_progress_until_its_rows_are_shown(page):
    page.evaluate("""() => {
        const line = document.getElementById('table-progress');
        const seen = window.__tableProgress = [];
        const look = () => {
            if (!line.hidden && getComputedStyle(line).visibility === 'visible') seen.push(line.textContent);
            requestAnimationFrame(look);
        };
        look();
    }""")
    k, n_init = N_CLUSTERS_RANGE[1], N_INIT_RANGE[1]
    type_into(page, "#n-init", str(n_init))
    type_into(page, "#n-clusters", str(k))
    wait_for_table_caption(page, f"k = {k}, n_init = {n_init}")
    assert page.locator("#table-progress").is_hidden()
    shown = page.evaluate("() => window.__tableProgress")
    digits = load("digits")
    lines = [LINE.match(text) for text in shown if text != "Fitting the table…"]
    assert lines, f"no progress was shown: {sorted(set(shown))}"
    for line in lines:
        assert line is not None, f"a line not in the expected form: {shown}"
        assert (line[1], line[2]) == (f"{digits.n_samples:,}", str(digits.n_features))
        states = (line[3], line[4], line[5])
        assert set(states) <= STATES, states
        assert int(line[6]) == states.count("done") < 3
