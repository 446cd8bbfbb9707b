"""compose.yaml and nginx.conf, checked without a Docker engine: the compose file's structure (what
README's "Deploying" promises of it), and nginx.conf through the real `nginx -t` and a real nginx in
front of gunicorn, with slowloris against it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml

from benchmarks.load import GunicornServer
from benchmarks.services import free_port_in
from benchmarks.slowloris import page_load, slow_connections

REPO = Path(__file__).resolve().parent.parent
PINNED = re.compile(r"^[a-z0-9./-]+:\d+\.\d+\.\d+(-[a-z0-9.]+)?$")  # name:major.minor.patch[-variant]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "compose.yaml").read_text())


def test_compose_has_web_worker_redis_and_nginx(compose):
    services = compose["services"]
    assert set(services) == {"web", "worker", "redis", "nginx"}
    assert services["web"].get("command") is None  # the image's gunicorn command
    assert services["worker"]["command"][:5] == ["celery", "-A", "serving.celery_app", "worker", "--concurrency"]
    for name in ("web", "worker"):
        assert services[name]["build"] == "." and services[name]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_redis_is_pinned_private_and_memory_capped(compose):
    redis = compose["services"]["redis"]
    assert redis["image"].startswith("redis:") and PINNED.match(redis["image"]), redis["image"]
    assert "ports" not in redis  # reachable on the compose network only: the cache unpickles what it reads
    command = redis["command"]
    assert command[command.index("--maxmemory") + 1].endswith("mb")
    assert command[command.index("--maxmemory-policy") + 1] == "allkeys-lru"


def test_only_nginx_publishes_a_port_and_it_is_pinned(compose):
    services = compose["services"]
    assert [name for name, service in services.items() if "ports" in service] == ["nginx"]
    nginx = services["nginx"]
    assert nginx["image"].startswith("nginx:") and PINNED.match(nginx["image"]), nginx["image"]
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    assert nginx["ports"] == ["8050:8080"] and "listen 8080;" in (REPO / "nginx.conf").read_text()


def _required() -> bool:
    return "1" in (os.environ.get("REQUIRE_BROWSER", "").strip(), os.environ.get("REQUIRE_NGINX", "").strip())


def _nginx_config(tmp_path: Path, upstream_port: int, listen_port: int) -> Path:
    """nginx.conf as compose runs it, with the upstream and the port of this machine's replay."""
    if shutil.which("nginx") is None:
        if _required():
            pytest.fail("REQUIRE_BROWSER/REQUIRE_NGINX=1 but nginx is not installed (Debian `nginx`)", pytrace=False)
        pytest.skip("nginx is not installed (Debian `nginx`): nginx.conf not replayed")
    text = (REPO / "nginx.conf").read_text()
    text = text.replace("server web:8050", f"server 127.0.0.1:{upstream_port}")
    text = text.replace("listen 8080;", f"listen 127.0.0.1:{listen_port};")
    text = text.replace("pid /tmp/nginx.pid;", f"pid {tmp_path}/nginx.pid;")
    text = text.replace("http {", f"http {{\n    client_body_temp_path {tmp_path}/body;\n"
                        f"    proxy_temp_path {tmp_path}/proxy;", 1)
    path = tmp_path / "nginx.conf"
    path.write_text(text)
    return path


def test_nginx_accepts_the_config(tmp_path):
    config = _nginx_config(tmp_path, 8050, free_port_in(8300, 8399))
    checked = subprocess.run(["nginx", "-t", "-c", str(config), "-e", str(tmp_path / "error.log")],
                             capture_output=True, text=True, timeout=30, check=False)
    assert checked.returncode == 0, checked.stderr


def test_nginx_in_front_of_gunicorn_holds_slowloris_and_refuses_big_bodies(tmp_path):
    listen = free_port_in(8300, 8349)
    gunicorn = GunicornServer(REPO, env={"WEB_CONCURRENCY": "1"}, log_path=tmp_path / "gunicorn.log")
    gunicorn.port = free_port_in(8350, 8399)
    gunicorn.base_url, gunicorn.env["PORT"] = f"http://127.0.0.1:{gunicorn.port}", str(gunicorn.port)
    config = _nginx_config(tmp_path, gunicorn.port, listen)
    gunicorn.start(boot_seconds=120)
    nginx = subprocess.Popen(["nginx", "-c", str(config), "-e", str(tmp_path / "error.log"), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{listen}"
        for _ in range(100):
            try:
                if requests.get(base + "/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        assert requests.get(base + "/", timeout=10).headers["Server"] == "nginx"  # no version
        too_big = requests.post(base + "/_dash-update-component", data=b"x" * 70_000, timeout=10)
        assert too_big.status_code == 413
        stop = __import__("threading").Event()
        sockets = slow_connections("127.0.0.1", listen, 64, stop)
        try:
            time.sleep(1.0)
            page_load(base)  # raises on an error or a 30 s timeout: the page loads at all
        finally:
            stop.set()
            for sock in sockets:
                sock.close()
    finally:
        nginx.terminate()
        nginx.wait(10)
        gunicorn.stop()
