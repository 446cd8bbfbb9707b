"""The shape of the code, checked: imports point down (no cycles, lazy imports included), core/ is
pure, no module takes another's underscore names, and nothing reaches into a library's insides
(outside the one workaround module, assets/busy_retry.js)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "components", "callbacks", "serving")
IMPURE = {"multiprocessing", "threading", "signal", "subprocess", "concurrent", "tempfile", "socket", "shutil",
          "flask", "dash", "werkzeug", "celery", "redis", "diskcache", "loky", "pebble", "os", "pathlib", "io"}
PRIVATE_IN_ASSETS = re.compile(r"window\.store|\.emit\s*=|_fullLayout|_fullData|_hoverlayer|_namespace|\b_type\b|"
                               r"window\.fetch\s*=|\bfetch\s*=")
PRIVATE_IN_PYTHON = re.compile(r"\._(?:fullLayout|fullData|hoverlayer|namespace|type|prop_names|processes|flags|"
                               r"write_client|config|generate_scripts_html|dev_tools|n_init|init_centroids|"
                               r"check_params_vs_input)\b")
WORKAROUND = ROOT / "assets" / "busy_retry.js"


def _modules() -> dict[str, Path]:
    found = {"app": ROOT / "app.py"}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) for every import in the file, at any depth (lazy ones included)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def _project_target(module: str, names: list[str]) -> list[str]:
    """The project modules an import statement loads."""
    targets = [module] if module in MODULES else []
    targets += [f"{module}.{name}" for name in names if f"{module}.{name}" in MODULES]
    return targets


def _graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        edges = set()
        for module, names in _imports(path):
            edges.update(_project_target(module, names))
        graph[name] = edges - {name}
    return graph


def test_the_import_graph_has_no_cycles_lazy_imports_included():
    graph, state, cycles = _graph(), {}, []

    def visit(node, trail):
        state[node] = "open"
        for neighbour in sorted(graph.get(node, ())):
            parent = neighbour.rsplit(".", 1)[0]
            if state.get(neighbour) == "open" and neighbour != parent:
                cycles.append(trail + [neighbour])
            elif neighbour not in state:
                visit(neighbour, trail + [neighbour])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_layers_point_down():
    """core imports no other layer; components only core; callbacks never serving; serving never
    components."""
    allowed = {"core": {"core"}, "components": {"core", "components"},
               "callbacks": {"core", "components", "callbacks"}, "serving": {"core", "serving", "callbacks"}}
    wrong = []
    for name, edges in _graph().items():
        layer = name.split(".")[0]
        if layer in allowed:
            wrong += [(name, edge) for edge in edges if edge.split(".")[0] not in allowed[layer]]
    assert wrong == []
    # serving may use callbacks' interface only (callbacks/services.py), nothing else of theirs.
    assert {edge for name, edges in _graph().items() if name.startswith("serving") for edge in edges
            if edge.startswith("callbacks")} <= {"callbacks.services"}


def test_core_is_pure_maths_and_data():
    offending = []
    for name, path in MODULES.items():
        if name.split(".")[0] != "core":
            continue
        for module, _ in _imports(path):
            if module.split(".")[0] in IMPURE:
                offending.append((name, module))
    assert offending == []


def test_no_module_imports_anothers_underscore_names():
    offending = []
    for name, path in MODULES.items():
        for module, names in _imports(path):
            offending += [(name, module, n) for n in names if n.startswith("_") and n != "__future__"]
            if any(part.startswith("_") for part in module.split(".")) and module != "__future__":
                offending.append((name, module, ""))
    assert offending == []


def test_nothing_reaches_into_a_librarys_insides():
    found = []
    for path in sorted((ROOT / "assets").glob("*.js")):
        if path == WORKAROUND:
            continue
        found += [(path.name, match.group()) for match in PRIVATE_IN_ASSETS.finditer(path.read_text())]
    for name, path in MODULES.items():
        found += [(name, match.group()) for match in PRIVATE_IN_PYTHON.finditer(path.read_text())]
    assert found == []
    # The one workaround wraps fetch, and says so at its top.
    assert "THE ONE WORKAROUND" in WORKAROUND.read_text()[:300]


def test_importing_core_loads_neither_dash_nor_flask():
    import subprocess
    import sys

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, core.settings, core.clustering, core.boundary, core.sweeps, core.replay;"
                               "print(sorted({m.split('.')[0] for m in sys.modules} & {'dash', 'flask', 'celery'}))"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


def test_a_job_worker_imports_the_maths_not_the_web_app():
    import subprocess
    import sys

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, serving.jobs.tasks;"
                               "print(sorted({m.split('.')[0] for m in sys.modules} & {'dash', 'flask', 'app', "
                               "'components', 'callbacks', 'plotly'}))"],
        cwd=ROOT, capture_output=True, text=True, check=True, env={"JOBS_DIR": "/tmp/kmeans-arch-test",
                                                                   "PATH": "/usr/bin:/bin"}).stdout.strip()
    assert loaded == "[]"
