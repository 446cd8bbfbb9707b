r"""Gunicorn's access log with every field escaped (gunicorn.conf.py: `logger_class`).

Gunicorn writes the request line, headers and other request fields into the access log as they
came, escaping only double quotes. Here each field also has its control characters and backslashes
escaped, so a field can neither start a new line nor close its quotes (with a `\` before gunicorn's
`\"`) and forge the fields after it.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from serving.log_escaping import escape_controls


def escape_field(value: str) -> str:
    return escape_controls(value.replace("\\", "\\\\"))  # gunicorn then escapes '"' itself


class EscapingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: escape_field(value) if isinstance(value, str) else value for key, value in atoms.items()}
