"""The JSON API keeps to its OpenAPI description (service/openapi.json, served at /openapi.json).

schemathesis generates requests from the description, valid ones and deliberately invalid ones,
against the real app (WSGI, real classifier, SQLite): no answer may be a 5xx, and every answer's
status, content type, headers and body must be one the description lists. The run is bounded
(MAX_EXAMPLES per operation and mode).

Generated credentials cannot be right by chance, so a well-formed one stands for the real thing:
a well-formed Akismet or Perspective key is replaced by a key the app knows, a well-formed X-Coral-Signature by
the body's real signature. Malformed or missing ones (the negative cases) are sent as generated.
GET /metrics is scraped with its bearer token (the WSGI client has no address to allow).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
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
from service.integrations import apikeys
from service.submission import PARENT_PATTERN, POST_ID_PATTERN

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
DESCRIPTION = Path(__file__).resolve().parents[2] / "service" / "openapi.json"
# Turns on the optional routes (the Coral phase exists only with a signing secret).
CORAL_SECRET = "empsec_openapi-test"
METRICS_TOKEN = "openapi-test-scraper"
WELL_FORMED_KEY = re.compile(r"^[0-9a-f]{12}$")
WELL_FORMED_SIGNATURE = re.compile(r"^sha256=[0-9a-f]{64}(, ?sha256=[0-9a-f]{64})*$")


@pytest.fixture
def api_app(make_app):
    app = make_app(MODERATION_CORAL_SECRETS=CORAL_SECRET, MODERATION_METRICS_TOKEN=METRICS_TOKEN)
    _, app.config["TEST_AKISMET_KEY"] = apikeys.add_key(
        app.extensions["store"].engine, app.config["MODERATION_API_KEY_HASH_KEY"], "OpenAPI test")
    # Some published threads, so the feed's answers have comments (and replies) to check.
    client = app.test_client()
    for i in range(3):
        client.post("/api/comments", json=good_form(comment=f"Published {i}", author=f"R{i}"))
    # Then thresholds low enough that generated text is published, held and rejected, so every
    # answer of comment-check and the Coral phase (true/false/discard, 204/held/rejected) occurs.
    app.config.update(MODERATION_SPAM_HOLD=0.005, MODERATION_SPAM_REJECT=0.03,
                      MODERATION_ABUSE_HOLD=0.1, MODERATION_ABUSE_REJECT=0.5)
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
        case.call_and_validate(checks=CHECKS, **_with_credentials(case, api_app))

    answers_as_described()


def _with_credentials(case, app) -> dict:
    """The extra arguments of the call: the real key or signature where a well-formed one was
    generated, and the metrics token (see the module's docstring)."""
    if case.path == "/metrics":
        return {"headers": {"Authorization": f"Bearer {METRICS_TOKEN}"}}
    if case.path.startswith("/1.1/") and isinstance(case.body, dict):
        case.body = {name: app.config["TEST_AKISMET_KEY"] if name in {"api_key", "key"}
                     and isinstance(value, str) and WELL_FORMED_KEY.match(value) else value
                     for name, value in case.body.items()}
    if case.path.startswith("/v1alpha1/"):
        # Perspective's key travels as a query parameter or a header.
        key = (case.query or {}).get("key")
        if isinstance(key, str) and WELL_FORMED_KEY.match(key):
            case.query["key"] = app.config["TEST_AKISMET_KEY"]
        header = (case.headers or {}).get("X-Goog-Api-Key")
        if isinstance(header, str) and WELL_FORMED_KEY.match(header):
            case.headers["X-Goog-Api-Key"] = app.config["TEST_AKISMET_KEY"]
    signature = (case.headers or {}).get("X-Coral-Signature")
    if case.path == "/coral/moderation" and isinstance(signature, str) \
            and WELL_FORMED_SIGNATURE.match(signature):
        # Serialised here, so the signature covers exactly the bytes sent.
        raw = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
        digest = hmac.new(CORAL_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        return {"data": raw, "headers": {"X-Coral-Signature": f"sha256={digest}"}}
    return {}


def test_the_served_description_is_the_checked_in_file(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.is_json
    assert response.get_json() == json.loads(DESCRIPTION.read_text())


@pytest.mark.parametrize("schema", ["CommentFields", "FormFields"])
def test_the_description_states_the_validators_own_id_rules(schema):
    # One source of truth: the patterns are service.submission's, for JSON and form bodies.
    fields = json.loads(DESCRIPTION.read_text())["components"]["schemas"][schema]["properties"]
    for name, pattern in (("comment_post_ID", POST_ID_PATTERN),
                          ("comment_parent", PARENT_PATTERN)):
        text = fields[name] if "pattern" in fields[name] else next(
            option for option in fields[name]["oneOf"] if option["type"] == "string")
        assert text["pattern"] == pattern, (schema, name)
        numbers = [o for o in fields[name].get("oneOf", []) if o["type"] == "integer"]
        assert all(o["minimum"] == 0 for o in numbers)


def test_every_public_json_route_is_described(make_app):
    """Each route outside the moderators' HTML pages (/review, /auth), the readers' HTML pages
    (the demo article, /articles/<id>) and static files (the embed's too) is in the
    description, with the same methods; optional routes turned on."""
    app = make_app(MODERATION_CORAL_SECRETS=CORAL_SECRET, MODERATION_AKISMET_API="true")
    described = json.loads(DESCRIPTION.read_text())["paths"]
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "embed.script", "embed.stylesheet", "feed.article",
                             "feed.article_thread") \
                or rule.rule.startswith(("/review/", "/auth/")):
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        routes[path] = sorted(rule.methods - {"HEAD", "OPTIONS"})
    assert routes == {path: sorted(m.upper() for m in ops) for path, ops in described.items()}
