"""The store and review queue, every case on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, column, insert, inspect, select, table, text
from sqlalchemy.exc import IntegrityError

from service.config import RateLimit
from service.storage.db import alembic_config, current_revision, make_engine, upgrade
from service.decisions.policy import Decision, History
from service.storage import store as store_module
from service.articles.records import Articles
from service.storage.store import Candidate, ParentError, Store
from service.storage.tables import Base, Comment, UTCDateTime, risk_of, utcnow


@pytest.fixture
def store(db_url):
    store = Store(make_engine(db_url))
    yield store
    store.engine.dispose()


def candidate(**overrides) -> Candidate:
    fields = dict(post_id="p1", author="Ann", email="ann@example.org", email_hash="e-ann",
                  text="A comment.", ip_hash="ip-1", scores={"spam": 0.1, "abuse": 0.2},
                  model_version="test-model")
    fields.update(overrides)
    return Candidate(**fields)


def decide_as(status: str, *reasons: str):
    def decide(history: History) -> Decision:
        return Decision(status, reasons, status)
    return decide


def put(store, status="published", *, window=600, rate=None, now=None, **fields):
    outcome = store.enqueue(candidate(**fields), decide_as(status), duplicate_window=window,
                            rate=rate, now=now)
    assert outcome.kind == "created", outcome
    return outcome.comment


def test_schema_matches_tables_module(store):
    # The migrations and tables.py describe the same schema, so neither can drift.
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    assert current_revision(store.engine) == "0016"  # 0016: comments' text keys


def test_enqueue_keeps_everything_a_comment_needs(store):
    comment = put(store, "rejected", url="http://ann.example", permalink="/a", parent_id=None,
                  user_agent="UA/1")
    stored = store.get(comment.id)
    assert (stored.post_id, stored.author, stored.email, stored.url, stored.text) == \
        ("p1", "Ann", "ann@example.org", "http://ann.example", "A comment.")
    assert (stored.status, stored.policy_status, stored.spam_score, stored.abuse_score) == \
        ("rejected", "rejected", 0.1, 0.2)
    assert stored.model_version == "test-model" and stored.ip_hash == "ip-1"
    assert stored.created_at.tzinfo is not None and stored.decided_by is None


def test_reasons_round_trip_as_a_list(store):
    outcome = store.enqueue(candidate(), decide_as("pending", "links>2", "watched_term:foo"),
                            duplicate_window=600, rate=None)
    assert store.get(outcome.comment.id).reasons == ["links>2", "watched_term:foo"]


def test_check_constraints_guard_status_and_scores(store):
    row = dict(post_id="p", author="a", email="e", email_hash="h", url="", text="t",
               fingerprint="f",
               permalink="", policy_status="pending", reasons=[], ip_hash="i", user_agent="",
               created_at=utcnow(), updated_at=utcnow())
    for bad in ({"status": "deleted"}, {"status": "pending", "spam_score": 1.5},
                {"status": "pending", "abuse_score": -0.1},
                {"status": "pending", "decision_reason": "boring"}):
        with pytest.raises(IntegrityError), store.engine.begin() as connection:
            connection.execute(insert(Comment).values(**row, **bad))


def test_duplicate_returns_the_first_copy_and_stores_nothing(store):
    first = put(store)
    again = store.enqueue(candidate(), decide_as("published"), duplicate_window=600, rate=None)
    assert again.kind == "duplicate" and again.comment.id == first.id
    other_article = store.enqueue(candidate(post_id="p2"), decide_as("published"),
                                  duplicate_window=600, rate=None)
    assert other_article.kind == "created"
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM comments")).scalar() == 2


def test_duplicate_window_expires(store):
    put(store, now=utcnow() - timedelta(minutes=11))
    assert store.enqueue(candidate(), decide_as("published"), duplicate_window=600,
                         rate=None).kind == "created"


def test_flood_counts_by_ip_or_email_and_says_when_to_retry(store):
    now = utcnow()
    rate = RateLimit(count=3, seconds=60)
    put(store, text="one", now=now - timedelta(seconds=50), rate=rate)
    put(store, text="two", now=now - timedelta(seconds=20), ip_hash="ip-2", rate=rate)
    put(store, text="three", now=now - timedelta(seconds=10), email_hash="e-other", rate=rate)
    # Same IP as one and three, same e-mail as one and two: the fourth is over the limit.
    flooded = store.enqueue(candidate(text="four"), decide_as("published"),
                            duplicate_window=600, rate=rate, now=now)
    assert flooded.kind == "flooded"
    assert flooded.retry_after == 10  # the oldest ("one") leaves the window in 10 s
    # Another commenter is not affected, and the same one may post once the window has moved.
    assert put(store, text="x", ip_hash="ip-9", email_hash="e-9", rate=rate, now=now)
    later = store.enqueue(candidate(text="four"), decide_as("published"),
                          duplicate_window=600, rate=rate, now=now + timedelta(seconds=11))
    assert later.kind == "created"


def test_concurrent_double_submit_is_stored_once(db_url):
    # Two workers with their own engines receive the same comment at the same moment.
    stores = [Store(make_engine(db_url)) for _ in range(2)]
    barrier = threading.Barrier(2)
    kinds = []

    def submit(store):
        barrier.wait()
        kinds.append(store.enqueue(candidate(), decide_as("published"), duplicate_window=600,
                                   rate=None).kind)

    threads = [threading.Thread(target=submit, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(kinds) == ["created", "duplicate"]
    for s in stores:
        s.engine.dispose()


def test_approved_count_counts_policy_and_human_approvals_not_log_only(store):
    put(store, "published", text="1")
    put(store, "pending", text="2")
    held = put(store, "pending", text="3")
    store.decide(held.id, "mod", "published")
    # Published only because log-only mode was on: does not earn trust.
    store.enqueue(candidate(text="4"), lambda h: Decision("published", ("log_only",), "pending"),
                  duplicate_window=600, rate=None)
    put(store, "published", text="5", email_hash="e-someone-else")
    assert store.approved_count("e-ann") == 2


def test_enqueue_passes_history_to_the_policy(store):
    put(store, "published", text="1")
    seen = []
    store.enqueue(candidate(text="2"),
                  lambda history: seen.append(history) or Decision("published", (), "published"),
                  duplicate_window=600, rate=None)
    assert seen == [History(approved_count=1)]


def test_feed_threads_oldest_first_published_only_and_pages_by_thread(store):
    now = utcnow()
    a = put(store, text="a", now=now - timedelta(minutes=5))
    b = put(store, text="b", now=now - timedelta(minutes=4))
    a1 = put(store, text="a1", parent_id=a.id, now=now - timedelta(minutes=3))
    a1x = put(store, text="a1x", parent_id=a1.id, now=now - timedelta(minutes=2))
    put(store, "pending", text="held reply", parent_id=a.id, now=now - timedelta(minutes=1))
    put(store, "rejected", text="rejected", now=now)
    put(store, text="elsewhere", post_id="p2")
    assert store.get(a1x.id).root_id == a.id

    first = store.published_for("p1", page=1, per_page=1)
    assert [c.text for c in first.roots] == ["a"]
    assert [c.text for c in first.replies] == ["a1", "a1x"]
    assert (first.total_roots, first.pages) == (2, 2)
    second = store.published_for("p1", page=2, per_page=1)
    assert [c.text for c in second.roots] == ["b"] and second.replies == []
    assert b.id in {c.id for c in second.roots}


def test_replies_only_to_published_comments_of_the_same_article(store):
    published = put(store, text="pub")
    held = put(store, "pending", text="held")
    assert store.thread_root("p1", published.id) == published.id
    for post_id, parent_id in (("p1", held.id), ("p2", published.id), ("p1", 999999)):
        with pytest.raises(ParentError):
            store.thread_root(post_id, parent_id)


def test_pending_queue_oldest_first_or_riskiest_first(store):
    now = utcnow()
    old = put(store, "pending", text="old", scores={"spam": 0.6, "abuse": 0.1},
              now=now - timedelta(minutes=3))
    risky = put(store, "pending", text="risky", scores={"spam": 0.2, "abuse": 0.8},
                now=now - timedelta(minutes=2))
    unscored = put(store, "pending", text="unscored", scores=None, now=now - timedelta(minutes=1))
    put(store, "published", text="not in queue")
    put(store, "rejected", text="not in queue either")
    assert [c.id for c in store.pending("oldest")] == [old.id, risky.id, unscored.id]
    assert [c.id for c in store.pending("risk")] == [unscored.id, risky.id, old.id]


def test_decide_records_an_append_only_audit_entry(store):
    comment = put(store, "rejected", text="spammy")
    store.decide(comment.id, "editor", "published", None)
    store.decide(comment.id, "editor2", "rejected", "spam")
    stored = store.get(comment.id)
    assert (stored.status, stored.decided_by, stored.decision_reason) == \
        ("rejected", "editor2", "spam")
    trail = store.audit_for(comment.id)
    assert [(e.moderator, e.old_status, e.new_status, e.reason) for e in trail] == [
        ("editor", "rejected", "published", None), ("editor2", "published", "rejected", "spam")]
    assert trail[0].spam_score == 0.1 and trail[0].model_version == "test-model"


def test_moderators(store):
    assert not store.has_moderator()
    store.add_moderator("admin", "hash")
    assert store.has_moderator()
    assert store.moderator("admin").must_change_password is True
    with pytest.raises(IntegrityError):
        store.add_moderator("admin", "other")


def test_ping(store):
    store.ping()


def test_approved_count_stops_at_the_trust_cap(store):
    for n in range(5):
        put(store, "published", text=f"p{n}")
    seen = []
    store.enqueue(candidate(text="next"),
                  lambda history: seen.append(history) or Decision("published", (), "published"),
                  duplicate_window=600, rate=None, trust_cap=3)
    assert seen == [History(approved_count=3)]
    assert store.approved_count("e-ann") == 6


def test_enqueue_stores_the_risk_the_queue_orders_by(store):
    scored = put(store, "pending", text="1", scores={"spam": 0.3, "abuse": 0.7})
    unscored = put(store, "pending", text="2", scores=None)
    assert store.get(scored.id).risk == 0.7
    assert store.get(unscored.id).risk == 1.0  # nothing vetted it: riskiest


def test_other_inserts_get_the_risk_from_the_scores_too(store):
    # The ORM and bulk inserts (tests, benchmarks, scripts) leave `risk` out; the column's
    # default computes it, so no writer can store a comment the queue misplaces.
    row = dict(post_id="p", author="a", email="e", email_hash="h", url="", text="t",
               fingerprint="f", permalink="", status="pending", policy_status="pending",
               reasons=[], ip_hash="i", user_agent="", created_at=utcnow(), updated_at=utcnow())
    with store.engine.begin() as connection:
        connection.execute(insert(Comment), [{**row, "spam_score": 0.2, "abuse_score": 0.1},
                                             {**row, "spam_score": None, "abuse_score": 0.4}])
    with store.engine.connect() as connection:
        assert connection.execute(select(Comment.risk).order_by(Comment.id)).scalars().all() \
            == [0.2, 1.0]


@pytest.mark.parametrize("spam, abuse, risk", [
    (0.1, 0.7, 0.7), (0.9, 0.2, 0.9), (0.4, 0.4, 0.4), (None, 0.3, 1.0), (0.3, None, 1.0),
    (None, None, 1.0), (0.0, 0.0, 0.0)])
def test_risk_of(spam, abuse, risk):
    assert risk_of(spam, abuse) == risk


def test_migration_0003_back_fills_risk_and_downgrades(unmigrated_db_url):
    engine = make_engine(unmigrated_db_url)
    upgrade(engine, "0002")
    # The comments table as revision 0002 had it: no risk column.
    comments = table("comments", *(column(name) for name in (
        "post_id", "author", "email", "email_hash", "url", "text", "fingerprint", "permalink",
        "status", "policy_status", "ip_hash", "user_agent", "spam_score", "abuse_score")),
        column("reasons", JSON()), column("created_at", UTCDateTime()),
        column("updated_at", UTCDateTime()))
    scores = [(0.1, 0.7), (0.9, 0.2), (None, 0.3), (None, None), (0.5, 0.5)]
    with engine.begin() as connection:
        connection.execute(insert(comments), [dict(
            post_id="p", author="a", email="e", email_hash="h", url="", text=f"t{n}",
            fingerprint=f"f{n}", permalink="", status="pending", policy_status="pending",
            ip_hash="i", user_agent="", spam_score=spam, abuse_score=abuse, reasons=[],
            created_at=utcnow(), updated_at=utcnow()) for n, (spam, abuse) in enumerate(scores)])
    upgrade(engine, "0003")
    assert current_revision(engine) == "0003"
    with engine.connect() as connection:
        risks = connection.execute(select(Comment.risk).order_by(Comment.id)).scalars().all()
    assert risks == [0.7, 0.9, 1.0, 1.0, 0.5]
    indexes = {index["name"] for index in inspect(engine).get_indexes("comments")}
    assert {"ix_comments_status_risk", "ix_comments_status_decided_by"} <= indexes

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0002")
    assert "risk" not in {c["name"] for c in inspect(engine).get_columns("comments")}
    upgrade(engine)  # and up again: the round trip leaves the same schema
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def test_trust_lookup_reads_only_the_commenters_own_comments(tmp_path):
    # Without statistics SQLite would walk every published comment of the site for each new one.
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.sqlite3'}")
    upgrade(engine)
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + store_module._SQLITE_LOOKUP,
            (None,) * store_module._SQLITE_LOOKUP.count("?")).fetchall()
    details = [row[3] for row in plan]
    assert not any("ix_comments_status" in detail for detail in details), details
    assert any("ix_comments_email_hash_created (email_hash=?" in detail for detail in details)


def test_migration_0007_drops_failed_logins_that_hold_a_typed_name(unmigrated_db_url):
    engine = make_engine(unmigrated_db_url)
    upgrade(engine, "0006")
    failures = table("login_failures", column("key"), column("at", UTCDateTime()))
    with engine.begin() as connection:
        connection.execute(insert(failures), [
            {"key": "name:reader@example.org", "at": utcnow()},
            {"key": "ip:" + "a" * 64, "at": utcnow()}])
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(select(failures.c.key)).scalars().all() == ["ip:" + "a" * 64]
    engine.dispose()


def test_migration_0008_adds_each_comments_language_and_keeps_older_comments_unidentified(
        unmigrated_db_url):
    engine = make_engine(unmigrated_db_url)
    upgrade(engine, "0007")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO comments (post_id, author, email, email_hash, url, text, fingerprint, "
            "permalink, status, policy_status, reasons, risk, ip_hash, user_agent, created_at, "
            "updated_at) VALUES ('demo', 'Ann', 'a@example.org', 'e1', '', 'Stored before.', "
            "'f1', '', 'published', 'published', '[]', 0.1, 'ip1', '', :now, :now)"),
            {"now": utcnow().replace(tzinfo=None)})
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT language FROM comments")).scalar_one() is None
        indexes = {index["name"] for index in inspect(connection).get_indexes("comments")}
    assert "ix_comments_status_language" in indexes
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0007")
    columns = {column["name"] for column in inspect(engine).get_columns("comments")}
    assert "language" not in columns and "text" in columns
    engine.dispose()


def test_migration_0014_gives_every_commented_article_a_row_and_downgrades(unmigrated_db_url):
    engine = make_engine(unmigrated_db_url)
    with engine.connect() as connection:
        before = ScriptDirectory.from_config(alembic_config(connection)).get_revision(
            "0014").down_revision
    upgrade(engine, before)
    first, later = utcnow() - timedelta(days=3), utcnow()
    with engine.begin() as connection:
        for n, (post_id, permalink, at) in enumerate([
                ("bridge", "", first), ("bridge", "https://news.example/bridge", later),
                ("budget", "", later)]):
            connection.execute(text(
                "INSERT INTO comments (post_id, author, email, email_hash, url, text, "
                "fingerprint, permalink, status, policy_status, reasons, risk, ip_hash, "
                "user_agent, created_at, updated_at) VALUES (:post_id, 'Ann', 'a@example.org', "
                "'e1', '', :text, :print, :permalink, 'published', 'published', '[]', 0.1, "
                "'ip1', '', :at, :at)"),
                {"post_id": post_id, "text": f"t{n}", "print": f"f{n}", "permalink": permalink,
                 "at": at if engine.dialect.name == "postgresql" else at.replace(tzinfo=None)})
    upgrade(engine)
    found = Articles(engine).many(["bridge", "budget"])
    assert found["bridge"].first_comment_at == found["bridge"].created_at == first
    assert found["bridge"].permalink == "https://news.example/bridge"
    assert found["budget"].permalink is None
    assert {a.commenting for a in found.values()} == {"auto"}
    assert not any(a.premoderated for a in found.values())
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), before)
    assert "articles" not in inspect(engine).get_table_names()
    upgrade(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def test_copies_of_a_text_are_counted_from_anyone_under_any_article_inside_the_window(store):
    now = utcnow()
    day = RateLimit(count=3, seconds=86400)

    def copies(text_key, repeats=day, at=now, **fields) -> int:
        seen = []
        store.enqueue(candidate(text_key=text_key, **fields),
                      lambda history: seen.append(history.copies) or Decision(
                          "published", (), "published"),
                      duplicate_window=600, rate=None, repeats=repeats, now=at)
        return seen[0]

    wave = [copies("k-wave", post_id=f"p{i}", author=f"A{i}", email_hash=f"e-{i}",
                   text=f"Earn ${i}00 a day at www.{i}.biz") for i in range(4)]
    # Counted up to the copy that holds (count - 1), not every copy of a wave.
    assert wave == [0, 1, 2, 2]
    # Another text, a text without a key, no repeat rule, or copies older than the window: none.
    assert copies("k-other", text="x") == 0
    assert copies(None, text="y") == 0
    assert copies("k-wave", repeats=None, text="z") == 0
    assert copies("k-wave", at=now + timedelta(days=1, seconds=1), text="w") == 0
