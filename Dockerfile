# syntax=docker/dockerfile:1
# One roomservice node: `docker build -t roomservice .`, then `docker run -p 8000:8000 roomservice`
# (SQLite in the /data volume), or the cluster of compose.yaml (docs/deployment.md).

# Wheels of roomservice and every dependency, built where a compiler may be needed.
FROM python:3.11-slim AS wheels
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ROOMSERVICE_HOST=0.0.0.0 \
    ROOMSERVICE_PORT=8000 \
    ROOMSERVICE_DATA_DIR=/data
# Installed from the wheels only (nothing fetched at this step, so nothing to pin here), then an
# unprivileged user of its own.
# hadolint ignore=DL3013
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels roomservice \
    && groupadd --system --gid 10001 roomservice \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --create-home --shell /usr/sbin/nologin roomservice
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
# Healthy when /healthz answers 200 (the server is up and its database answers; 503 otherwise).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('ROOMSERVICE_PORT', '8000'), timeout=2)"]
# roomservice is process 1 and gets SIGTERM itself: it closes its sockets and saves chat before it exits.
ENTRYPOINT ["roomservice"]
CMD ["serve"]
