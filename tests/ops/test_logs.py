"""Structured logs: a JSON line per request and per decision, never an IP or an e-mail address,
and a request id that the client gets back and the log lines carry."""

from __future__ import annotations

import json
import logging

import pytest
from ops_helpers import put

from service.ops import logs
from service.review.queue import Moderation

READER_IP = "203.0.113.77"
READER_EMAIL = "ann.reader@example.org"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(record.getMessage()))

    def of(self, event: str) -> list[dict]:
        return [line for line in self.lines if line["event"] == event]


@pytest.fixture
def captured():
    handler = Lines()
    loggers = (logs.requests_log, logs.decisions_log, logs.errors_log)
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def post_comment(client, **fields):
    return client.post("/api/comments", json={
        "comment": "The new bridge looks fine.", "author": "Ann Reader", "email": READER_EMAIL,
        "comment_post_ID": "demo", **fields}, environ_base={"REMOTE_ADDR": READER_IP})


def test_a_comment_gives_one_line_with_the_request_and_the_policys_decision(client, app,
                                                                          captured):
    response = post_comment(client)
    assert response.status_code == 201
    comment_id = response.get_json()["id"]
    version = app.extensions["scorer"].scorer.version
    [request_line] = captured.lines
    assert request_line["request_id"] == response.headers["X-Request-ID"]
    assert {key: request_line[key] for key in (
        "event", "method", "route", "status", "comment_id", "outcome", "model_version", "by")} \
        == {"event": "request", "method": "POST", "route": "/api/comments", "status": 201,
            "comment_id": comment_id, "outcome": response.get_json()["status"],
            "model_version": version, "by": "policy"}
    assert request_line["latency_ms"] >= 0
    assert request_line["time"].endswith("+00:00")


def test_no_line_carries_the_readers_address_or_e_mail(client, captured):
    post_comment(client)
    post_comment(client, email="not-an-address")  # a validation error
    client.get(f"/api/articles/demo/comments?email={READER_EMAIL}",
               environ_base={"REMOTE_ADDR": READER_IP})
    client.get(f"/nowhere/{READER_EMAIL}", environ_base={"REMOTE_ADDR": READER_IP})
    assert len(captured.of("request")) == 4
    text = "\n".join(json.dumps(line) for line in captured.lines)
    assert READER_IP not in text
    assert READER_EMAIL not in text
    assert "@" not in text


def test_moderator_decisions_are_logged_one_line_per_comment(app, captured):
    store = app.extensions["store"]
    ids = [put(store, "pending") for _ in range(2)]
    Moderation(store.engine).decide_many(ids, "ann", "reject", "spam")
    decisions = captured.of("decision")
    assert [(d["comment_id"], d["outcome"], d["by"], d["action"], d["reason"], d["model_version"])
            for d in decisions] == [(ids[0], "rejected", "ann", "reject", "spam", "test-model"),
                                    (ids[1], "rejected", "ann", "reject", "spam", "test-model")]


def test_json_errors_carry_the_request_id_the_header_has(client, captured):
    response = post_comment(client, comment="")
    assert response.status_code == 400
    assert response.get_json()["request_id"] == response.headers["X-Request-ID"]
    assert response.get_json()["error"]["code"] == "comment_required"
    [line] = captured.of("request")
    assert (line["status"], line["request_id"]) == (400, response.headers["X-Request-ID"])

    missing = client.get("/api/nothing-here")
    assert missing.get_json()["request_id"] == missing.headers["X-Request-ID"]


def test_error_pages_show_the_request_id(client):
    response = client.get("/nowhere", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert f"Reference: {response.headers['X-Request-ID']}" in response.get_data(as_text=True)


def test_an_unexpected_failure_is_logged_with_the_id_the_reader_sees(make_app, captured):
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500 as in production, not raise

    @app.get("/api/explode")
    def explode():
        raise RuntimeError("boom")

    response = app.test_client().get("/api/explode")
    assert response.status_code == 500
    request_id = response.get_json()["request_id"]
    assert request_id == response.headers["X-Request-ID"]
    [error] = captured.of("error")
    assert (error["request_id"], error["error"], error["route"]) == \
        (request_id, "RuntimeError", "/api/explode")
    assert captured.of("request")[0]["status"] == 500


def test_a_proxys_request_id_is_kept_and_a_malformed_one_replaced(client):
    given = client.get("/healthz", headers={"X-Request-ID": "edge-5f0c2a9e1b"})
    assert given.headers["X-Request-ID"] == "edge-5f0c2a9e1b"
    forged = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert forged.headers["X-Request-ID"] != "<script>alert(1)</script>"
    assert len(forged.headers["X-Request-ID"]) == 16


def test_feed_answers_given_before_flask_have_their_line_and_id(client, captured):
    assert post_comment(client).status_code == 201
    url = "/api/articles/demo/comments"
    etag = client.get(url).headers["ETag"]  # rendered by Flask
    cached = client.get(url, headers={"X-Request-ID": "edge-5f0c2a9e1b"})  # before Flask
    unchanged = client.get(url, headers={"If-None-Match": etag})  # likewise
    assert cached.headers["X-Request-ID"] == "edge-5f0c2a9e1b"
    lines = captured.of("request")[-2:]
    assert [(line["request_id"], line["route"], line["status"]) for line in lines] == [
        ("edge-5f0c2a9e1b", "/api/articles/<post_id>/comments", 200),
        (unchanged.headers["X-Request-ID"], "/api/articles/<post_id>/comments", 304)]


def test_request_lines_can_be_turned_off_for_benchmarks(make_app, captured):
    app = make_app(MODERATION_REQUEST_LOG="false")
    response = post_comment(app.test_client())
    assert response.status_code == 201
    assert captured.lines == []
    assert response.headers["X-Request-ID"]
