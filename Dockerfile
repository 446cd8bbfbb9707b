# The K-means digits dashboard: nginx in front of gunicorn, and a job worker, under supervisord
# (deploy/supervisord.conf). Build: docker build -t kmeans-digits .
# Run:   docker run --rm -p 8050:8050 -e SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))') kmeans-digits
#        (then open http://localhost:8050; without SECRET_KEY the container stops and says so)
# Tune:  -e WEB_CONCURRENCY=… -e GUNICORN_THREADS=… (gunicorn.conf.py), -e JOB_CONCURRENCY=…;
#        give it ≥ 2 CPUs. With Redis and job workers elsewhere: compose.yaml.
FROM python:3.11-slim-bookworm

# HOST:PORT is nginx's, the only public port; gunicorn listens on GUNICORN_BIND inside the
# container. TRUSTED_PROXIES=1: the app takes the client's address from nginx's X-Forwarded-For.
# TMPDIR holds nginx's and supervisord's run-time files, and the jobs' files without REDIS_URL.
# No SECRET_KEY here: it must come from the environment the container runs in.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0 \
    PORT=8050 \
    GUNICORN_BIND=127.0.0.1:8000 \
    TRUSTED_PROXIES=1 \
    JOB_CONCURRENCY=1 \
    SUPERVISE_JOB_WORKER=true \
    TMPDIR=/tmp

# nginx from Debian; its packaged site and service are not used (deploy/run_nginx.py starts it).
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx=1.22.1-9+deb12u* \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so code changes do not reinstall them. Every pin is a manylinux wheel:
# no compiler needed.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# An unprivileged user that owns nothing: the code stays root-owned and read-only to it. Every
# process runs as this user (nginx listens above port 1024 and writes only under TMPDIR).
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid app --home-dir /nonexistent \
       --shell /usr/sbin/nologin app

# Only what the server runs (.dockerignore keeps the rest out of the build context too).
COPY gunicorn.conf.py app.py ./
COPY core/ core/
COPY components/ components/
COPY callbacks/ callbacks/
COPY serving/ serving/
COPY assets/ assets/
COPY deploy/ deploy/

USER 10001:10001
EXPOSE 8050

# /health through nginx. No curl in the slim image: Python's own HTTP client asks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8050') + '/health', timeout=4); sys.exit(r.status != 200)"]

CMD ["supervisord", "-c", "deploy/supervisord.conf"]
