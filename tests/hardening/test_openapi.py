"""The JSON API keeps to its OpenAPI description (service/openapi.json, served at /openapi.json).

schemathesis generates requests from the description against the real app (WSGI, real classifier,
SQLite), in its two phases: coverage (boundary values, each constraint broken in turn) and
fuzzing (MAX_EXAMPLES per operation and mode, valid and deliberately invalid). Every check of
`schemathesis run -c all` applies: no answer may be a 5xx, every answer's status, content type,
headers and body must be one the description lists, a request the description allows must not
be refused and one it forbids must not be accepted.

Generated credentials cannot be right by chance, so a well-formed one stands for the real thing:
a well-formed Perspective key is replaced by a key the app knows, an Akismet key in a valid
request (the Akismet protocol answers any key, so the description gives none a form) likewise, a
well-formed X-Coral-Signature by the body's real signature, a well-formed demo-form timestamp
by one the app signed, and a well-formed status token by a real one. Malformed or missing ones
are sent as generated. GET /metrics is scraped with its bearer token (the WSGI client has no
address to allow), and the article API called with the site's key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override

from comment_helpers import good_form
from service.articles import records as articles
from service.intake import bots
from service.intake import submission
from service.readers import notices
from service.integrations import apikeys

MAX_EXAMPLES = 25
# A body over the route's size limit is refused with 413 before it is read: a rejection too
# (the others are schemathesis's defaults).
CONFIG = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {
    "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5XX"]}}})
load_all_checks()
ALL_CHECKS = CHECKS.get_all()  # what `schemathesis run -c all` runs
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
    # A comment a moderator rejected, whose status link a well-formed token stands for: its
    # status is read, and appealed (once; 409 after).
    app.extensions["moderation"].decide(3, "openapi-test", "reject", "spam")
    app.config["TEST_STATUS_TOKEN"] = notices.status_token(app.config["SECRET_KEY"], 3)
    # Then thresholds low enough that generated text is published, held and rejected, so every
    # answer of comment-check and the Coral phase (true/false/discard, 204/held/rejected) occurs.
    app.config.update(MODERATION_SPAM_HOLD=0.005, MODERATION_SPAM_REJECT=0.03,
                      MODERATION_ABUSE_HOLD=0.1, MODERATION_ABUSE_REJECT=0.5)
    return app


# Every operation of the checked-in description with valid requests, and those that take input
# (parameters or a body) with invalid ones too.
_CONSTRAINTS = {"pattern", "enum", "minimum", "maximum", "minLength", "maxLength", "format",
                "const", "maxItems", "minItems"}


def _constrained(node) -> bool:
    """Whether a part of the description rules anything out: an operation whose inputs are all
    free strings (the models page's promote and roll back: a version name, a CSRF token) has no
    invalid request for a negative run to make."""
    if isinstance(node, dict):
        if _CONSTRAINTS & set(node) or (node.get("type") not in (None, "string", "object")) \
                or isinstance(node.get("required"), list) or "$ref" in node:
            return True
        return any(_constrained(v) for k, v in node.items() if k != "description")
    if isinstance(node, list):
        return any(_constrained(v) for v in node)
    return False


RUNS = [(path, method.upper(), mode)
        for path, ops in json.loads(DESCRIPTION.read_text())["paths"].items()
        for method, operation in ops.items()
        for mode in GenerationMode
        if mode.is_positive
        or _constrained([operation.get("parameters"), operation.get("requestBody")])]


@pytest.mark.parametrize("path, method, mode", RUNS)
def test_every_answer_matches_the_description(api_app, path, method, mode):
    # The strategies of schemathesis's Python API, driven by hypothesis directly (its pytest
    # loader, `from_fixture`, does not run under this pytest version).
    schema = schemathesis.openapi.from_wsgi("/openapi.json", api_app, config=CONFIG)
    operation = schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def answers_as_described(case):
        case.call_and_validate(checks=ALL_CHECKS, **_with_credentials(case, api_app))

    answers_as_described()


OPERATIONS = sorted({(path, method) for path, method, _ in RUNS})


@pytest.mark.parametrize("path, method", OPERATIONS)
def test_every_boundary_case_answers_as_described(api_app, path, method):
    """schemathesis's coverage phase: each constraint of the description at its edges (the
    longest text allowed and one character more, the largest id and the next, each required
    field left out, each pattern broken, each type swapped), valid and invalid."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", api_app, config=CONFIG)
    operation = schema[path][method]
    cases = CoverageGenerator(
        operation=operation, generation_modes=list(GenerationMode),
        generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
        auth_storage=None, override=Override(), feedback=FeedbackSources())
    for case in cases:
        case.call_and_validate(checks=ALL_CHECKS, **_with_credentials(case, api_app))


