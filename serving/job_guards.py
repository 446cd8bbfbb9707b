"""Job requests checked before Dash sees them: forged handles get 400, forged job requests start nothing.

Dash starts a background job's process, and reads or kills by the handles a request carries,
before any of the app's code runs; these hooks stand in front of that.
"""

from __future__ import annotations

from dash import _callback_signing as signing  # Dash's own verification, not a copy of it
from dash.exceptions import PreventUpdate
from flask import abort, request

# Query parameters that carry signed background-job handles, and the scope each is signed in.
_HANDLE_SCOPES = {"cacheKey": "cache", "job": "job", "oldJob": "job", "cancelJob": "job"}


def refuse_forged_handles(app) -> None:
    """Answer 400 to a callback request whose job handles do not verify.

    Dash 4.4 signs every background-job handle (result key, process id) for the page load that
    started it and ignores ones that fail to verify, answering 204. A forged or replayed handle is a
    bad request, and says so: 400, before any callback runs.
    """
    @app.server.before_request
    def _check_job_handles():
        if not request.path.endswith("/_dash-update-component"):
            return
        present = {name: request.args.getlist(name) for name in _HANDLE_SCOPES if name in request.args}
        if not present:
            return
        secret = app._get_signing_secret()  # pylint: disable=protected-access
        end_id = signing.unsign(secret, signing.END_SCOPE, request.args.get("endId"))
        if end_id is None:
            abort(400)
        scopes = {"cache": signing.cache_scope(end_id), "job": signing.job_scope(end_id)}
        for name, values in present.items():
            if any(signing.unsign(secret, scopes[_HANDLE_SCOPES[name]], value) is None for value in values):
                abort(400)
        return


def refuse_bad_job_requests(app, checks: dict, cancel_outputs: set[str]) -> None:
    """A job callback posted with a request that is not a valid one starts no job process: 204.

    Dash forks the job's process before any of our code runs, so a forged job request (the
    endpoint is public) is checked here, before Dash sees it, as the job itself checks it again.
    Polls of a running job (with a cacheKey) pass. `checks`: the job callbacks' output ids and
    their request checks (raising PreventUpdate); `cancel_outputs`: Dash's cancel callbacks' outputs.
    """
    @app.server.before_request
    def _check_job_request():
        if request.method != "POST" or not request.path.endswith("/_dash-update-component") \
                or "cacheKey" in request.args:
            return None
        body = request.get_json(silent=True)
        output = body.get("output") if isinstance(body, dict) else None
        if output in cancel_outputs and "cancelJob" not in request.args:
            return "", 204  # Dash's own cancel callback, with no job to cancel: nothing changes
        check = checks.get(output) if isinstance(output, str) else None
        if check is None:
            return None
        try:
            check(body["inputs"][0]["value"])
        except (PreventUpdate, KeyError, IndexError, TypeError):
            return "", 204
        return None
