"""Retention and commenters' requests, on both stores: `purge --older-than`, `export --email`
and `erase --email` (flask --app service ...)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from comment_helpers import PUBLISH_ALL, good_form
from service.privacy.keys import account_hash, email_hash
from service.privacy.retention import parse_period
from service.storage.tables import AuditEntry, Comment, LoginFailure, utcnow

NOW = utcnow()
EMAIL_KEY = "test-email-key"  # tests/conftest.py TEST_KEYS


def _add(app, label: str, *, status: str, created_days: int, decided_days: int | None = None,
         decided_by: str | None = None, email: str = "old@example.org") -> None:
    created = NOW - timedelta(days=created_days)
    decided = NOW - timedelta(days=decided_days) if decided_days is not None else None
    with app.extensions["store"].engine.begin() as connection:
        connection.execute(insert(Comment), {
            "post_id": "demo", "author": label, "email": email,
            "email_hash": email_hash(EMAIL_KEY, email), "url": "", "text": label,
            "fingerprint": hashlib.sha256(label.encode()).hexdigest(), "permalink": "",
            "status": status, "policy_status": status, "reasons": [], "spam_score": 0.1,
            "abuse_score": 0.1, "model_version": "m1", "ip_hash": "iphash-" + label,
            "user_agent": "Mozilla/5.0 " + label, "created_at": created, "updated_at": created,
            "decided_by": decided_by, "decided_at": decided})


def _rows(app) -> dict[str, Comment]:
    with Session(app.extensions["store"].engine) as session:
        return {c.text: c for c in session.scalars(select(Comment))}


@pytest.fixture
def app(make_app, db_url):
    return make_app(MODERATION_DATABASE_URL=db_url, **PUBLISH_ALL)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_purge_drops_ip_hashes_agents_and_emails_of_decided_comments_past_retention(
        app, runner):
    _add(app, "old published by the policy", status="published", created_days=100)
    _add(app, "old rejected by a moderator", status="rejected", created_days=120,
         decided_days=95, decided_by="ann")
    _add(app, "old but still pending", status="pending", created_days=100)
    _add(app, "recent", status="published", created_days=10)
    _add(app, "old but decided lately", status="published", created_days=100,
         decided_days=5, decided_by="ann")
    with app.extensions["store"].engine.begin() as connection:
        connection.execute(insert(LoginFailure), [
            # The clock now, not at collection: a long suite must not age "new" past the window.
            {"key": "ip:old", "at": utcnow() - timedelta(days=1)},
            {"key": "ip:new", "at": utcnow() - timedelta(minutes=1)}])

    result = runner.invoke(args=["purge", "--older-than", "90d"])
    assert result.exit_code == 0, result.output
    assert "Purged personal data of 2 comment(s)" in result.output

    rows = _rows(app)
    for label in ("old published by the policy", "old rejected by a moderator"):
        row = rows[label]
        assert (row.ip_hash, row.user_agent, row.email) == ("", "", "")
        # Statistics and trust keep what they need.
        assert row.status in {"published", "rejected"} and row.spam_score == 0.1
        assert row.email_hash == email_hash(EMAIL_KEY, "old@example.org")
        assert row.text == label
    for label in ("old but still pending", "recent", "old but decided lately"):
        assert rows[label].ip_hash == "iphash-" + label
        assert rows[label].email == "old@example.org" and rows[label].user_agent
    with Session(app.extensions["store"].engine) as session:
        assert session.scalars(select(LoginFailure.key)).all() == ["ip:new"]
    # Running it again finds nothing left to purge.
    assert "of 0 comment(s)" in runner.invoke(args=["purge", "--older-than", "90d"]).output


def test_purge_defaults_to_the_configured_retention(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url, MODERATION_RETENTION_DAYS="7")
    _add(app, "ten days old", status="published", created_days=10)
    _add(app, "three days old", status="published", created_days=3)
    result = app.test_cli_runner().invoke(args=["purge"])
    assert "of 1 comment(s) decided more than 7 days ago" in result.output
    rows = _rows(app)
    assert rows["ten days old"].email == "" and rows["three days old"].email


def test_default_retention_is_90_days(make_app):
    assert make_app().config["MODERATION_RETENTION_DAYS"] == 90


@pytest.mark.parametrize("raw, days", [("90d", 90), ("12w", 84), ("30", 30), (" 7D ", 7)])
def test_retention_periods(raw, days):
    assert parse_period(raw) == timedelta(days=days)


def test_a_bad_period_is_refused_clearly(runner):
    result = runner.invoke(args=["purge", "--older-than", "three months"])
    assert result.exit_code == 2
    assert "expected a period such as 90d or 12w" in result.output


# Long enough to get a text key (service.decisions.rules.repeat_key), which erasing blanks too.
ANN_FIRST = "Ann one: the bridge repairs should come before the new car park"


@pytest.fixture
def commenters(app):
    """Ann's three comments (one address in two spellings), one decided by a moderator and one
    already purged of its address; Bob's one comment."""
    client = app.test_client()
    ids = [client.post("/api/comments", json=good_form(comment=text, email=email),
                       headers={"User-Agent": "AnnBrowser/1"}).get_json()["id"]
           for text, email in ((ANN_FIRST, "ann@example.org"), ("Ann two", "ANN@Example.org"),
                               ("Ann three", "ann@example.org"))]
    bob = client.post("/api/comments", json=good_form(comment="Bob", author="Bob",
                                                 email="bob@example.org")).get_json()["id"]
    store = app.extensions["store"]
    store.decide(ids[0], "moderator-may", "rejected", "spam")
    with Session(store.engine) as session, session.begin():
        session.get(Comment, ids[2]).email = ""  # as a purge leaves it
    return ids, bob


