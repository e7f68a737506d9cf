# The moderation service: Flask app + the shipped classifier, served by gunicorn.
# Build: docker build -t moderation .
# Run:   docker run -p 8000:8000 -v moderation-data:/data moderation
# The first start creates the SQLite database, keys and the moderator `admin` on the volume and
# prints the one-time password in the container log (docker logs <container>).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MODERATION_INSTANCE_PATH=/data \
    GUNICORN_BIND=0.0.0.0:8000

WORKDIR /app

# Requirements first, so code changes do not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

# Serving code and the shipped artifact only: no training data, tests or benchmarks
# (see .dockerignore).
COPY service/ service/
COPY model/ model/

# Unprivileged user; it owns only the data volume (SQLite file, WAL, generated keys).
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin moderation \
    && mkdir -p /data && chown moderation /data
USER moderation
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]

# The same two steps as `make serve`: migrate (+ first moderator), then gunicorn with its config.
CMD ["sh", "-c", "python -m flask --app service init-db --first-moderator && exec gunicorn --config service/gunicorn_conf.py 'service:create_app()'"]
