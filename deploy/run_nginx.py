"""Start nginx in the foreground with deploy/nginx.conf, its ${NAMES} filled in from the
environment (nginx reads no environment variables): deploy/supervisord.conf's nginx program.

  HOST, PORT        where nginx listens (the image: 0.0.0.0:8050)
  GUNICORN_BIND     where gunicorn listens, as gunicorn.conf.py reads it (host:port or unix:path)
  TMPDIR            nginx's pid file, temporary files and the filled-in configuration go under
                    $TMPDIR/nginx (writable by the unprivileged user nginx runs as)

The callback limit is gunicorn's threads (workers × threads, read from gunicorn.conf.py, so that
they never disagree) less one per worker: a thread in every worker is always free for /health,
/ready and the page. A worker takes no more connections than it has threads (gunicorn.conf.py),
so a request waits for a worker with a free thread rather than behind a busy one.
"""

from __future__ import annotations

import os
import re
import runpy
import shutil
import sys
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
APP_DIR = DEPLOY.parent
PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")


def callback_connections(workers: int, threads: int) -> int:
    """Callback requests passed on at once: all of gunicorn's threads but one per worker."""
    return max(1, workers * (threads - 1))


def values(environ: dict) -> dict:
    gunicorn = runpy.run_path(str(APP_DIR / "gunicorn.conf.py"))  # exits, as gunicorn would, on a bad setting
    host = environ.get("HOST", "").strip() or "127.0.0.1"
    port = environ.get("PORT", "").strip() or "8050"
    upstream = environ.get("GUNICORN_BIND", "").strip()
    if not upstream:
        sys.exit("run_nginx.py: set GUNICORN_BIND (where gunicorn listens, e.g. 127.0.0.1:8000)")
    return {
        "LISTEN": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "GUNICORN_ADDRESS": upstream,  # nginx writes a unix socket as gunicorn does: unix:/path
        "CALLBACK_CONNECTIONS": str(callback_connections(gunicorn["workers"], gunicorn["threads"])),
        "TMPDIR": environ.get("TMPDIR", "").strip() or "/tmp",
        "DEPLOY_DIR": str(DEPLOY),
    }


def render(template: str, names: dict) -> str:
    def fill(match: re.Match) -> str:
        if match.group(1) not in names:
            raise KeyError(f"deploy/nginx.conf names ${{{match.group(1)}}}, which run_nginx.py does not fill in")
        return names[match.group(1)]

    return PLACEHOLDER.sub(fill, template)


def main() -> None:
    names = values(dict(os.environ))
    runtime = Path(names["TMPDIR"]) / "nginx"
    runtime.mkdir(parents=True, exist_ok=True)
    # Others may pass through, not list: nginx started as root (a CI replay) runs its workers as
    # `nobody`, which must reach the temporary directories it is given inside.
    runtime.chmod(0o711)
    config = runtime / "nginx.conf"
    config.write_text(render((DEPLOY / "nginx.conf").read_text(), names))
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if nginx is None:
        sys.exit("run_nginx.py: nginx is not installed")
    # `-e stderr`: no attempt to open the packaged error log, which this user cannot write.
    os.execv(nginx, [nginx, "-c", str(config), "-e", "stderr", "-g", "daemon off;"])


if __name__ == "__main__":
    main()