def test_export_prints_everything_stored_about_the_email(app, runner, commenters):
    ann_ids, bob_id = commenters
    result = runner.invoke(args=["export", "--email", " Ann@Example.org "])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [c["id"] for c in data["comments"]] == ann_ids  # the purged one found by its hash
    first = data["comments"][0]
    assert first["text"] == ANN_FIRST and first["author"] == "Ann Reader"
    assert first["email"] == "ann@example.org" and first["user_agent"] == "AnnBrowser/1"
    assert first["ip_hash"] and first["email_hash"] and first["created_at"]
    assert first["status"] == "rejected" and first["decision_reason"] == "spam"
    assert [(a["moderator"], a["new_status"]) for a in first["audit"]] == \
        [("moderator-may", "rejected")]
    assert data["comments"][2]["email"] == ""
    assert bob_id not in [c["id"] for c in data["comments"]]


def test_erase_anonymises_the_commenter_and_keeps_the_statistics(app, runner, commenters):
    ann_ids, bob_id = commenters
    engine = app.extensions["store"].engine
    with Session(engine) as session:
        statuses_before = sorted(session.scalars(select(Comment.status)))
        assert session.get(Comment, ann_ids[0]).text_key is not None
    result = runner.invoke(args=["erase", "--email", "ann@example.org"])
    assert result.exit_code == 0 and "Erased the personal data of 3 comment(s)" in result.output
    with Session(engine) as session:
        rows = {c.id: c for c in session.scalars(select(Comment))}
        audit = session.scalar(select(func.count()).select_from(AuditEntry))
        assert sorted(session.scalars(select(Comment.status))) == statuses_before
    for comment_id in ann_ids:
        row = rows[comment_id]
        assert (row.author, row.email, row.email_hash, row.url, row.text, row.ip_hash,
                row.user_agent, row.fingerprint) == ("",) * 8 and row.text_key is None
        assert row.post_id == "demo" and row.spam_score is not None and row.model_version
    assert rows[ann_ids[0]].decided_by == "moderator-may" and audit == 1
    assert rows[bob_id].text == "Bob" and rows[bob_id].email == "bob@example.org"
    # Nothing is left to find under that address.
    assert json.loads(runner.invoke(args=["export", "--email", "ann@example.org"]).output)[
        "comments"] == []


def _copies_on_disk(database: Path, *needles: str) -> dict[str, int]:
    """How often each needle occurs in the SQLite file and its -wal and -shm companions."""
    files = [path for path in database.parent.iterdir() if path.name.startswith(database.name)]
    data = b"".join(path.read_bytes() for path in files)
    return {needle: data.count(needle.encode()) for needle in needles}


def test_erase_leaves_no_copy_in_the_sqlite_files(make_app, sqlite_url):
    # The service as it runs: WAL, the background checkpointer, pooled connections open.
    app = make_app(MODERATION_DATABASE_URL=sqlite_url, MODERATION_RATE_LIMIT="off",
                   **PUBLISH_ALL)
    client = app.test_client()
    email, secret = "erase.me@example.org", "Quetzalcoatl-marmalade"
    for n in range(30):
        for who, address in (("Erin", email), ("Keep", "keep@example.org")):
            text = f"{secret} {who} point {n} " + "about the bridge " * (n * 20)
            assert client.post("/comments", data=good_form(
                comment=text, author=who, email=address)).status_code == 303
    database = Path(app.extensions["store"].engine.url.database)
    assert _copies_on_disk(database, email, secret + " Erin")[email] > 0

    with app.extensions["store"].engine.connect() as connection:
        # Zeroed on the page when deleted, whatever the SQLite build's default.
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    result = app.test_cli_runner().invoke(args=["erase", "--email", email])
    assert result.exit_code == 0, result.output
    assert _copies_on_disk(database, email, secret + " Erin", "Erin") == {
        email: 0, secret + " Erin": 0, "Erin": 0}
    assert _copies_on_disk(database, secret + " Keep")[secret + " Keep"] == 30  # the others stay


def test_failed_logins_keep_a_keyed_hash_of_the_typed_name_not_the_name(make_app):
    app = make_app(WTF_CSRF_ENABLED=False)
    typed = "Reader.Name@Example.org"
    response = app.test_client().post("/auth/login", data={"name": typed, "password": "x" * 12})
    assert response.status_code == 401
    with Session(app.extensions["store"].engine) as session:
        keys = list(session.scalars(select(LoginFailure.key)))
    assert len(keys) == 2 and all(typed.lower() not in key.lower() for key in keys)
    assert "name:" + account_hash("test-ip-key", typed) in keys
