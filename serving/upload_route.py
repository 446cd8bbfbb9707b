"""`POST /upload`: a CSV file as the request's body (not base64 in a callback), up to
core.uploads.MAX_BYTES; the answer says what the file holds, or why it cannot be used (400, with a
message for the page). `POST /upload/forget`: the page's "Forget this data", and its farewell when
it closes (`navigator.sendBeacon`). The upload's id travels in bodies only, never in a path or a
query string, so no access log holds it. Both take requests from the dashboard's own pages only:
a browser says where a request comes from (`Sec-Fetch-Site`, `Origin`), so another site cannot
make its visitors' browsers fill this server's places or forget an upload.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from urllib.parse import unquote, urlsplit

from flask import Flask, request

from core.uploads import MAX_BYTES, UploadRefused, too_big
from serving.uploads import StoreFull, UploadStore

log = logging.getLogger(__name__)

UPLOAD_PATH, FORGET_PATH = "/upload", "/upload/forget"
NO_STORE = {"Cache-Control": "no-store"}


def _refused(message: str, status: int = 400):
    return {"error": message}, status, NO_STORE


CROSS_SITE = "Uploads are taken only from this dashboard's own page."


def cross_site() -> bool:
    """A browser's request sent from another site's page (scripts and tools send neither header)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return True
    # Older browsers send only Origin. Its host alone is compared: a front server may forward the
    # Host header without the port (nginx's $host).
    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).hostname != urlsplit(f"//{request.host}").hostname


def client_name(server: Flask) -> str:
    """The sender, for the per-client cap: a keyed hash of its address (behind a front server, the
    address ProxyFix takes from it), so that no address is kept."""
    key = str(server.secret_key).encode()
    return hmac.new(key, (request.remote_addr or "").encode(), hashlib.sha256).hexdigest()[:16]


def register(server: Flask, store: UploadStore) -> None:
    @server.post(UPLOAD_PATH)
    def receive_upload():
        if cross_site():
            return _refused(CROSS_SITE, 403)
        request.max_content_length = MAX_BYTES  # this route's own limit (Flask 3.1, per request)
        size = request.content_length
        if size is None:
            return _refused("The upload did not say its size (Content-Length); send the file again.", 411)
        if size > MAX_BYTES:
            return _refused(too_big(size), 413)
        # Shown on the page (as text), in the snippet and the export: printable characters only, and
        # none that would split a CSV cell in the export's comment rows (a formula could follow).
        named = "".join(ch if ch not in ',;"\'' else "_" for ch in unquote(request.headers.get("X-Filename", ""))
                        if ch.isprintable())
        filename = named[:120].strip() or "upload.csv"
        try:
            received = store.receive(request.get_data(cache=False), filename,
                                     replaces=request.headers.get("X-Replaces") or None, client=client_name(server))
        except UploadRefused as refused:
            return _refused(str(refused))
        except StoreFull as full:
            return _refused(str(full), 503)
        parsed = received.parsed
        return {
            "id": received.upload_id,
            "filename": received.filename,
            "rows": parsed.n_rows,
            "columns": list(parsed.columns),
            "numeric": list(parsed.numeric),
            "label_candidates": list(parsed.label_candidates),
            "delimiter": parsed.delimiter,
            "decimal": parsed.decimal,
            "notes": list(parsed.notes),
        }, 200, NO_STORE

    @server.post(FORGET_PATH)
    def forget_upload():
        if cross_site():
            return _refused(CROSS_SITE, 403)
        upload_id = request.get_data(cache=False, as_text=True).strip()
        return {"forgotten": store.forget(upload_id)}, 200, NO_STORE
