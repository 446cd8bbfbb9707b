"""HTTP hygiene of the Flask server behind the Dash app: security headers and CSP (Talisman),
413 for bodies over the limit, 405 for the wrong method on the callback endpoint, 404 for Dash's
development endpoints outside debug mode, 503 with Retry-After when the server is busy, and no
traceback or echoed input in any error. Slow clients, idle connections and overload are the
front server's (nginx in the image, deploy/nginx.conf); `python app.py` needs none of this.
"""

from __future__ import annotations

import logging

from dash import Dash
from flask import abort, request
from flask_talisman import Talisman
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.serving import WSGIRequestHandler

from callbacks.services import Busy
from serving.log_escaping import escape_controls
from serving.upload_route import UPLOAD_PATH

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 64 * 1024  # a callback request here is well under 2 KB
CALLBACK_PATH = "/_dash-update-component"
DEVELOPMENT_PATHS = ("/_reload-hash",)


def content_security_policy(app: Dash) -> dict:
    return {
        "default-src": "'self'",
        # Dash's inline start-up script and clientside callbacks, by hash; nothing else inline.
        "script-src": ["'self'", *app.csp_hashes()],
        # Plotly and Dash set inline styles.
        "style-src": ["'self'", "'unsafe-inline'"],
        # The map's regions are a data: URI image; the PNG export draws through a blob: URL.
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def install(app: Dash, debug: bool) -> None:
    """Wire the hygiene into the app's Flask server (after the callbacks are registered)."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES

    @server.before_request
    def _refuse_wrong_method_size_or_path():
        if request.path == CALLBACK_PATH and request.method != "POST":
            raise MethodNotAllowed(valid_methods=["POST"])
        if (request.content_length or 0) > MAX_REQUEST_BYTES and request.path != UPLOAD_PATH:
            abort(413)  # the upload route has its own limit (serving/upload_route.py)
        if not debug and request.path in DEVELOPMENT_PATHS:
            raise NotFound()

    @server.errorhandler(Busy)
    def _busy(error: Busy):
        return ({"error": "The server is busy: the request will be sent again."}, 503,
                {"Retry-After": str(error.retry_after_s), "Cache-Control": "no-store"})

    @server.errorhandler(HTTPException)
    def _plain_http_error(error: HTTPException):
        # Werkzeug's own pages are HTML that may quote the request; these quote nothing. A 405
        # still says which methods are allowed (RFC 9110 requires Allow).
        allowed = {"Allow": ", ".join(error.valid_methods or ())} if isinstance(error, MethodNotAllowed) else {}
        return {"error": error.name}, error.code, {"Cache-Control": "no-store", **allowed}

    @server.errorhandler(Exception)
    def _no_traceback(error: Exception):
        # A malformed request to the public callback endpoint makes Dash raise: 400, no traceback.
        log.warning("refused a request to %s: %s", escape_controls(request.path), type(error).__name__,
                    exc_info=error)
        return {"error": "The request could not be processed."}, 400

    Talisman(
        server,
        content_security_policy=content_security_policy(app),
        force_https=False,  # TLS ends at the proxy in front
        strict_transport_security=False,
        session_cookie_secure=False,
        frame_options="DENY",
    )


class DevRequestHandler(WSGIRequestHandler):
    """Werkzeug's development server (`python app.py`): no versions in `Server`, and request lines
    logged with their control characters escaped (a request cannot forge a log line)."""

    def version_string(self) -> str:
        return "Werkzeug"

    def log_request(self, code="-", size="-") -> None:
        self.requestline = escape_controls(self.requestline)
        super().log_request(code, size)
