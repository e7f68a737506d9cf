"""How close to the bare endpoint intake could get: the service with two probe endpoints that
stop part-way through a comment, served by the same gunicorn config (`CEILING=1 bash
bench/service/run.sh`).

- `POST /comments/unscored`: what `POST /comments` does before the classifier. The app's hooks
  (request id, metrics, NUL guard, CSRF exemption, security headers, CORS), reading the form
  strictly, the bot traps, validation, the return address and the flood check; then the same
  303 with a made-up anchor. Nothing scored, nothing stored.
- `POST /comments/scored`: the same, then the comment scored by the shipped classifier through
  a batcher as intake does (service.intake.batching), and still nothing stored. The answer names the
  version that scored it (X-Model-Version), so a test can see the classifier ran.

The gap from the bare endpoint to the first is the cost of being the service at all, from the
first to the second the classifier's, from the second to `POST /comments` the store's and the
decision's. The endpoints are named into the intake blueprint ("intake.*"), so the blueprint's
hooks, its CSRF exemption and the NUL guard treat them exactly as the real form post.

    gunicorn --config service/gunicorn_conf.py 'bench.service.ceiling_app:create_app()'
"""

from __future__ import annotations

from flask import Flask, Response, abort, current_app, redirect

from service import create_app as create_service
from service.intake import bots
from service.intake import views as intake
from service.intake import limits
from service.intake.batching import Batcher
from service.intake.submission import validate


def _front_half() -> tuple[str, str]:
    """The form post up to the point where intake hands the comment to its batcher; returns
    the address the reader is sent back to and the comment's text."""
    fields = intake.read_fields()
    config = current_app.config
    if bots.check(fields, config["SECRET_KEY"], config["MODERATION_MIN_SUBMIT_SECONDS"]):
        abort(400)
    sub, _errors = validate(fields)
    if sub is None:
        abort(400)
    permalink = intake.return_url(sub.permalink)
    if limits.commenter_wait(sub.email) is not None:
        abort(429)
    return permalink, sub.text


def unscored() -> Response:
    permalink, _text = _front_half()
    return redirect(f"{permalink}#comment-0", 303)


def scored() -> Response:
    permalink, text = _front_half()
    scored_by = current_app.extensions["ceiling_scoring_batcher"].submit(text)
    response = redirect(f"{permalink}#comment-0", 303)
    response.headers["X-Model-Version"] = scored_by.model_version or ""
    return response


def add_probes(app: Flask) -> Flask:
    app.extensions["ceiling_scoring_batcher"] = Batcher(app.extensions["scorer"].score_many)
    app.add_url_rule("/comments/unscored", "intake.unscored", unscored, methods=["POST"])
    app.add_url_rule("/comments/scored", "intake.scored", scored, methods=["POST"])
    return app


def create_app() -> Flask:
    return add_probes(create_service())
