"""The service makes no outbound network connection: the app is built (classifier loaded),
comments are taken in and scored, the feed and demo page served, and a moderator logs in and
decides, all with every Python socket connection and name lookup refused unless it goes to the
test database. Nothing may even try.

(psycopg connects through libpq, below Python's socket module, and only ever to the configured
database; SQLite opens a file.)
"""

from __future__ import annotations

import re
import socket
from urllib.parse import urlsplit

import pytest

from comment_helpers import PUBLISH_ALL, good_form
from security_helpers import PASSWORD, add_moderator, csrf_token, login


class OutboundRefused(OSError):
    pass


@pytest.fixture
def no_network(monkeypatch, db_url):
    """Refuse (and record) every connection and lookup except to the test database."""
    database = urlsplit(db_url.replace("+psycopg", ""))
    allowed = {(database.hostname, database.port or 5432)} if database.hostname else set()
    attempts: list[str] = []

    def guarded_connect(original):
        def connect(sock, address):
            if sock.family != socket.AF_UNIX and tuple(address[:2]) not in allowed:
                attempts.append(f"connect {address!r}")
                raise OutboundRefused(f"outbound connection to {address!r} refused by the test")
            return original(sock, address)
        return connect

    def refused_lookup(host, *args, **kwargs):
        attempts.append(f"lookup {host!r}")
        raise OutboundRefused(f"name lookup of {host!r} refused by the test")

    monkeypatch.setattr(socket.socket, "connect", guarded_connect(socket.socket.connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect(socket.socket.connect_ex))
    monkeypatch.setattr(socket, "getaddrinfo", refused_lookup)
    monkeypatch.setattr(socket, "gethostbyname", refused_lookup)
    return attempts


def test_the_guard_catches_an_outbound_attempt(no_network):
    # TEST-NET-1 (RFC 5737): refused before any packet could leave.
    with pytest.raises(OutboundRefused):
        socket.create_connection(("news.example", 80), timeout=1)
    with socket.socket() as sock, pytest.raises(OutboundRefused):
        sock.connect(("192.0.2.1", 80))
    assert no_network == ["lookup 'news.example'", "connect ('192.0.2.1', 80)"]


def test_intake_scoring_and_review_make_no_outbound_connection(no_network, make_app, db_url):
    from service.review.auth import hash_password

    # SCORER=None: this app loads the shipped classifier itself, under the guard.
    app = make_app(SCORER=None, MODERATION_DATABASE_URL=db_url, **PUBLISH_ALL)
    assert app.extensions["scorer"].scorer is not None
    client = app.test_client()
    assert client.get("/").status_code == 200
    assert client.post("/comments", data=good_form(comment="Visit http://spam.example now",
                                              url="https://ann.example")).status_code == 303
    created = client.post("/api/comments", json=good_form(comment="Held for a human.",
                                                     email="bob@example.org"))
    assert created.status_code == 201 and created.get_json()["scores"]["spam"] is not None
    assert client.get("/api/articles/demo/comments").status_code == 200
    assert client.get("/readyz").status_code == 200

    add_moderator(app, "ann", hash_password(PASSWORD))
    moderator = app.test_client()
    assert login(moderator, "ann").status_code == 302
    for path in ("/review/?status=approved", "/review/audit",
                 f"/review/comments/{created.get_json()['id']}"):
        assert moderator.get(path).status_code == 200
    page = moderator.get("/review/?status=approved").get_data(as_text=True)
    seen = re.search(rf'id="c{created.get_json()["id"]}".*?name="seen" value="([^"]+)"',
                     page, re.S).group(1)
    decided = moderator.post(f"/review/comments/{created.get_json()['id']}/decide", data={
        "action": "reject", "reason": "spam", "seen": seen, "csrf_token": csrf_token(moderator)})
    assert decided.status_code in {302, 303}
    assert app.extensions["store"].get(created.get_json()["id"]).status == "rejected"
    assert no_network == []
