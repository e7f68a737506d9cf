"""Rate limits (Flask-Limiter): comments per commenter at intake, attempts per account at login;
counted in memory by default and in Redis when configured, where every worker shares them."""

from __future__ import annotations

import shutil

import pytest
from flask import request
from flask_limiter import Limiter

from comment_helpers import PUBLISH_ALL, flood_with_form_posts, good_form
from security_helpers import (REDIS_URL, CountingScorer, add_moderator, delete_keys, login,
                              redis_or_fail, unique_prefix)
from service.review.auth import hash_password
from service.config import from_env

BURST = {"MODERATION_RATE_LIMIT": "2/minute", **PUBLISH_ALL}


@pytest.fixture(scope="module")
def password_hash():
    from security_helpers import PASSWORD

    return hash_password(PASSWORD)


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in the real Redis; its keys are deleted afterwards."""
    client = redis_or_fail()
    prefix = unique_prefix()
    yield client, prefix
    delete_keys(client, prefix)
    client.close()


@pytest.fixture
def second_database(tmp_path, sqlite_template):
    """Another SQLite store: a second host whose database knows nothing of the first's."""
    path = tmp_path / "second.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def test_flooding_commenter_is_refused_before_the_classifier_runs(make_app, scorer):
    counting = CountingScorer(scorer)
    client = make_app(SCORER=counting, **BURST).test_client()
    flood_with_form_posts(client)
    refused = client.post("/api/comments", json=good_form(comment="Point 4"),
                          environ_base={"REMOTE_ADDR": "203.0.113.9"})  # same e-mail, new IP
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "flood"
    assert counting.calls == 2  # the refused comments never reached the model


def test_a_limited_commenter_does_not_limit_anyone_else(make_app):
    client = make_app(**BURST).test_client()
    ann = {"REMOTE_ADDR": "198.51.100.1"}
    for n in range(2):
        client.post("/comments", data=good_form(comment=f"a{n}"), environ_base=ann)
    assert client.post("/comments", data=good_form(comment="a3"), environ_base=ann).status_code == 429
    other = client.post("/comments", data=good_form(comment="b", email="bob@example.org"),
                        environ_base={"REMOTE_ADDR": "198.51.100.2"})
    assert other.status_code == 303


def test_redis_shares_the_count_between_hosts(make_app, redis_prefix, second_database):
    client, prefix = redis_prefix
    shared = {"MODERATION_RATE_LIMIT_STORAGE": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix,
              **BURST}
    host_a = make_app(**shared).test_client()
    # Host B has a database of its own, so only the shared Redis can know about host A.
    host_b = make_app(MODERATION_DATABASE_URL=second_database, **shared).test_client()
    for n in range(2):
        assert host_a.post("/comments", data=good_form(comment=f"a{n}")).status_code == 303
    refused = host_b.post("/api/comments", json=good_form(comment="on host b"))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    keys = [key.decode() for key in client.scan_iter(match=f"*{prefix}*")]
    assert keys, "the counts live in Redis under this test's prefix"
    # Keyed hashes only: Redis holds no raw IP address or e-mail address.
    assert not any("127.0.0.1" in key or "@" in key for key in keys)


def test_in_memory_counts_stay_in_their_worker(make_app, second_database):
    host_a = make_app(**BURST).test_client()
    host_b = make_app(MODERATION_DATABASE_URL=second_database, **BURST).test_client()
    for n in range(2):
        host_a.post("/comments", data=good_form(comment=f"a{n}"))
    assert host_b.post("/comments", data=good_form(comment="b")).status_code == 303


def test_unreachable_redis_leaves_the_database_limit_in_force(make_app):
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    client = make_app(MODERATION_RATE_LIMIT_STORAGE="redis://127.0.0.1:1/0",
                      **BURST).test_client()
    assert [client.post("/comments", data=good_form(comment=f"n{n}")).status_code
            for n in range(3)] == [303, 303, 429]


def test_login_attempts_are_limited_per_account(make_app, password_hash):
    # Many free failures, so only the per-account limit can refuse.
    app = make_app(MODERATION_LOGIN_RATE_LIMIT="3/minute", MODERATION_LOGIN_FREE_FAILURES="100")
    add_moderator(app, "ann", password_hash)
    add_moderator(app, "bob", password_hash)
    client = app.test_client()
    # A guesser spreading over addresses is still counted against the account.
    for n in range(3):
        assert login(client, "ann", "guess guess", ip=f"203.0.113.{n}").status_code == 401
    blocked = login(client, "ANN", ip="203.0.113.99")  # the right password, any case of the name
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert "Too many login attempts for this account" in blocked.get_data(as_text=True)
    assert login(app.test_client(), "bob").status_code == 302


def test_only_the_login_pages_pay_for_flask_limiters_check(make_app, password_hash,
                                                          monkeypatch):
    # Intake has its own flood control (commenter_wait); running Flask-Limiter's check on every
    # comment as well cost about 50 µs each (bench/README.md).
    checked = []
    original = Limiter._check_request_limit

    def counting(self, *args, **kwargs):
        checked.append(request.endpoint)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Limiter, "_check_request_limit", counting)
    app = make_app(MODERATION_LOGIN_RATE_LIMIT="1/minute", MODERATION_LOGIN_FREE_FAILURES="100",
                   **PUBLISH_ALL)
    add_moderator(app, "ann", password_hash)
    client = app.test_client()
    assert client.post("/comments", data=good_form()).status_code == 303
    assert client.get("/api/articles/demo/comments").status_code == 200
    assert login(client, "ann", "guess guess").status_code == 401
    refused = login(client, "ann")
    assert refused.status_code == 429 and "X-RateLimit-Limit" in refused.headers
    assert checked and set(checked) == {"auth.login"}  # its GETs and POSTs, nothing else


def test_login_limit_is_shared_through_redis(make_app, password_hash, redis_prefix):
    _, prefix = redis_prefix
    shared = {"MODERATION_RATE_LIMIT_STORAGE": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix,
              "MODERATION_LOGIN_RATE_LIMIT": "2/minute", "MODERATION_LOGIN_FREE_FAILURES": "100"}
    worker_a, worker_b = make_app(**shared), make_app(**shared)
    add_moderator(worker_a, "ann", password_hash)
    for _ in range(2):
        assert login(worker_a.test_client(), "ann", "guess guess").status_code == 401
    assert login(worker_b.test_client(), "ann").status_code == 429


def test_login_works_while_redis_is_unreachable(make_app, password_hash):
    app = make_app(MODERATION_RATE_LIMIT_STORAGE="redis://127.0.0.1:1/0")
    add_moderator(app, "ann", password_hash)
    assert login(app.test_client(), "ann").status_code == 302


def test_login_limit_off(make_app, password_hash):
    app = make_app(MODERATION_LOGIN_RATE_LIMIT="off", MODERATION_LOGIN_FREE_FAILURES="100")
    add_moderator(app, "ann", password_hash)
    client = app.test_client()
    assert {login(client, "ann", "guess guess").status_code for _ in range(12)} == {401}


def test_storage_setting_accepts_memory_and_redis_only():
    assert from_env({})["MODERATION_RATE_LIMIT_STORAGE"] == "memory://"
    assert from_env({"MODERATION_RATE_LIMIT_STORAGE": REDIS_URL})[
        "MODERATION_RATE_LIMIT_STORAGE"] == REDIS_URL
    with pytest.raises(ValueError, match="MODERATION_RATE_LIMIT_STORAGE"):
        from_env({"MODERATION_RATE_LIMIT_STORAGE": "mysql://db/limits"})
