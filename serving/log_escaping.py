"""Log lines that cannot be forged: control characters in log messages written as escapes.

Pure standard library, so gunicorn's master process can load it (gunicorn.conf.py) without the app.
"""

from __future__ import annotations

import logging
import re

# Anything that could end a log line or drive a terminal: C0/C1 controls, DEL, Unicode line breaks.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape_char(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """`text` with every control character written as a visible escape (\\x0a, \\u2028)."""
    return _CONTROL.sub(_escape_char, text)


class _OneLineRecord(logging.LogRecord):
    def getMessage(self) -> str:  # logging calls it by this name
        return escape_controls(super().getMessage())


def escape_log_messages() -> None:
    """Every log record's message, in this process and those it forks, has its control characters
    escaped: a request path or header in a message can never start a forged line. (Tracebacks,
    formatted apart from the message, keep their lines.)"""
    logging.setLogRecordFactory(_OneLineRecord)
