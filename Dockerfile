# The K-means digits dashboard behind gunicorn. Build: docker build -t kmeans-digits .
# Run:   docker run --rm -p 8050:8050 kmeans-digits        (then open http://localhost:8050)
# Tune:  -e WEB_CONCURRENCY=… -e GUNICORN_THREADS=… (see gunicorn.conf.py); give it ≥ 2 CPUs.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0 \
    PORT=8050

WORKDIR /app

# Dependencies first, so code changes do not reinstall them. Every pin is a manylinux wheel:
# no compiler needed.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# An unprivileged user that owns nothing: the code stays root-owned and read-only to it.
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

USER 10001:10001
EXPOSE 8050

# No curl in the slim image: ask /health with Python's own HTTP client.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8050') + '/health', timeout=4); sys.exit(r.status != 200)"]

CMD ["gunicorn", "-c", "gunicorn.conf.py", "app:server"]
