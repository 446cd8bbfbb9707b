"""The K-means dashboard. `python app.py` serves it on its own; `gunicorn -c gunicorn.conf.py
app:server` in production (deploy/ runs nginx in front of it, and a job worker beside it)."""

from __future__ import annotations

import logging
import os
import secrets

# Before numpy and scikit-learn load: one OpenMP/BLAS thread per fit, so that the web threads, the
# table's processes and the jobs never ask for more cores than there are.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from dash import Dash  # noqa: E402
from werkzeug.middleware.proxy_fix import ProxyFix  # noqa: E402

from callbacks import register_callbacks  # noqa: E402
from callbacks.controls import dataset_limits  # noqa: E402
from callbacks.results_views import results  # noqa: E402
from callbacks.services import Services  # noqa: E402
from callbacks.settings_map import map_clusters  # noqa: E402
from components.boundary_figure import boundary_figure, map_caption, map_regions, mesh_caption  # noqa: E402
from components.digit_samples import digit_samples  # noqa: E402
from components.layout import page  # noqa: E402
from core import datasets  # noqa: E402
from core.boundary import plane_map  # noqa: E402
from core.clustering import row_keys, table_row  # noqa: E402
from core.settings import DEFAULTS, limits, validate  # noqa: E402
from serving import http, readiness, upload_route, uploads  # noqa: E402
from serving.fit_cache import FitCache  # noqa: E402
from serving.jobs.queue import JobQueue  # noqa: E402
from serving.jobs.store import redis_url  # noqa: E402
from serving.table_fits import TableFits  # noqa: E402

log = logging.getLogger(__name__)


def debug_mode() -> bool:
    """DASH_DEBUG, as `python app.py` reads it (gunicorn.conf.py removes it: never on there)."""
    return os.environ.get("DASH_DEBUG", "").lower() in {"1", "true", "yes"}


def initial_page():
    """The page as it first loads: the default settings' map and table, computed here."""
    settings = validate(DEFAULTS)
    dataset = datasets.load(settings.dataset)
    plane = plane_map(*settings.fit_key)
    rows = tuple(table_row(*key) for key in row_keys(*settings.table_key))
    return page(
        settings=settings,
        dataset=dataset,
        views=results(settings, rows),
        figure=boundary_figure(dataset),
        caption=map_caption(plane),
        mesh_caption=mesh_caption(plane.extent, settings.mesh_step),
        finest_mesh_step=limits(settings.dataset).mesh_range[0],
        data_picture=digit_samples(dataset.images, dataset.target),
        map_clusters=map_clusters(plane),
        map_regions={**map_regions(plane), "step": settings.mesh_step},
        dataset_limits=dataset_limits(),
    )


def create_app(secret_key: str | None = None) -> Dash:
    """The Dash app with its callbacks and services. Nothing is forked and no worker is started
    here: the table's processes start on first use (or in `start`), the job worker beside the
    server (serving/jobs/local_worker.py, or deploy/)."""
    app = Dash(
        __name__,
        title="K-means, live",
        update_title=None,
        compress=True,
        health_endpoint="health",
        # The jobs' panels are mounted after the first render (components/below_fold.py), so some
        # callback ids are not in the initial layout.
        suppress_callback_exceptions=True,
    )
    server = app.server
    server.secret_key = secret_key or os.environ.get("SECRET_KEY") or secrets.token_hex(32)
    if os.environ.get("TRUSTED_PROXIES"):  # behind nginx: the client's address for the jobs' caps
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=int(os.environ["TRUSTED_PROXIES"]))
    app.index_string = app.index_string.replace("<html>", '<html lang="en">', 1)  # for screen readers
    app.layout = initial_page()
    url = redis_url()
    app.table_fits = TableFits(shared=FitCache(url) if url else None)
    app.jobs = JobQueue(server.secret_key)
    app.uploads = uploads.install_from_environment()
    register_callbacks(app, Services(table_rows=app.table_fits.rows, jobs=app.jobs, uploads=app.uploads,
                                      table_progress=app.table_fits.progress))
    readiness.register(server, app.jobs)
    upload_route.register(server, app.uploads)
    http.install(app, debug=debug_mode())
    # Dash finishes its set-up on the first request, and not thread-safely: make it here.
    with server.test_client() as client:
        client.get("/health")
    return app


# Under `python app.py`, each table process imports this script again as `__mp_main__`
# (multiprocessing's forkserver prepares every child so); it fits rows and needs no page.
if __name__ != "__mp_main__":
    app = create_app()
    server = app.server

if __name__ == "__main__":
    import signal
    import sys

    from serving.jobs import local_worker

    # A SIGTERM (a service manager's stop) leaves as Ctrl-C does: through the clean-up below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if not redis_url():
        local_worker.start_embedded(1)
    app.table_fits.start()
    try:
        app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8050")),
                debug=debug_mode(), use_reloader=False, request_handler=http.DevRequestHandler)
    except KeyboardInterrupt:
        pass
    finally:
        local_worker.stop_embedded()
        app.table_fits.close()
