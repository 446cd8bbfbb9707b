"""Protocol hygiene: escaped log lines, 413 for any oversized body, 405 for the wrong method, and
no version numbers in public responses unless debugging.

`install(app, max_body_bytes)` wires it into the Flask server behind a Dash app. Log lines:
`serving.log_escaping` (every log message, app.py) and `serving.access_log` (gunicorn's access log).
"""

from __future__ import annotations

import io
import logging

from dash.exceptions import DependencyException, InvalidResourceError
from flask import abort, request
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.serving import WSGIRequestHandler

log = logging.getLogger(__name__)

# Keys of Dash's page config that only its dev tools read (the version check): versions, nothing else.
VERSION_CONFIG_KEYS = ("dash_version", "python_version", "dash_version_url", "ddk_version", "plotly_version")


def public_config(config: dict, debug: bool) -> dict:
    """Dash's page config without the version numbers its dev tools use, unless debugging."""
    if debug:
        return config
    return {key: value for key, value in config.items() if key not in VERSION_CONFIG_KEYS}


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's development server (`python app.py`), without its and Python's versions in `Server`."""

    def version_string(self) -> str:
        return "Werkzeug"


class ChunkedBodyLimit:
    """WSGI middleware: a chunked body (no length known in advance) is read here, up to the limit.

    Werkzeug silently cuts such a body at MAX_CONTENT_LENGTH, so an oversized chunked request
    reached the callback as truncated JSON and got 400. Here it becomes what a sized body is: a
    Content-Length, which the app refuses with 413 when it is over the limit.
    """

    def __init__(self, wsgi_app, max_bytes: int) -> None:
        self.wsgi_app, self.max_bytes = wsgi_app, max_bytes

    def __call__(self, environ, start_response):
        # A chunked body's length is unknown (any Content-Length beside it is ignored, as HTTP says).
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = environ["wsgi.input"].read(self.max_bytes + 1)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ["wsgi.input"] = io.BytesIO(b"" if len(body) > self.max_bytes else body)
            environ.pop("HTTP_TRANSFER_ENCODING")
        return self.wsgi_app(environ, start_response)


def _post_only_paths(server) -> frozenset[str]:
    """Paths whose routes accept POST and nothing else (OPTIONS and HEAD are Flask's automatic extras)."""
    return frozenset(rule.rule for rule in server.url_map.iter_rules()
                     if rule.methods and rule.methods - {"OPTIONS", "HEAD"} == {"POST"})


def install(app, max_body_bytes: int) -> None:
    """Wire the hygiene into the Dash app's server. Call before other request hooks are added:
    a request refused here reaches none of them."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    server.wsgi_app = ChunkedBodyLimit(server.wsgi_app, max_body_bytes)
    post_only = _post_only_paths(server)  # Dash's routes exist once the Dash object does

    @server.before_request
    def _refuse_wrong_method_or_size():
        if request.path in post_only and request.method != "POST":
            # Dash's catch-all page route would answer GET/HEAD/OPTIONS with the index page.
            raise MethodNotAllowed(valid_methods=["POST"])
        if (request.content_length or 0) > max_body_bytes:
            abort(413)

    @server.errorhandler(InvalidResourceError)
    @server.errorhandler(DependencyException)
    def _no_such_resource(_error):
        # A script path Dash does not serve. Its own answers echo the path and list every
        # registered package and file (404 in the body, or 400 with all of it in the log).
        log.warning("no such resource: %s", request.path)
        return "Not found", 404, {"Content-Type": "text/plain; charset=utf-8"}