def _with_credentials(case, app) -> dict:
    """The extra arguments of the call: the real key or signature where a well-formed one was
    generated, and the metrics token (see the module's docstring)."""
    if case.path == "/metrics":
        return {"headers": {"Authorization": f"Bearer {METRICS_TOKEN}"}}
    if case.path == "/api/articles/{post_id}":
        # The site's article API: its key, whatever else the case breaks.
        return {"headers": {"Authorization": f"Bearer {app.config['TEST_AKISMET_KEY']}"}}
    if case.path.startswith("/1.1/") and isinstance(case.body, dict) \
            and case.meta.generation.mode.is_positive:
        case.body = {name: app.config["TEST_AKISMET_KEY"] if name in {"api_key", "key"}
                     and isinstance(value, str) else value
                     for name, value in case.body.items()}
    if case.path in {"/comments", "/api/comments"} and isinstance(case.body, dict):
        stamp, post = case.body.get(bots.TIMESTAMP_FIELD), case.body.get("comment_post_ID")
        if isinstance(stamp, str) and stamp and re.fullmatch(bots.TIMESTAMP_PATTERN, stamp) \
                and isinstance(post, (str, int, float)):
            post = post.strip() if isinstance(post, str) else str(int(post))
            case.body[bots.TIMESTAMP_FIELD] = bots.form_timestamp(app.config["SECRET_KEY"], post)
    token = (case.path_parameters or {}).get("token")
    if case.path.startswith("/api/comments/status/") and case.meta.generation.mode.is_positive \
            and isinstance(token, str) and re.fullmatch(notices.STATUS_TOKEN_PATTERN, token):
        case.path_parameters["token"] = app.config["TEST_STATUS_TOKEN"]
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


# The rules service.intake.submission and service.intake.bots apply, as the description must state
# them.
FIELD_PATTERNS = {"comment": submission.VISIBLE_PATTERN, "author": submission.VISIBLE_PATTERN,
                  "email": submission.EMAIL_PATTERN, "comment_post_ID": submission.POST_ID_PATTERN,
                  "comment_parent": submission.PARENT_PATTERN,
                  "permalink": submission.TEXT_PATTERN, "email_confirm": submission.BLANK_PATTERN,
                  "rendered_at": bots.TIMESTAMP_PATTERN}


def _string_option(field: dict, pattern: str | None = None) -> dict:
    options = field.get("oneOf") or field.get("anyOf") or [field]
    return next(o for o in options if "string" in o.get("type", ())
                and (pattern is None or o["pattern"] == pattern))


@pytest.mark.parametrize("schema", ["CommentFields", "FormFields"])
def test_the_description_states_the_validators_own_rules(schema):
    # One source of truth: the patterns and limits are service.intake.submission's, for JSON and
    # form bodies alike.
    fields = json.loads(DESCRIPTION.read_text())["components"]["schemas"][schema]["properties"]
    for name, pattern in FIELD_PATTERNS.items():
        assert _string_option(fields[name])["pattern"] == pattern, (schema, name)
    assert _string_option(fields["url"], submission.URL_PATTERN)["maxLength"] == submission.MAX_URL
    assert _string_option(fields["url"], submission.BARE_URL_PATTERN)["maxLength"] \
        == submission.MAX_URL - len("http://")
    numbers = {name: o for name in ("comment_post_ID", "comment_parent")
               for o in fields[name].get("oneOf", []) if o["type"] == "integer"}
    if schema == "CommentFields":
        assert numbers["comment_post_ID"]["maximum"] == submission.MAX_POST_ID_NUMBER
        assert numbers["comment_parent"]["maximum"] == submission.MAX_PARENT_NUMBER
    assert all(o["minimum"] == 0 for o in numbers.values())


def test_the_description_states_the_article_rules_own_patterns():
    fields = json.loads(DESCRIPTION.read_text())["components"]["schemas"]["ArticleFields"]
    props = fields["properties"]
    assert props["permalink"]["pattern"] == articles.PERMALINK_PATTERN
    assert props["published_at"]["pattern"] == articles.TIME_PATTERN
    assert props["title"]["maxLength"] == articles.MAX_TITLE
    assert props["section"]["maxLength"] == articles.MAX_SECTION
    assert set(props) == set(articles.FIELDS)


def test_the_descriptions_space_is_what_python_trims():
    # The patterns' SPACE class is written out (JavaScript's \s is not Python's); it must be
    # exactly what str.strip() removes, or trimmed values and the description part ways.
    space = re.compile(f"[{submission.SPACE}]")
    assert [c for c in map(chr, range(0x110000)) if c.isspace()] == \
        [c for c in map(chr, range(0x110000)) if space.fullmatch(c)]


def test_what_the_description_calls_invisible_the_validator_refuses():
    # The description's INVISIBLE class is a part of service.intake.submission's rule: a text it
    # calls empty is always refused (the rule also refuses rarer marks the description leaves out).
    invisible = re.compile(f"[{submission.INVISIBLE}]")
    assert not any(submission.shows_anything(chr(c)) for c in range(0x10000)
                   if invisible.fullmatch(chr(c)))


