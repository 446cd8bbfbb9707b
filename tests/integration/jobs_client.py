"""The job panels driven over HTTP as the page drives them, for the jobs' integration tests and
benchmarks/jobs_restarts.py.

A `Page` is one browser tab: it keeps the page token and each panel's job handle the way the
page's stores do, and posts the panel's one callback (callbacks/jobs.py) with the trigger the
renderer would name: Run, Retry, Cancel, or the poll interval. `Answer.shows` reads the outputs
back into what the user sees: queued, running, done, lost, failed, refused, unknown, cancelled.
"""

from __future__ import annotations

import dataclasses
import itertools
import time

import requests

from tests.processes import children, command_line

APPLIED = {"dataset": "digits", "init_method": "k-means++", "n_init": 1, "n_clusters": 10, "seed": 0,
           "mesh_step": 0.02}
LONG = {"k_min": 2, "k_max": 30}  # with n_init 8: about 10 s of fits on an idle core
SHORT = {"k_min": 2, "k_max": 8}  # with n_init 1: well under a second
OUTLASTS_THE_TEST = {"init_method": "random", "n_init": 50}  # a LONG sweep of a minute or more (cancelled after)
LOST_TEXT = "The server restarted; this job did not finish."  # callbacks/jobs.py: what the page shows
UNKNOWN_START = "The server does not know this job"
KINDS = ("k-sweep", "stability")


def applied(n_init: int = 1, seed: int = 0, init_method: str = "k-means++") -> dict:
    """The page's applied settings: a job's cost grows with n_init; distinct seeds are distinct runs."""
    return {**APPLIED, "n_init": n_init, "seed": seed, "init_method": init_method}


def _outputs(spec: str) -> list[dict]:
    parts = spec.strip(".").split("...") if spec.startswith("..") else [spec]
    return [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]} for part in parts]


def _key(item: dict) -> str:
    return f"{item['id']}.{item['property'].split('@', 1)[0]}"


