"""Blueprint: liveness and readiness probes for load balancers and the Docker HEALTHCHECK."""

from __future__ import annotations

import logging
import os

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from service.classifier import scoring

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up and answering; says nothing about its dependencies."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """Ready for traffic: the classifier is loaded and the database (with its schema) answers."""
    holder = scoring.current()
    checks = {"model": "ok" if holder.scorer is not None else f"not loaded: {holder.error}"}
    try:
        current_app.extensions["store"].ping()
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        log.warning("readiness: database check failed: %s", exc)
        checks["database"] = f"unreachable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": checks,
            "model_version": getattr(holder.scorer, "version", None),
            "scoring_failures": holder.failures,
            # Each gunicorn worker follows model promotions on its own: which one answered, and
            # why it is not serving the version the pointer names (None when it is).
            "worker": os.getpid(), "model_reload_error": holder.reload_error}
    response = jsonify(body)
    response.status_code = 200 if ready else 503
    return response
