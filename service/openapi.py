"""Blueprint: the OpenAPI 3.1 description of the JSON API, served at `/openapi.json`.

The description is the checked-in file `service/openapi.json`, written by hand next to the
views it describes; tests/hardening/test_openapi.py runs schemathesis against it, so a view that
answers something the file does not say fails the suite.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, jsonify

bp = Blueprint("openapi", __name__)


@bp.get("/openapi.json")
def description() -> Response:
    with current_app.open_resource("openapi.json") as document:
        return jsonify(json.load(document))
