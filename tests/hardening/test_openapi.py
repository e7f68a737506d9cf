"""The JSON API keeps to its OpenAPI description (service/openapi.json, served at /openapi.json).

schemathesis generates requests from the description, valid ones and deliberately invalid ones,
against the real app (WSGI, real classifier, SQLite): no answer may be a 5xx, and every answer's
status, content type, headers and body must be one the description lists. The run is bounded
(MAX_EXAMPLES per operation and mode)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_headers_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from comment_helpers import good_form

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
DESCRIPTION = Path(__file__).resolve().parents[2] / "service" / "openapi.json"


@pytest.fixture
def api_app(make_app):
    app = make_app()
    # Some published threads, so the feed's answers have comments (and replies) to check.
    client = app.test_client()
    for i in range(3):
        client.post("/api/comments", json=good_form(comment=f"Published {i}", author=f"R{i}"))
    return app


# Every operation of the checked-in description with valid requests, and those that take input
# (parameters or a body) with invalid ones too.
RUNS = [(path, method.upper(), mode)
        for path, ops in json.loads(DESCRIPTION.read_text())["paths"].items()
        for method, operation in ops.items()
        for mode in GenerationMode
        if mode.is_positive or "parameters" in operation or "requestBody" in operation]


@pytest.mark.parametrize("path, method, mode", RUNS)
def test_every_answer_matches_the_description(api_app, path, method, mode):
    # The strategies of schemathesis's Python API, driven by hypothesis directly (its pytest
    # loader, `from_fixture`, does not run under this pytest version).
    schema = schemathesis.openapi.from_wsgi("/openapi.json", api_app)
    operation = schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def answers_as_described(case):
        case.call_and_validate(checks=CHECKS)

    answers_as_described()


def test_the_served_description_is_the_checked_in_file(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.is_json
    assert response.get_json() == json.loads(DESCRIPTION.read_text())


def test_every_public_json_route_is_described(app):
    """Each route outside the moderators' HTML pages (/review, /auth), the demo page and static
    files is in the description, with the same methods."""
    described = json.loads(DESCRIPTION.read_text())["paths"]
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in {"review", "auth", "static"} or rule.rule == "/":
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        routes[path] = sorted(rule.methods - {"HEAD", "OPTIONS"})
    assert routes == {path: sorted(m.upper() for m in ops) for path, ops in described.items()}
