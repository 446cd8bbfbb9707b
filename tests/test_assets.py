"""The vendored plotly.js basic bundle must match the plotly.js version the plotly package ships."""

import re
from pathlib import Path

import plotly

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def _version(path: Path) -> str:
    head = path.read_text(encoding="utf-8", errors="replace")[:200]
    return re.search(r"plotly\.js.*? v(\d+\.\d+\.\d+)", head).group(1)


def test_vendored_basic_bundle_matches_the_installed_plotly_js():
    bundled = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    vendored = list((ASSETS / "vendor").glob("plotly-basic-*.min.js"))
    assert len(vendored) == 1, "exactly one plotly.js basic bundle in assets/vendor"
    assert _version(vendored[0]) == _version(bundled)
    assert vendored[0].name == f"plotly-basic-{_version(bundled)}.min.js"


def test_vendored_bundle_asks_v8_to_compile_it_eagerly_off_the_main_thread():
    (vendored,) = (ASSETS / "vendor").glob("plotly-basic-*.min.js")
    with vendored.open(encoding="utf-8") as bundle:
        assert bundle.readline().strip() == "//# allFunctionsCalledOnLoad", "see assets/vendor/README.md"