class Dashboard:
    """One server's callbacks, as its /_dash-dependencies lists them."""

    def __init__(self, base_url: str, timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        dependencies = requests.get(self.base_url + "/_dash-dependencies", timeout=timeout_s).json()
        by_input = {item["id"] + "." + item["property"]: callback
                    for callback in dependencies for item in callback["inputs"]}
        self.job_callbacks = {kind: by_input[f"{kind}-run.n_clicks"] for kind in KINDS}
        self.map_callback = next(callback for callback in dependencies if "map-caption.children" in callback["output"])

    def body(self, callback: dict, values: dict, changed: str) -> dict:
        """The renderer's request: every input and state with the page's value (None if unset)."""
        def filled(items):
            return [{**item, "value": values.get(_key(item))} for item in items]

        return {"output": callback["output"], "outputs": _outputs(callback["output"]),
                "inputs": filled(callback["inputs"]), "state": filled(callback["state"]),
                "changedPropIds": [changed]}

    def post(self, body: dict, headers: dict | None = None, timeout_s: float = 30.0) -> requests.Response:
        return requests.post(self.base_url + "/_dash-update-component", json=body, headers=headers or {},
                             timeout=timeout_s)

    def map_change(self, seed: int, headers: dict | None = None, timeout_s: float = 30.0) -> requests.Response:
        """A page's change of seed: the map's callback, as the renderer posts it."""
        values = {"init-method.value": APPLIED["init_method"], "n-init.value": APPLIED["n_init"],
                  "n-clusters.value": APPLIED["n_clusters"], "random-seed.value": seed,
                  "mesh-step.value": 0.05, "dataset.value": APPLIED["dataset"], "settings-message.hidden": True,
                  "applied-settings.data": APPLIED,
                  **{f"{field}.className": "number-input"
                     for field in ("n-init", "n-clusters", "random-seed", "mesh-step")}}
        return self.post(self.body(self.map_callback, values, "random-seed.value"), headers, timeout_s)


@dataclasses.dataclass
class Answer:
    status: int
    props: dict  # "id.property" -> value, for every output the server updated
    text: str = ""

    def get(self, kind: str, name: str, default=None):
        return self.props.get(f"{kind}-{name}", default)

    def shows(self, kind: str) -> str:
        """What the panel shows now, in one word."""
        if self.status == 204:
            return "nothing"
        if self.status != 200:
            return f"http {self.status}"
        if self.get(kind, "failure.hidden") is False:
            return "lost" if self.get(kind, "failure-text.children") == LOST_TEXT else "failed"
        if self.get(kind, "job.data"):
            return "queued" if str(self.get(kind, "progress-text.children", "")).startswith("Waiting") else "running"
        if self.get(kind, "shown.data"):
            return "done"
        message = self.message(kind)
        if message.startswith(UNKNOWN_START):
            return "unknown"
        if message == "Cancelled.":
            return "cancelled"
        if self.get(kind, "message.hidden") is False:
            return "refused"
        return "idle"

    def message(self, kind: str) -> str:
        message = self.get(kind, "message.children")
        return message if isinstance(message, str) else ""

    def waiting(self, kind: str) -> str:
        return str(self.get(kind, "progress-text.children", ""))


class Page:
    """One browser tab: its page token and its panels' handles, kept as the page keeps them."""

    _clicks = itertools.count(1)

    def __init__(self, dashboard: Dashboard, forwarded_for: str | None = None, applied: dict | None = None) -> None:
        self.dashboard = dashboard
        self.headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        self.applied = applied or APPLIED
        self.token = None
        self.handles: dict[str, str | None] = {}
        self.last_handles: dict[str, str] = {}  # the last handle each panel held, kept after its job ended
        self.shown: dict[str, Answer] = {}  # each panel's last answer that showed a job's state
        self.fields: dict[str, dict] = {}

    def copy(self, kind: str, handle: str | None) -> Page:
        """This page (its token, settings and fields) holding `handle` for `kind`: a page whose
        store kept an older handle, or one that was sent a handle it was never given."""
        twin = Page(self.dashboard, self.headers.get("X-Forwarded-For"), self.applied)
        twin.token, twin.fields, twin.handles = self.token, dict(self.fields), {**self.handles, kind: handle}
        return twin

    def _press(self, kind: str, trigger: str, timeout_s: float) -> Answer:
        count = next(self._clicks)
        fields = self.fields.get(kind, {})
        values = {f"{kind}-{name}.n_clicks": count for name in ("run", "retry", "cancel")}
        values.update({f"{kind}-poll.n_intervals": count, "applied-settings.data": self.applied,
                       f"{kind}-job.data": self.handles.get(kind), "page-token.data": self.token})
        values.update({f"{field}.value": value for field, value in fields.items()})
        body = self.dashboard.body(self.dashboard.job_callbacks[kind], values, f"{kind}-{trigger}")
        response = self.dashboard.post(body, self.headers, timeout_s)
        props = {}
        if response.status_code == 200:
            props = {f"{component}.{prop}": value
                     for component, changes in response.json()["response"].items() for prop, value in changes.items()}
            self.token = props.get("page-token.data", self.token)
            if f"{kind}-job.data" in props:
                self.handles[kind] = props[f"{kind}-job.data"]
                self.last_handles[kind] = self.handles[kind] or self.last_handles.get(kind)
        answer = Answer(response.status_code, props, response.text)
        if f"{kind}-job.data" in props:
            self.shown[kind] = answer
        return answer

    def run(self, kind: str = "k-sweep", timeout_s: float = 30.0, **fields) -> Answer:
        """Press Run with these field values (k sweep: k_min, k_max; stability: seeds)."""
        if kind == "k-sweep":
            self.fields[kind] = {"k-sweep-min": fields.get("k_min", 2), "k-sweep-max": fields.get("k_max", 30)}
        else:
            self.fields[kind] = {"stability-seeds": fields.get("seeds", 5)}
        return self._press(kind, "run.n_clicks", timeout_s)

    def retry(self, kind: str = "k-sweep", timeout_s: float = 30.0) -> Answer:
        return self._press(kind, "retry.n_clicks", timeout_s)

    def cancel(self, kind: str = "k-sweep", timeout_s: float = 30.0) -> Answer:
        return self._press(kind, "cancel.n_clicks", timeout_s)

    def poll(self, kind: str = "k-sweep", timeout_s: float = 30.0) -> Answer:
        return self._press(kind, "poll.n_intervals", timeout_s)

    def until_running(self, kind: str = "k-sweep", seconds: float = 90) -> Answer:
        """Poll until its job runs; fails if it does not within `seconds`."""
        answer = self.poll_until(kind, {"running"}, seconds)
        assert answer.shows(kind) == "running", answer.shows(kind)
        return answer

    def poll_until(self, kind: str, states: set[str], seconds: float, every_s: float = 0.5) -> Answer:
        """Poll as the interval does until the panel shows one of `states`; the last answer. A page
        whose job has ended polls no more: its answer is the last one it was given."""
        deadline = time.monotonic() + seconds
        if not self.handles.get(kind) and kind in self.shown:
            return self.shown[kind]
        while True:
            answer = self.poll(kind)
            if answer.shows(kind) in states or time.monotonic() > deadline:
                return answer
            if answer.shows(kind) not in ("queued", "running"):
                return answer  # the page stops polling once its job ended
            time.sleep(every_s)


# --- the servers around the jobs ------------------------------------------------------------------

def serve(directory, env: dict, port: int | None = None):
    """tests.integration.conftest.start_gunicorn: (the process, its base URL)."""
    from tests.integration.conftest import start_gunicorn

    return start_gunicorn(directory, env, port)


def wait_for_job_worker(base_url: str, timeout_s: float = 120.0) -> None:
    """Until the server's /ready says a job worker answers (the embedded one boots after gunicorn)."""
    def answers() -> bool:
        try:
            return requests.get(base_url + "/ready", timeout=10).json()["jobs"]["workers"] > 0
        except (requests.RequestException, ValueError, KeyError):
            return False

    deadline = time.monotonic() + timeout_s
    while not answers():
        if time.monotonic() > deadline:
            raise AssertionError(f"no job worker answered within {timeout_s:.0f} s")
        time.sleep(0.25)


def web_workers(master: int) -> list[int]:
    """gunicorn's worker processes: the master's children running gunicorn (not its job worker)."""
    return sorted(pid for pid in children(master)
                  if "gunicorn" in command_line(pid) and "celery" not in command_line(pid))


@dataclasses.dataclass
class Request:
    what: str  # "health" or "map"
    started: float  # time.monotonic()
    seconds: float
    status: int | None  # None: the connection failed twice
    resent: bool = False  # the first try's connection dropped (a killed worker): sent again, as the page does


class Traffic:
    """Other users meanwhile: `threads` loops, each a /health then a map change (a fresh fit) then
    `pause_s` of rest, each request on a new connection. A request whose connection drops is sent
    again once after 1 s, as the page's assets/busy_retry.js does; anything else is recorded as answered."""

    def __init__(self, dashboard: Dashboard, threads: int = 2, seed_base: int = 5000, pause_s: float = 0.05) -> None:
        import threading

        self.dashboard, self.seed_base, self.pause_s = dashboard, seed_base, pause_s
        self.requests: list[Request] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._loop, args=(n,), daemon=True) for n in range(threads)]

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def _send(self, what: str, call) -> None:
        started = time.monotonic()
        resent, status = False, None
        for attempt in range(2):
            try:
                status = call().status_code
                break
            except requests.RequestException:
                resent = True
                if attempt == 0:
                    time.sleep(1.0)
        with self._lock:
            self.requests.append(Request(what, started, time.monotonic() - started, status, resent))

    def _loop(self, number: int) -> None:
        for count in itertools.count():
            if self._stop.is_set():
                return
            self._send("health", lambda: requests.get(self.dashboard.base_url + "/health", timeout=30))
            seed = self.seed_base + 1000 * number + count
            self._send("map", lambda: self.dashboard.map_change(seed))
            self._stop.wait(self.pause_s)

    def between(self, start: float, end: float) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if start <= r.started <= end]

    def failed(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.status != 200]
