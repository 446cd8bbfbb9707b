"""First render of this checkout against another one, interleaved, in one run.

    git worktree add /tmp/base <commit>        # the code to compare with
    python benchmarks/ab_first_render.py /tmp/base [--loads 12]

Starts both checkouts under gunicorn (each with its own gunicorn.conf.py), then loads each page
in a fresh browser context, alternating A, B, A, B, ... so that both see the same machine noise,
and prints the medians (navigation start -> first map drawn) and their ratio. Issue 9's budget:
the first render at most 10% slower than before, measured side by side.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.browser_timing import first_render
from benchmarks.harness import Server, machine
from benchmarks.headless import CHROMIUM, CHROMIUM_ARGS


def gunicorn(name: str, checkout: Path) -> Server:
    return Server(name, [sys.executable, "-m", "gunicorn", "--chdir", str(checkout),
                         "-c", str(checkout / "gunicorn.conf.py"), "app:server"], "/health")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the checkout to compare with")
    parser.add_argument("--loads", type=int, default=12)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    servers = {"this": gunicorn("this", REPO), "other": gunicorn("other", args.other.resolve())}
    samples: dict[str, list[float]] = {name: [] for name in servers}
    try:
        for server in servers.values():
            server.start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, server in servers.items():  # one warm-up load each, not counted
                first_render(browser, server.url + "/", 1)
            for _ in range(args.loads):
                for name, server in servers.items():
                    samples[name] += first_render(browser, server.url + "/", 1)["samples_s"]
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
    print("First render A/B:", machine())
    for name, values in samples.items():
        print(f"  {name:5} ({REPO if name == 'this' else args.other}): median {statistics.median(values):.3f} s "
              f"over {len(values)} loads; all: {', '.join(f'{v:.2f}' for v in values)}")
    ratio = statistics.median(samples["this"]) / statistics.median(samples["other"])
    print(f"  this / other: {ratio:.3f}  (budget <= 1.10)")


if __name__ == "__main__":
    main()
