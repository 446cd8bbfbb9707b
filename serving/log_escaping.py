"""Log lines a request cannot forge: text that comes from a request is logged with its control
characters written as visible escapes. The program's own lines print as they are.

Pure standard library, so gunicorn's master can load it (serving/access_log.py) without the app.
"""

from __future__ import annotations

import re

# Anything that could end a log line or drive a terminal: C0/C1 controls, DEL, Unicode line breaks.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape_char(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """`text` with every control character written as a visible escape (\\x0a, \\u2028)."""
    return _CONTROL.sub(_escape_char, text)
