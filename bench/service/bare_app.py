"""The baseline for the intake benchmark: a bare Flask endpoint that parses the same form and
answers the same 303, with no validation, scoring or storage. Served by the same gunicorn config.

    gunicorn --config service/gunicorn_conf.py 'bench.service.bare_app:create_app()'
"""

from flask import Flask, redirect, request


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/comments")
    def comments():
        post_id = request.form.get("comment_post_ID", "")
        return redirect(f"/?p={post_id}#comment-1", 303)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
