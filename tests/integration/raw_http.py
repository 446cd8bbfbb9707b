"""Raw HTTP for the front's tests: what a client library would not send, or would hide (repeated
headers, a server's own error pages), and the security headers every answer must carry."""

from __future__ import annotations

import socket


class RawAnswer:
    """A response read off a socket: status, headers (lower-case name → every value), body."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        head, _, self.body = data.partition(b"\r\n\r\n")
        self.head = head.decode("latin-1")
        lines = self.head.split("\r\n")
        status = lines[0].split(" ")
        self.status = int(status[1]) if len(status) > 1 and status[1].isdigit() else None
        self.headers: dict[str, list[str]] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers.setdefault(name.strip().lower(), []).append(value.strip())


def raw_http(port: int, request: bytes, timeout: float = 30.0) -> RawAnswer:
    """Send `request` as it is and read until the server closes (send it with Connection: close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):  # answered and closed before it all went
            pass
        received = bytearray()
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
    return RawAnswer(bytes(received))


# The app's security headers (serving/http.py); nginx adds the same to its own answers.
SECURITY_HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "browsing-topics=()",
}


def security_headers_problem(headers, own: bool = False) -> str | None:
    """What is wrong with an answer's security headers, or None. `headers`: a RawAnswer's (which
    shows repeats) or requests' (which joins them). `own`: nginx's own answer, whose policy allows
    nothing at all."""
    values = {name.lower(): value for name, value in headers.items()}
    for name, expected in SECURITY_HEADERS.items():
        value = values.get(name)
        if value is None:
            return f"no {name}"
        if isinstance(value, list):
            if len(value) != 1:
                return f"{name} sent {len(value)} times: {value}"
            value = value[0]
        if expected not in value:
            return f"{name}: {value!r}"
    server = values.get("server", "")
    server = server[0] if isinstance(server, list) else server
    if any(ch.isdigit() for ch in server):
        return f"Server shows a version: {server!r}"
    if own and "default-src 'none'" not in str(values["content-security-policy"]):
        return f"not nginx's own policy: {values['content-security-policy']}"
    return None
