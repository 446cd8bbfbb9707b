"""The image and the compose file as an operator meets them, without a Docker engine: what
compose.yaml runs, the Dockerfile's command and secrets, nginx's acceptance of the configuration
the image renders, the callback limit against gunicorn's threads, and a container without
SECRET_KEY stopping by itself and saying why."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.integration.conftest import (
    REPO,
    dockerfile_env,
    front_env,
    require_binary,
    runtime_dir,
    start_front,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("front")]
PINNED = re.compile(r"^[a-z0-9./-]+:\d+\.\d+\.\d+(-[a-z0-9.]+)?$")  # name:major.minor.patch[-variant]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "compose.yaml").read_text())


def test_compose_runs_the_image_a_job_worker_and_a_private_redis(compose):
    services = compose["services"]
    assert set(services) == {"web", "worker", "redis"}  # nginx is inside the web image
    web, worker, redis = services["web"], services["worker"], services["redis"]
    assert web.get("command") is None and web["build"] == "." == worker["build"]  # the image's supervisord
    assert worker["command"][:5] == ["celery", "-A", "serving.jobs.celery_app", "worker", "--concurrency"]
    assert "inspect ping" in " ".join(worker["healthcheck"]["test"])
    for service in (web, worker):
        assert service["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    # The jobs run on the worker service, not beside gunicorn in the web container.
    assert web["environment"]["JOB_WORKER"] == "external"
    assert web["environment"]["SUPERVISE_JOB_WORKER"] == "false"
    assert web["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?")  # refused unless set
    assert [name for name, service in services.items() if "ports" in service] == ["web"]
    assert web["ports"] == [f"8050:{dockerfile_env()['PORT']}"]
    assert PINNED.match(redis["image"]) and "ports" not in redis
    assert redis["command"][redis["command"].index("--maxmemory-policy") + 1] == "noeviction"


def test_the_dockerfile_runs_supervisord_and_bakes_in_no_secret():
    text = (REPO / "Dockerfile").read_text()
    cmd = json.loads(re.search(r"^CMD (.+)$", text, re.M).group(1))
    assert cmd == ["supervisord", "-c", "deploy/supervisord.conf"]
    assert "SECRET_KEY" not in dockerfile_env()
    assert re.search(r"^COPY deploy/ deploy/$", text, re.M)
    assert re.search(r"^USER 10001", text, re.M)  # nothing runs as root
    assert dockerfile_env()["TRUSTED_PROXIES"] == "1"  # the client's address comes from nginx


def test_nginx_accepts_the_configuration_the_image_renders():
    nginx = require_binary("nginx", "REQUIRE_NGINX")
    directory = runtime_dir("front-config-")
    try:
        env = {**front_env(directory, 8050, 8000), "HOST": "0.0.0.0", "GUNICORN_BIND": "127.0.0.1:8000"}
        rendered = subprocess.run(
            [sys.executable, "-c", "import runpy, sys; sys.argv = ['run_nginx.py']; "
             "m = runpy.run_path('deploy/run_nginx.py'); names = m['values'](dict(__import__('os').environ)); "
             "print(m['render'](open('deploy/nginx.conf').read(), names))"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=True).stdout
        (directory / "nginx").mkdir()  # where run_nginx.py writes it, beside nginx's pid file
        config = directory / "nginx" / "nginx.conf"
        config.write_text(rendered)
        checked = subprocess.run([nginx, "-t", "-c", str(config), "-e", "stderr"], capture_output=True, text=True,
                                 timeout=30, check=False)
        assert checked.returncode == 0, checked.stderr
        assert "listen 0.0.0.0:8050;" in rendered and "server 127.0.0.1:8000;" in rendered
        assert not re.search(r"\$\{[A-Z_]+\}", rendered)  # every name filled in
        # The callback limit leaves a thread of every gunicorn worker free for /health and the
        # page, and a worker takes no more connections than it has threads.
        settings = subprocess.run(
            [sys.executable, "-c", "import runpy; c = runpy.run_path('gunicorn.conf.py'); "
             "print(c['workers'], c['threads'], c['worker_connections'], c['keepalive'])"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=True).stdout.split()
        workers, threads, connections, keepalive = map(int, settings)
        limit = int(re.search(r"limit_conn callbacks (\d+);", rendered).group(1))
        assert limit <= workers * (threads - 1) and connections == threads and keepalive == 0
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_without_secret_key_the_container_stops_and_says_why():
    directory = runtime_dir("front-nokey-")
    try:
        front = start_front(directory, wait=False, SECRET_KEY=None, SUPERVISE_JOB_WORKER="false")
        try:
            wait_until(lambda: not front.server.alive(), 90, 0.5, "supervisord stopping by itself")
        finally:
            front.server.stop()
        log = front.log()
        assert "set SECRET_KEY" in log
        assert "could not be kept running: stopping" in log
        assert front.server.left_behind == []
    finally:
        shutil.rmtree(directory, ignore_errors=True)

