"""A request the page sends again says how often it tried before (`X-Attempt: n`, set by
assets/busy_retry.js after a busy answer or a dropped connection). The front (serving/front.py) and
the table's queue of rows (core.clustering) let such a request go past their bound by a little, so
it goes before new ones. The header only ever buys that bounded headroom."""

from __future__ import annotations

ATTEMPT_HEADER = "X-Attempt"
_ASGI_NAME = ATTEMPT_HEADER.lower().encode("latin-1")


def attempt_number(scope) -> int:
    """The try count in an ASGI request's headers (0: a new request, or not a small number)."""
    for name, value in scope.get("headers", ()):
        if name == _ASGI_NAME:
            return _attempt(value.decode("latin-1"))
    return 0


def request_attempt() -> int:
    """The try count of the Flask request being served; 0 outside a request (a callback called
    as a function)."""
    from flask import has_request_context, request

    return _attempt(request.headers.get(ATTEMPT_HEADER, "")) if has_request_context() else 0


def _attempt(value: str) -> int:
    return int(value) if value.isdigit() and len(value) <= 3 else 0
