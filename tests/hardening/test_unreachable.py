"""A database that is briefly locked or unreachable: the comment is stored after a retry, or the
reader gets a clear 503 with Retry-After and keeps their text. Never a 201 or 303 for a comment
that is not stored."""

from __future__ import annotations

import sqlite3
import threading
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from service.storage.availability import DatabaseUnavailable, with_retries

from comment_helpers import PUBLISH_ALL, good_form
from hardening_helpers import stored_comments
from serving import free_port


def _sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def _assert_503_json(response) -> None:
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    body = response.get_json()
    assert body["error"]["code"] == "unavailable"
    assert "briefly unavailable" in body["error"]["message"]


def _assert_503_form_keeps_text(response, comment: str) -> None:
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    page = response.get_data(as_text=True)
    assert "briefly unavailable" in page and "Nothing was posted" in page
    assert comment in page  # the reader's text is back in the textarea


# -- SQLite: another process holds the write lock --------------------------------------------------

def test_sqlite_locked_past_the_wait_answers_503_and_stores_nothing(make_app, sqlite_url):
    app = make_app(MODERATION_DB_WAIT_SECONDS="0.3", **PUBLISH_ALL)
    client = app.test_client()
    holder = sqlite3.connect(_sqlite_path(sqlite_url), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        _assert_503_json(client.post("/api/comments", json=good_form(comment="Locked out (json)")))
        _assert_503_form_keeps_text(
            client.post("/comments", data=good_form(comment="Locked out (form) & kept")),
            "Locked out (form) &amp; kept")
    finally:
        holder.rollback()
        holder.close()
    assert stored_comments(sqlite_url) == []
    # Once the lock is gone the same comment goes through, once.
    again = client.post("/api/comments", json=good_form(comment="Locked out (json)"))
    assert again.status_code == 201
    assert [c.text for c in stored_comments(sqlite_url)] == ["Locked out (json)"]


def test_sqlite_lock_released_within_the_wait_stores_the_comment(make_app, sqlite_url):
    app = make_app(MODERATION_DB_WAIT_SECONDS="20", **PUBLISH_ALL)
    holder = sqlite3.connect(_sqlite_path(sqlite_url), isolation_level=None,
                             check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(0.5, holder.rollback)
    release.start()
    try:
        response = app.test_client().post("/api/comments", json=good_form(comment="Patience"))
    finally:
        release.join()
        holder.close()
    assert response.status_code == 201
    [comment] = stored_comments(sqlite_url)
    assert (comment.id, comment.text, comment.status) == (
        response.get_json()["id"], "Patience", "published")


def test_other_pages_answer_503_not_500_while_the_database_is_locked(make_app, sqlite_url):
    app = make_app(MODERATION_DB_WAIT_SECONDS="0.2")
    holder = sqlite3.connect(_sqlite_path(sqlite_url), isolation_level=None)
    # Even readers wait: an EXCLUSIVE lock outside WAL mode, as a backup tool might take.
    holder.execute("PRAGMA journal_mode=DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("DELETE FROM comments")  # a write, so the lock really is exclusive
    try:
        response = app.test_client().get("/api/articles/demo/comments")
    finally:
        holder.rollback()
        holder.close()
    _assert_503_json(response)


# -- PostgreSQL: server unreachable, or our connection terminated ----------------------------------

@pytest.mark.postgres
def test_postgres_unreachable_answers_503_with_the_readers_text(make_app, postgres_schema_url):
    # postgres_schema_url: skips (or fails under CI) like every PostgreSQL test; unused otherwise.
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    app = make_app(MODERATION_DATABASE_URL=nowhere, MODERATION_DB_WAIT_SECONDS="0.5")
    client = app.test_client()
    _assert_503_json(client.post("/api/comments", json=good_form()))
    _assert_503_json(client.post("/comments", data=good_form(),
                                 headers={"Accept": "application/json"}))
    _assert_503_form_keeps_text(client.post("/comments", data=good_form(comment="Still mine")),
                                "Still mine")
    _assert_503_json(client.get("/api/articles/demo/comments"))
    assert client.get("/readyz").status_code == 503


def _with_application_name(url: str, name: str) -> str:
    return f"{url}&application_name={quote(name)}"


def _terminate(admin_url: str, application_name: str) -> int:
    engine = create_engine(admin_url)
    try:
        with engine.begin() as connection:
            return len(connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name"), {"name": application_name}).all())
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_backend_terminated_between_requests_is_reconnected(make_app, postgres_url):
    name = f"hardening-{free_port()}"
    app = make_app(MODERATION_DATABASE_URL=_with_application_name(postgres_url, name),
                   **PUBLISH_ALL)
    client = app.test_client()
    first = client.post("/api/comments", json=good_form(comment="Before the cut"))
    assert first.status_code == 201
    assert _terminate(postgres_url, name) >= 1  # the pooled connection is gone
    second = client.post("/api/comments", json=good_form(comment="After the cut"))
    assert second.status_code == 201
    assert [(c.id, c.text) for c in stored_comments(postgres_url)] == [
        (first.get_json()["id"], "Before the cut"), (second.get_json()["id"], "After the cut")]


@pytest.mark.postgres
def test_postgres_backend_terminated_mid_transaction_is_retried_once(make_app, postgres_url,
                                                                     monkeypatch):
    """The connection dies inside intake's transaction (after the checks, before the insert):
    the retry stores the comment, exactly once."""
    name = f"hardening-{free_port()}"
    app = make_app(MODERATION_DATABASE_URL=_with_application_name(postgres_url, name),
                   **PUBLISH_ALL)
    store = app.extensions["store"]
    real_enqueue_many = store.enqueue_many
    cuts = []

    def decide_then_cut(decide):
        def wrapped(history):
            if not cuts:
                cuts.append(_terminate(postgres_url, name))
            return decide(history)
        return wrapped

    monkeypatch.setattr(store, "enqueue_many", lambda items, **kw: real_enqueue_many(
        [(candidate, decide_then_cut(decide)) for candidate, decide in items], **kw))
    response = app.test_client().post("/api/comments", json=good_form(comment="Cut mid-way"))
    assert cuts == [1]
    assert response.status_code == 201
    [comment] = stored_comments(postgres_url)
    assert (comment.id, comment.text) == (response.get_json()["id"], "Cut mid-way")


# -- the retry itself ---------------------------------------------------------------------------

class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _outage(times: int):
    calls = []

    def work():
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return "stored"
    return work, calls


def test_retries_until_the_database_answers():
    clock = _Clock()
    work, calls = _outage(3)
    assert with_retries(work, 5, sleep=clock.sleep, clock=clock) == "stored"
    assert len(calls) == 4 and clock.now == pytest.approx(0.05 + 0.1 + 0.2)


def test_gives_up_after_the_wait_with_a_retry_after():
    clock = _Clock()
    work, calls = _outage(1000)
    with pytest.raises(DatabaseUnavailable) as down:
        with_retries(work, 2.5, sleep=clock.sleep, clock=clock)
    assert down.value.retry_after == 3 and clock.now <= 2.5 and len(calls) > 3


def test_a_refused_statement_is_not_retried():
    calls = []

    def work():
        calls.append(1)
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))
    with pytest.raises(IntegrityError):
        with_retries(work, 5, sleep=lambda seconds: None)
    assert len(calls) == 1