def test_every_public_json_route_is_described(make_app):
    """Each route outside the moderators' HTML pages (/review, /auth), the readers' HTML pages
    (the demo article, /articles/<id>) and static files (the embed's too) is in the
    description, with the same methods; optional routes turned on."""
    app = make_app(MODERATION_CORAL_SECRETS=CORAL_SECRET, MODERATION_AKISMET_API="true")
    described = json.loads(DESCRIPTION.read_text())["paths"]
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "embed.script", "embed.stylesheet", "feed.article",
                             "feed.article_thread", "readers.report_page", "readers.report_form",
                             "status.status_page", "status.appeal_form") \
                or rule.rule.startswith(("/review/", "/auth/")):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)  # <int:id> -> {id}
        # A path may have a rule per method (the article API's GET and PUT).
        routes[path] = sorted(set(routes.get(path, ())) | (rule.methods - {"HEAD", "OPTIONS"}))
    assert routes == {path: sorted(m.upper() for m in ops) for path, ops in described.items()}


# Values where the description and the app once parted ways (issue 18, item 10), and their
# neighbours: each must be allowed by both or refused by both, in a JSON body and in a form.
AGREEMENT = [
    ("url", "*"), ("url", "example.org"), ("url", "  https://example.org/a?b=c#d "),
    ("url", "HTTP://Example.org"), ("url", "http://b\u00fccher.de/"), ("url", "localhost:8000/x"),
    ("url", "ftp://example.org"), ("url", "http://ann@example.org"), ("url", "javascript:x"),
    ("url", "http://example.org:\u0661\u0662"), ("url", "example.org/a://b"),
    ("url", "example.org/" + "p" * 181), ("url", "example.org/" + "p" * 182),
    ("url", "https://example.org/" + "p" * 180), ("url", "https://example.org/" + "p" * 181),
    ("email", " ann@example.org "), ("email", "ann@example.org\u3000"),
    ("email", "ann@example.org\x1c"), ("email", "ann @example.org"),
    ("email", "a" * 88 + "@example.org"), ("email", " " + "a" * 88 + "@example.org"),
    ("comment", "\x1c\x02"), ("comment", "\u200b\u0301\ufe0f"), ("comment", "ok\x00"),
    ("author", "\u3164"), ("author", " " + "A" * 245),
    ("comment_post_ID", ""), ("comment_post_ID", "\u0661\u0662"), ("comment_post_ID", " 60 "),
    ("comment_parent", " 0"), ("comment_parent", "\u0663"), ("comment_parent", "1" * 12),
    ("email_confirm", " "), ("email_confirm", "x"), ("rendered_at", "not a timestamp"),
    ("permalink", "a\x00b"), ("extra", "a\x00b"),
]
# JSON only: numbers and null where the description's types allow them or not.
JSON_AGREEMENT = [
    ("comment", 42), ("comment", None), ("author", 7), ("author", None), ("email", 5),
    ("email", None), ("url", None), ("url", 5), ("comment_post_ID", -1), ("comment_post_ID", None),
    ("comment_post_ID", 60.0), ("comment_post_ID", 60.5), ("comment_post_ID", 2**53 - 1),
    ("comment_post_ID", 2**53), ("comment_parent", None), ("comment_parent", 99_999_999_999),
    ("comment_parent", 100_000_000_000), ("permalink", 3), ("permalink", None),
    ("email_confirm", None), ("email_confirm", 0), ("rendered_at", None), ("rendered_at", 1),
    ("extra", None), ("extra", 1.5), ("extra", [1]), ("extra", True),
]


def _allowed_by_description(schema: str, name: str, value) -> bool:
    fields = json.loads(DESCRIPTION.read_text())["components"]["schemas"][schema]
    return jsonschema_rs.validator_for(fields).is_valid(good_form(**{name: value}))


def _accepted_by_app(client, body: dict, as_json: bool) -> bool:
    # 409: a well-formed reply to a comment that is not there (the description allows it).
    response = client.post("/api/comments", json=body) if as_json \
        else client.post("/comments", data=body)
    assert response.status_code in {201, 303, 400, 409}, response.status_code
    return response.status_code != 400


@pytest.mark.parametrize("name, value", AGREEMENT + JSON_AGREEMENT)
def test_the_description_and_the_app_agree_on_a_json_field(make_app, name, value):
    app = make_app()
    assert _accepted_by_app(app.test_client(), good_form(**{name: value}), as_json=True) \
        == _allowed_by_description("CommentFields", name, value)


@pytest.mark.parametrize("name, value", AGREEMENT)
def test_the_description_and_the_app_agree_on_a_form_field(make_app, name, value):
    app = make_app()
    assert _accepted_by_app(app.test_client(), good_form(**{name: value}), as_json=False) \
        == _allowed_by_description("FormFields", name, value)
