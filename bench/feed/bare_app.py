"""The baseline for the feed benchmark: a bare Flask endpoint that answers the same bytes as the
feed (read once from BENCH_FEED_BODY), with no store, no cache and no validators. Served by the
same gunicorn config as the service.

    BENCH_FEED_BODY=body.json gunicorn --config service/gunicorn_conf.py \
        'bench.feed.bare_app:create_app()'
"""

import os

from flask import Flask, Response


def create_app() -> Flask:
    app = Flask(__name__)
    with open(os.environ["BENCH_FEED_BODY"], "rb") as handle:
        body = handle.read()

    @app.get("/feed")
    def feed():
        return Response(body, mimetype="application/json")

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
