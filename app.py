"""The K-means digits dashboard. `python app.py` serves it; `gunicorn app:server` in production."""

from __future__ import annotations

import logging
import os

# Before numpy and scikit-learn load: the table and map callbacks run in parallel threads, so
# one OpenMP/BLAS thread each keeps the 2 cores busy without oversubscribing them.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from dash import Dash
from flask_talisman import Talisman
from plotly.io.json import to_json_plotly
from werkzeug.exceptions import HTTPException

from callbacks import register_callbacks
from callbacks.refresh import applied_settings, map_clusters
from callbacks.results_views import sent_results
from components.boundary_figure import boundary_figure, map_caption, map_regions, mesh_caption
from components.digit_samples import digit_samples
from components.layout import page
from core import data
from core.boundary import decision_boundary
from core.clustering import start_workers
from core.settings import DEFAULTS, Settings, min_mesh_step
from serving import hygiene, readiness, shared_cache, static_files
from serving.log_escaping import escape_log_messages

MAX_REQUEST_BYTES = 64 * 1024  # a callback request here is well under 2 KB

log = logging.getLogger(__name__)
escape_log_messages()  # before anything logs a request's path or headers


def _content_security_policy(app: Dash) -> dict:
    return {
        "default-src": "'self'",
        # Dash's inline start-up script and clientside callbacks, by hash; nothing else inline.
        "script-src": ["'self'", *app.csp_hashes()],
        # Plotly and Dash set inline styles.
        "style-src": ["'self'", "'unsafe-inline'"],
        # The map's region raster is a data: URI PNG; the PNG download draws the map's SVG
        # through a blob: URL.
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def _debug() -> bool:
    """DASH_DEBUG, as `python app.py` reads it (gunicorn.conf.py removes it: never on there)."""
    return os.environ.get("DASH_DEBUG", "").lower() in {"1", "true", "yes"}


def _initial_page():
    digits = data.load()
    defaults = Settings(**DEFAULTS)
    boundary = decision_boundary(defaults)
    return page(
        results=sent_results(defaults),
        figure=boundary_figure(boundary, digits.reduced, digits.target),
        caption=map_caption(boundary.plane),
        mesh_caption=mesh_caption(boundary.extent, defaults.mesh_step),
        finest_mesh_step=min_mesh_step(digits.extent),
        samples=digit_samples(digits.images, digits.target),
        applied=applied_settings(defaults),
        map_clusters=map_clusters(boundary.plane),
        # A mesh-step change needs only the centroids and tints: the markers are in the figure.
        map_regions={**{key: value for key, value in map_regions(boundary.plane).items()
                        if key not in ("shapes", "annotations")}, "step": defaults.mesh_step},
    )


class DashboardApp(Dash):
    """Dash, serving its layout from one serialization.

    The layout is built once at start-up and never changes, but Dash serializes its ~100 KB of
    JSON (the map's 1,797 points included) again for every page load: ~14 ms on the first
    render's critical path. Threads racing on the first request both compute the same text.
    """

    _layout_json: str | None = None

    def _config(self):
        return hygiene.public_config(super()._config(), debug=self._dev_tools.ui)

    def _generate_scripts_html(self):
        return static_files.without_babel_polyfill(super()._generate_scripts_html())

    def serve_layout(self):
        if self._layout_json is None:
            self._layout_json = to_json_plotly(self.get_layout())  # what Dash itself uses
        return self.backend.make_response(self._layout_json, mimetype="application/json")


def create_app() -> Dash:
    start_workers()  # forks the table's worker processes while this process has a single thread
    # assets/vendor/ holds plotly.js's "basic" bundle (scatter and layout images: all the map
    # needs; 1.2 MB instead of 4.8 MB). dcc.Graph uses window.Plotly when it exists and then
    # never fetches the full bundle, so the first render parses a quarter of the JavaScript.
    app = DashboardApp(
        __name__,
        title="K-means on handwritten digits",
        update_title=None,
        compress=False,  # static_files.install sets up the compression
        health_endpoint="health",
        # Part of the page is mounted after the first render (components/below_fold.py), so some
        # callback ids are not in the initial layout; tests/test_layout_ids.py checks them instead.
        suppress_callback_exceptions=True,
        # A fit is drawn as soon as its answer is parsed (assets/map_regions.js).
        hooks={"request_pre": "(payload) => window.dash_clientside.kmeansMap.onRequest(payload)",
               "request_post": "(payload, response) => window.dash_clientside.kmeansMap.onResponse(payload, response)"},
    )
    static_files.install(app, debug=_debug())  # first, where Dash would have set up compression
    app.index_string = app.index_string.replace("<html>", '<html lang="en">', 1)  # for screen readers
    shared_cache.install(app.server)  # with REDIS_URL: fits shared through Redis, jobs on Celery
    app.index_string = app.index_string.replace(
        "{%css%}", "{%css%}\n" + static_files.preload_links(app.config.requests_pathname_prefix), 1)
    app.layout = _initial_page()  # also warms the caches for the default configuration
    hygiene.install(app, MAX_REQUEST_BYTES)  # first: a refused request reaches no other hook
    readiness.register(app.server)  # /ready; /health stays the cheap liveness check
    register_callbacks(app)
    shared_cache.install_error_pages(app)  # Redis lost mid-run: 503 with Retry-After, never a 500

    server = app.server
    Talisman(
        server,
        content_security_policy=_content_security_policy(app),
        force_https=False,  # TLS ends at the proxy in front of gunicorn
        strict_transport_security=False,
        session_cookie_secure=False,
        frame_options="DENY",
    )

    @server.errorhandler(Exception)
    def _no_traceback(error: Exception):
        # Malformed requests to the public callback endpoint make Dash raise; answer 400, never 500.
        if isinstance(error, HTTPException):
            return error
        log.warning("rejected a request: %s: %s", type(error).__name__, error)
        return {"error": "The request could not be processed."}, 400

    # Dash finishes its set-up (registering the script paths) on the first request, and not
    # thread-safely: concurrent first requests of a fresh worker can find no scripts and get 400
    # for react.js. So the first request is made here, before any thread serves.
    with server.test_client() as client:
        client.get("/health")
    static_files.warm(server)
    return app


app = create_app()
server = app.server

if __name__ == "__main__":
    app.run(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8050")),
        debug=_debug(),
        request_handler=hygiene.QuietRequestHandler,
    )
