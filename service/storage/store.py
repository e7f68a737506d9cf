"""The comment store and review queue behind a small interface.

Views never touch SQLAlchemy: they call `enqueue`, `published_for`, `pending`, `decide`, ...
Each method is one unit of work with its own short session. SQLite and PostgreSQL differ only in
how `enqueue` serialises concurrent intake (`_intake_lock`, `_lock_commenters`); the tests run
every case against both.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator, Literal

from sqlalchemy import Connection, Engine, bindparam, func, insert, null, or_, select
from sqlalchemy.orm import sessionmaker

from service.config import RateLimit
from service.storage.db import IMMEDIATE, lock_names
from service.decisions.language import UNKNOWN
from service.decisions.policy import Decision, History
from service.storage.tables import (Article, AuditEntry, Comment, CommenterStanding,
                                    EmailDomainRule, FeedVersion, Moderator, risk_of, utcnow)


@dataclass(frozen=True)
class Candidate:
    """A validated comment, already scored, not yet decided or stored."""

    post_id: str
    author: str
    email: str
    email_hash: str
    text: str
    ip_hash: str
    email_domain: str = ""  # service.privacy.keys.email_domain: what e-mail-domain rules match
    url: str = ""
    permalink: str = ""
    parent_id: int | None = None
    user_agent: str = ""
    scores: dict[str, float] | None = None
    model_version: str | None = None
    language: str | None = None  # service.decisions.language: a code, or "unknown"
    premoderated: bool = False  # its article holds every comment (service.articles.records)
    text_key: str | None = None  # service.decisions.rules.repeat_key: finds copies of the text


@dataclass(frozen=True)
class Receipt:
    """What intake answers about a stored comment (cheaper to build than an ORM object)."""

    id: int
    status: str
    reasons: tuple[str, ...]
    spam_score: float | None
    abuse_score: float | None
    permalink: str
    model_version: str | None = None  # known for a comment just stored; None for a duplicate
    language: str | None = None

    @property
    def scores(self) -> dict[str, float | None]:
        return {"spam": self.spam_score, "abuse": self.abuse_score}


@dataclass(frozen=True)
class Outcome:
    kind: Literal["created", "duplicate", "flooded", "refused"]
    comment: Receipt | None = None  # the new comment, or the first copy for a duplicate
    retry_after: int | None = None  # seconds, when flooded
    refusal: str | None = None  # why, when refused: Decision.refused (service.decisions.policy)


@dataclass(frozen=True)
class FeedPage:
    roots: list[Comment]  # top-level published comments of this page, oldest first
    replies: list[Comment]  # published replies within those threads, oldest first
    total_roots: int
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pages", max(1, math.ceil(self.total_roots / self.per_page)))


@dataclass(frozen=True)
class FeedVersionRow:
    number: int
    changed_us: int  # microseconds since 1970, UTC; 0 when never changed


@dataclass(frozen=True)
class CommentingRow:
    """An article's commenting rules: the columns of its row that service.articles.records reads to
    tell whether comments are closed, without the rest of the row or an ORM object."""

    commenting: str
    close_after_days: int | None
    close_from: str | None
    published_at: datetime | None
    first_comment_at: datetime | None
    created_at: datetime | None


@dataclass(frozen=True)
class ArticleRow(CommentingRow):
    """An article's whole row as intake and the article page read it: plain values, no ORM
    object (building a mapped instance cost intake as much as the read itself)."""

    post_id: str = ""
    title: str | None = None
    permalink: str | None = None
    section: str | None = None
    premoderated: bool = False


class ParentError(LookupError):
    """The reply's parent does not exist on this article or is not published."""


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session = sessionmaker(engine, expire_on_commit=False)
        self._write_engine = engine.execution_options(**IMMEDIATE)
        database = engine.url.database
        self._lock_path = f"{database}.intake-lock" if engine.dialect.name == "sqlite" \
            and database and database != ":memory:" else None
        self._write_session = sessionmaker(self._write_engine, expire_on_commit=False)
        self._sqlite_reader = _ThreadReader(database) if self._lock_path else None

    # -- intake ---------------------------------------------------------------------------------

    def thread_root(self, post_id: str, parent_id: int | None) -> int | None:
        """The root of the thread a reply joins (None for a top-level comment).

        Raises ParentError when the parent is missing, on another article or not published:
        readers can only answer what they can see (WordPress refuses the same with a 403)."""
        if parent_id is None:
            return None
        with self._session() as session:
            parent = session.get(Comment, parent_id)
        if parent is None or parent.post_id != post_id or parent.status != "published":
            raise ParentError(parent_id)
        return parent.root_id or parent.id

    def enqueue(self, candidate: Candidate, decide: Callable[[History], Decision], *,
                duplicate_window: int, rate: RateLimit | None, trust_cap: int = 100,
                repeats: RateLimit | None = None, now: datetime | None = None) -> Outcome:
        """Store `candidate` with the status `decide(history)` returns, unless the decision refuses
        it (Outcome "refused": a moderator banned the commenter or refused their e-mail domain),
        it repeats a recent comment ("duplicate") or the commenter is over `rate` ("flooded");
        those store nothing. The history's approved count stops at `trust_cap` (the policy only
        asks "at least K?"); its standing and domain rule are what moderators set
        (service.commenters); its copies are the earlier comments with the same text key from
        anyone inside `repeats`' window, counted up to one less than its count (the copy that
        holds: service.decisions.policy).

        The checks and the insert happen under one lock per commenter, so two workers (or two
        hosts on PostgreSQL) receiving a double-click cannot both store it. This is the hot path
        of intake, so it runs three prepared statements on one connection, not an ORM session:
        one lookup (the first copy, the flood count, the approved count, the commenter's
        standing and domain rule by primary key, and the text's copies), the insert, and a
        receipt for a duplicate."""
        return self.enqueue_many([(candidate, decide)], duplicate_window=duplicate_window,
                                 rate=rate, trust_cap=trust_cap, repeats=repeats, now=now)[0]

    def enqueue_many(self, items: list[tuple[Candidate, Callable[[History], Decision]]], *,
                     duplicate_window: int, rate: RateLimit | None, trust_cap: int = 100,
                     repeats: RateLimit | None = None,
                     now: datetime | None = None) -> list[Outcome]:
        """`enqueue` for several comments in one transaction (group commit), in order: a later
        item sees the earlier ones, so a copy within the group is still a duplicate.

        Raises ParentError for the first reply whose parent is gone, storing none of them."""
        now = now or utcnow()
        roots = [self.thread_root(candidate.post_id, candidate.parent_id)
                 for candidate, _ in items]
        outcomes = []
        with self._intake_transaction([candidate for candidate, _ in items]) as intake:
            for (candidate, decide), root_id in zip(items, roots):
                outcomes.append(self._enqueue_one(intake, candidate, decide, root_id, now,
                                                  duplicate_window, rate, trust_cap, repeats))
        return outcomes

    @staticmethod
    def _enqueue_one(intake, candidate: Candidate, decide: Callable[[History], Decision],
                     root_id: int | None, now: datetime, duplicate_window: int,
                     rate: RateLimit | None, trust_cap: int,
                     repeats: RateLimit | None = None) -> Outcome:
        print_ = fingerprint(candidate)
        copies_since = (now - timedelta(seconds=repeats.seconds), repeats.count - 1) \
            if repeats and candidate.text_key else None
        first_id, nth_recent, approved, standing, domain_rule, copies = intake.lookup(
            fingerprint=print_, email_hash=candidate.email_hash,
            email_domain=candidate.email_domain, ip_hash=candidate.ip_hash,
            dup_since=now - timedelta(seconds=duplicate_window),
            flood=rate and (now - timedelta(seconds=rate.seconds), rate.count - 1),
            cap=trust_cap, text_key=candidate.text_key, repeats=copies_since)
        decision = decide(History(approved_count=approved or 0, standing=standing,
                                  domain_rule=domain_rule, copies=copies or 0))
        # Before the duplicate and flood answers here: a banned commenter is told so every time.
        if decision.refused:
            return Outcome("refused", refusal=decision.refused)
        if first_id is not None:
            return Outcome("duplicate", intake.receipt(first_id))
        if nth_recent is not None:
            # The commenter has `count` comments in the window; a slot frees when the oldest of
            # them leaves it.
            frees_at = nth_recent + timedelta(seconds=rate.seconds)
            return Outcome("flooded",
                           retry_after=max(1, math.ceil((frees_at - now).total_seconds())))
        values = _row(candidate, decision, root_id, now, print_)
        comment_id = intake.insert(values)
        return Outcome("created", Receipt(comment_id, decision.status, tuple(decision.reasons),
                                          values["spam_score"], values["abuse_score"],
                                          candidate.permalink, candidate.model_version,
                                          candidate.language))

    @contextmanager
    def _intake_transaction(self, candidates: list[Candidate]
                            ) -> Iterator["_CoreIntake | _SqliteIntake"]:
        """One write transaction holding intake's lock for these commenters, committed on
        leaving.

        SQLite runs the three statements on the driver's own connection: they are the whole of
        a comment's database work, and SQLAlchemy's per-statement bookkeeping cost several times
        what SQLite itself spends on them (bench/README.md, "Service"). PostgreSQL keeps Core:
        there a network round trip dominates each statement anyway."""
        if self.engine.dialect.name != "sqlite":
            with self._write_engine.begin() as connection:
                self._lock_commenters(connection, candidates)
                yield _CoreIntake(connection)
            return
        with self._intake_lock():
            pooled = self.engine.raw_connection()
            try:
                connection = pooled.driver_connection
                connection.execute("BEGIN IMMEDIATE")
                try:
                    yield _SqliteIntake(connection)
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
            finally:
                pooled.close()  # back to the pool

    @contextmanager
    def _intake_lock(self) -> Iterator[None]:
        """On SQLite, queue intake writers on a lock file before BEGIN IMMEDIATE.

        SQLite's own busy handler polls with sleeps (1, 2, 5, 10 ms...), so two gunicorn
        workers contending for the write lock lose milliseconds per comment; a blocking flock
        wakes the next writer the moment the previous one is done. Separate open() calls
        exclude each other even within one process, so threads are covered too."""
        if self._lock_path is None:
            yield
            return
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _lock_commenters(self, connection: Connection, candidates: list[Candidate]) -> None:
        # Everything the checks match on (SQLite: the IMMEDIATE transaction's lock suffices).
        lock_names(connection, (name for candidate in candidates
                                for name in (f"ip:{candidate.ip_hash}",
                                             f"email:{candidate.email_hash}",
                                             f"dup:{fingerprint(candidate)}")))

    # -- reading --------------------------------------------------------------------------------

    def get(self, comment_id: int) -> Comment | None:
        with self._session() as session:
            return session.get(Comment, comment_id)

    def published_for(self, post_id: str, page: int = 1, per_page: int = 50) -> FeedPage:
        """One page of an article's published threads: `per_page` top-level comments, oldest
        first, with all their published replies."""
        published_here = (Comment.post_id == post_id, Comment.status == "published")
        with self._session() as session:
            total = session.scalar(select(func.count()).select_from(Comment).where(
                *published_here, Comment.parent_id.is_(None))) or 0
            roots = list(session.scalars(
                select(Comment).where(*published_here, Comment.parent_id.is_(None))
                .order_by(Comment.created_at, Comment.id)
                .offset((page - 1) * per_page).limit(per_page)))
            replies = list(session.scalars(
                select(Comment).where(*published_here,
                                      Comment.root_id.in_([root.id for root in roots]))
                .order_by(Comment.created_at, Comment.id))) if roots else []
        return FeedPage(roots, replies, total, page, per_page)

    def feed_version(self, post_id: str) -> FeedVersionRow:
        """What readers see of an article, as a number (kept by the database's triggers,
        migration 0012): (0, 0) for an article that never had a published comment. One
        primary-key read, so a conditional GET costs no more than this."""
        if self._sqlite_reader is not None:
            # fetchall: the statement runs to its end, so it holds no read snapshot after.
            rows = self._sqlite_reader.connection().execute(_SQLITE_FEED_VERSION,
                                                            (post_id,)).fetchall()
            row = rows[0] if rows else None
        else:
            with self.engine.connect() as connection:
                row = connection.execute(_FEED_VERSION, {"post_id": post_id}).first()
        return FeedVersionRow(*row) if row else FeedVersionRow(0, 0)

    def reader_state(self, post_id: str) -> tuple[FeedVersionRow, CommentingRow | None]:
        """The article's feed version and its commenting rules (None: an article never seen):
        all that every reader's request reads before its page. Plain columns, no ORM object;
        on SQLite one statement on the per-thread connection."""
        if self._sqlite_reader is not None:
            number, changed_us, seen, *rules = self._sqlite_reader.connection().execute(
                _SQLITE_READER_STATE, (post_id,)).fetchall()[0]  # one row: the LEFT JOINs
            version = FeedVersionRow(number, changed_us) if number is not None \
                else FeedVersionRow(0, 0)
            if not seen:
                return version, None
            values = dict(zip(_COMMENTING_COLUMNS, rules))
            for name in _ARTICLE_TIMES:
                values[name] = _from_sqlite_time(values[name])
            return version, CommentingRow(**values)
        with self.engine.connect() as connection:
            row = connection.execute(_FEED_VERSION, {"post_id": post_id}).first()
            rules = connection.execute(_COMMENTING, {"post_id": post_id}).first()
        return (FeedVersionRow(*row) if row else FeedVersionRow(0, 0),
                CommentingRow(*rules) if rules else None)

    def article(self, post_id: str) -> ArticleRow | None:
        """What the service knows of an article (service.articles.records), read for every comment
        and every reader's page: one primary-key read, on SQLite through the same per-thread
        connection as `feed_version`."""
        if self._sqlite_reader is None:
            with self.engine.connect() as connection:
                row = connection.execute(_ARTICLE_ROW, {"post_id": post_id}).first()
            return None if row is None else ArticleRow(**row._asdict())
        rows = self._sqlite_reader.connection().execute(_SQLITE_ARTICLE, (post_id,)).fetchall()
        if not rows:
            return None
        values = dict(zip(_ARTICLE_COLUMNS, rows[0]))
        for name in _ARTICLE_TIMES:
            values[name] = _from_sqlite_time(values[name])
        values["premoderated"] = bool(values["premoderated"])
        return ArticleRow(**values)

    def pending(self, order: Literal["oldest", "risk"] = "oldest",
                limit: int = 50) -> list[Comment]:
        """The review queue: the comments table seen through the `pending` status."""
        if order == "oldest":
            ordering = (Comment.created_at, Comment.id)
        elif order == "risk":
            ordering = (Comment.risk.desc(), Comment.created_at, Comment.id)
        else:
            raise ValueError(f"unknown queue order {order!r}")
        with self._session() as session:
            return list(session.scalars(
                select(Comment).where(Comment.status == "pending").order_by(*ordering)
                .limit(limit)))

    def recent_scores(self, model_version: str, limit: int) -> list[tuple[float, float]]:
        """(spam, abuse) of the newest ``limit`` comments ``model_version`` scored: the site's
        own score distribution, which the hold budget learns from
        (service/decisions/hold_budget.py)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(Comment.spam_score, Comment.abuse_score, Comment.language)
                .where(Comment.model_version == model_version,
                       Comment.spam_score.is_not(None), Comment.abuse_score.is_not(None))
                .order_by(Comment.id.desc()).limit(limit))
            # Comments whose language was not told are scored on confident lines only
            # (service.decisions.language_policy): they are traffic the budget is a share of, but an
            # uncertain score never holds them, so they count as scoring nothing.
            return [(0.0, 0.0) if language == UNKNOWN else (spam, abuse)
                    for spam, abuse, language in rows]

    def approved_count(self, email_hash: str, cap: int = 1_000_000) -> int:
        with self.engine.connect() as connection:
            return connection.execute(_APPROVED, {"email_hash": email_hash,
                                                  "cap": cap}).scalar() or 0

    # -- human decisions ------------------------------------------------------------------------

    def decide(self, comment_id: int, moderator: str, new_status: str,
               reason: str | None = None) -> Comment:
        """Record a moderator's decision on a comment and append it to the audit log."""
        with self._write_session.begin() as session:
            comment = session.get(Comment, comment_id)
            if comment is None:
                raise LookupError(comment_id)
            now = utcnow()
            session.add(AuditEntry(
                comment_id=comment.id, moderator=moderator, at=now, old_status=comment.status,
                new_status=new_status, reason=reason, model_version=comment.model_version,
                spam_score=comment.spam_score, abuse_score=comment.abuse_score))
            comment.status, comment.decision_reason = new_status, reason
            comment.decided_by, comment.decided_at = moderator, now
            comment.lease_owner = comment.lease_until = None
        return comment

    def audit_for(self, comment_id: int) -> list[AuditEntry]:
        with self._session() as session:
            return list(session.scalars(select(AuditEntry).where(
                AuditEntry.comment_id == comment_id).order_by(AuditEntry.at, AuditEntry.id)))

    # -- moderators -----------------------------------------------------------------------------

    def has_moderator(self) -> bool:
        with self._session() as session:
            return session.scalar(select(func.count()).select_from(Moderator)) > 0

    def add_moderator(self, name: str, password_hash: str, *,
                      must_change_password: bool = True) -> Moderator:
        with self._write_session.begin() as session:
            moderator = Moderator(name=name, password_hash=password_hash, active=True,
                                  created_at=utcnow(), must_change_password=must_change_password)
            session.add(moderator)
        return moderator

    def moderator(self, name: str) -> Moderator | None:
        with self._session() as session:
            return session.scalars(select(Moderator).where(Moderator.name == name)).first()

    # -- health ---------------------------------------------------------------------------------

    def ping(self) -> None:
        """Raise if the database cannot answer, or has no schema yet (init-db not run)."""
        with self.engine.connect() as connection:
            connection.execute(select(Comment.id).limit(1))


# Built once: intake runs these for every comment, and building a statement costs more than
# running it on SQLite.
_FIRST_COPY = (select(Comment.id)
               .where(Comment.fingerprint == bindparam("fingerprint"),
                      Comment.created_at >= bindparam("dup_since"))
               .order_by(Comment.created_at, Comment.id).limit(1))
# Flood control counts stored comments (same IP hash or same e-mail hash), so the limit holds
# across workers and hosts without a shared cache: the commenter is over the limit when a
# `count`-th most recent comment exists inside the window.
_NTH_RECENT = (select(Comment.created_at)
               .where(or_(Comment.ip_hash == bindparam("ip_hash"),
                          Comment.email_hash == bindparam("email_hash")),
                      Comment.created_at > bindparam("flood_since"))
               .order_by(Comment.created_at.desc()).limit(1).offset(bindparam("nth")))
# Published by a human, or by the policy itself; comments published only because log-only mode
# was on do not earn trust (their policy_status says what the policy thought).
# Counted only up to `cap` (the trust threshold): a prolific commenter's thousandth comment must
# not read their other 999.
_APPROVED = select(func.count()).select_from(
    select(Comment.id)
    .where(Comment.email_hash == bindparam("email_hash"), Comment.status == "published",
           or_(Comment.decided_by.is_not(None), Comment.policy_status == "published"))
    .limit(bindparam("cap")).subquery())
# What moderators set for this commenter and for their e-mail domain: a primary-key probe each.
_STANDING = select(CommenterStanding.standing).where(
    CommenterStanding.email_hash == bindparam("email_hash"))
_DOMAIN_RULE = select(EmailDomainRule.rule).where(
    EmailDomainRule.domain == bindparam("email_domain"))
# Earlier copies of the same text from anyone, under any article, inside the window; counted only
# up to the number that holds (a wave's thousandth copy must not count the other 999).
_REPEATS = select(func.count()).select_from(
    select(Comment.id)
    .where(Comment.text_key == bindparam("text_key"),
           Comment.created_at >= bindparam("repeat_since"))
    .limit(bindparam("repeat_cap")).subquery())
_HISTORY = (_APPROVED.scalar_subquery(), _STANDING.scalar_subquery(),
                      _DOMAIN_RULE.scalar_subquery(), _REPEATS.scalar_subquery())
_LOOKUP = select(_FIRST_COPY.scalar_subquery(), _NTH_RECENT.scalar_subquery(), *_HISTORY)
_LOOKUP_NO_FLOOD = select(_FIRST_COPY.scalar_subquery(), null(), *_HISTORY)
_RECEIPT = select(Comment.id, Comment.status, Comment.reasons, Comment.spam_score,
                  Comment.abuse_score, Comment.permalink, Comment.language
                  ).where(Comment.id == bindparam("id"))
_INSERT = insert(Comment.__table__)
_FEED_VERSION = select(FeedVersion.version, FeedVersion.changed_us).where(
    FeedVersion.post_id == bindparam("post_id"))
_COMMENTING_COLUMNS = ("commenting", "close_after_days", "close_from", "published_at",
                       "first_comment_at", "created_at")  # CommentingRow's fields, in order
_COMMENTING = select(*(Article.__table__.c[name] for name in _COMMENTING_COLUMNS)).where(
    Article.post_id == bindparam("post_id"))


def _receipt(row) -> Receipt:
    return Receipt(row.id, row.status, tuple(row.reasons), row.spam_score, row.abuse_score,
                   row.permalink, language=row.language)


class _CoreIntake:
    """Intake's three statements through SQLAlchemy Core, on any backend (used for PostgreSQL)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def lookup(self, *, fingerprint: str, email_hash: str, email_domain: str, ip_hash: str,
               dup_since: datetime, flood: tuple[datetime, int] | None, cap: int,
               text_key: str | None = None, repeats: tuple[datetime, int] | None = None
               ) -> tuple:
        """(first copy's id, the commenter's nth most recent time, approved count, standing,
        domain rule, earlier copies of the text), in one round trip; the second is None when
        flood control is off (`flood` is None), the standing and rule when moderators set none;
        the copies are counted since `repeats`' time and up to its count (0 when it is None)."""
        flood_since, nth = flood or (dup_since, 0)
        repeat_since, repeat_cap = repeats or (dup_since, 0)
        return tuple(self.connection.execute(_LOOKUP if flood else _LOOKUP_NO_FLOOD, {
            "fingerprint": fingerprint, "email_hash": email_hash, "email_domain": email_domain,
            "ip_hash": ip_hash, "dup_since": dup_since, "flood_since": flood_since, "nth": nth,
            "cap": cap, "text_key": text_key, "repeat_since": repeat_since,
            "repeat_cap": repeat_cap}).one())

    def receipt(self, comment_id: int) -> Receipt:
        return _receipt(self.connection.execute(_RECEIPT, {"id": comment_id}).one())

    def insert(self, values: dict) -> int:
        return self.connection.execute(_INSERT, values).inserted_primary_key[0]


class _SqliteIntake:
    """The same statements on the sqlite3 driver's connection, inside the caller's transaction.

    Values are written the way SQLAlchemy writes them on SQLite (times as naive UTC text
    "YYYY-MM-DD HH:MM:SS.ffffff", lists as JSON text), so the ORM reads these rows like any
    other and text comparison keeps time order."""

    def __init__(self, connection) -> None:
        self.connection = connection

    def lookup(self, *, fingerprint: str, email_hash: str, email_domain: str, ip_hash: str,
               dup_since: datetime, flood: tuple[datetime, int] | None, cap: int,
               text_key: str | None = None, repeats: tuple[datetime, int] | None = None
               ) -> tuple:
        repeat_since, repeat_cap = repeats or (dup_since, 0)
        history = (email_hash, cap, email_hash, email_domain, text_key,
                             _sqlite_time(repeat_since), repeat_cap)
        if flood:
            flood_since, nth = flood
            row = self.connection.execute(_SQLITE_LOOKUP, (
                fingerprint, _sqlite_time(dup_since), ip_hash, email_hash,
                _sqlite_time(flood_since), nth, *history)).fetchone()
        else:
            row = self.connection.execute(_SQLITE_LOOKUP_NO_FLOOD, (
                fingerprint, _sqlite_time(dup_since), *history)).fetchone()
        first_id, nth_recent, approved, standing, domain_rule, copies = row
        return first_id, _from_sqlite_time(nth_recent), approved, standing, domain_rule, copies

    def receipt(self, comment_id: int) -> Receipt:
        id_, status, reasons, spam, abuse, permalink, language = self.connection.execute(
            _SQLITE_RECEIPT, (comment_id,)).fetchone()
        return Receipt(id_, status, tuple(json.loads(reasons)), spam, abuse, permalink,
                       language=language)

    def insert(self, values: dict) -> int:
        return self.connection.execute(_SQLITE_INSERT, [
            _sqlite_value(values[name]) for name in _INSERT_COLUMNS]).lastrowid


class _ThreadReader:
    """One read-only sqlite3 connection per thread, for the feed's version check: the read every
    reader's request makes, where checking a connection out of SQLAlchemy's pool and running
    a statement through Core cost several times the read itself. Outside a transaction each
    SELECT sees the latest commit, so a long-lived connection reads nothing stale."""

    def __init__(self, path: str) -> None:
        self.uri = f"file:{path}?mode=ro"
        self._local = threading.local()

    def connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.uri, uri=True, isolation_level=None,
                                         check_same_thread=False)
            self._local.connection = connection
        return connection


def _sqlite_time(value: datetime) -> str:
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")


def _from_sqlite_time(value: str | None) -> datetime | None:
    """A time as _sqlite_time (or UTCDateTime) stored it, read back as an aware UTC datetime."""
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=timezone.utc)


def _sqlite_value(value):
    if isinstance(value, datetime):
        return _sqlite_time(value)
    if isinstance(value, list):
        return json.dumps(value)
    return value


# Written out for SQLite; each mirrors the Core statement of the same name above.
_SQLITE_FIRST_COPY = ("SELECT id FROM comments WHERE fingerprint = ? AND created_at >= ? "
                      "ORDER BY created_at, id LIMIT 1")
_SQLITE_NTH_RECENT = ("SELECT created_at FROM comments WHERE (ip_hash = ? OR email_hash = ?) "
                      "AND created_at > ? ORDER BY created_at DESC LIMIT 1 OFFSET ?")
# INDEXED BY: without statistics (nothing runs ANALYZE on a deployed store) SQLite would pick
# the index on status and read every published comment of the site for each new one.
_SQLITE_APPROVED = ("SELECT count(*) FROM (SELECT id FROM comments "
                    "INDEXED BY ix_comments_email_hash_created WHERE email_hash = ? "
                    "AND status = 'published' "
                    "AND (decided_by IS NOT NULL OR policy_status = 'published') LIMIT ?)")
_SQLITE_HISTORY = (
    f"({_SQLITE_APPROVED}), "
    "(SELECT standing FROM commenter_standings WHERE email_hash = ?), "
    "(SELECT rule FROM email_domain_rules WHERE domain = ?), "
    "(SELECT count(*) FROM (SELECT id FROM comments INDEXED BY ix_comments_text_key_created "
    "WHERE text_key = ? AND created_at >= ? LIMIT ?))")
_SQLITE_LOOKUP = (f"SELECT ({_SQLITE_FIRST_COPY}), ({_SQLITE_NTH_RECENT}), "
                  f"{_SQLITE_HISTORY}")
_SQLITE_LOOKUP_NO_FLOOD = f"SELECT ({_SQLITE_FIRST_COPY}), NULL, {_SQLITE_HISTORY}"
_SQLITE_FEED_VERSION = "SELECT version, changed_us FROM feed_versions WHERE post_id = ?"
_SQLITE_READER_STATE = (
    "SELECT v.version, v.changed_us, a.post_id IS NOT NULL, "
    f"{', '.join('a.' + name for name in _COMMENTING_COLUMNS)} "
    "FROM (SELECT ? AS post_id) AS k "
    "LEFT JOIN feed_versions AS v ON v.post_id = k.post_id "
    "LEFT JOIN articles AS a ON a.post_id = k.post_id")
_ARTICLE_COLUMNS = tuple(column.name for column in Article.__table__.columns)
_ARTICLE_TIMES = ("published_at", "first_comment_at", "created_at")
_ARTICLE_ROW = select(*Article.__table__.columns).where(
    Article.post_id == bindparam("post_id"))
_SQLITE_ARTICLE = f"SELECT {', '.join(_ARTICLE_COLUMNS)} FROM articles WHERE post_id = ?"
_SQLITE_RECEIPT = ("SELECT id, status, reasons, spam_score, abuse_score, permalink, language "
                   "FROM comments WHERE id = ?")
_INSERT_COLUMNS = tuple(column.name for column in Comment.__table__.columns
                        if column.name != "id")
_SQLITE_INSERT = (f"INSERT INTO comments ({', '.join(_INSERT_COLUMNS)}) "
                  f"VALUES ({', '.join('?' for _ in _INSERT_COLUMNS)})")


def _row(candidate: Candidate, decision: Decision, root_id: int | None, now: datetime,
         print_: str) -> dict:
    scores = candidate.scores or {}
    return dict(
        post_id=candidate.post_id, parent_id=candidate.parent_id, root_id=root_id,
        author=candidate.author, email=candidate.email, email_hash=candidate.email_hash,
        url=candidate.url, text=candidate.text, fingerprint=print_, text_key=candidate.text_key,
        permalink=candidate.permalink, status=decision.status,
        policy_status=decision.policy_status, reasons=list(decision.reasons),
        spam_score=scores.get("spam"), abuse_score=scores.get("abuse"),
        risk=risk_of(scores.get("spam"), scores.get("abuse")),
        model_version=candidate.model_version, language=candidate.language,
        ip_hash=candidate.ip_hash,
        user_agent=candidate.user_agent, created_at=now, updated_at=now,
        decided_by=None, decided_at=None, decision_reason=None, lease_owner=None,
        lease_until=None, spot_check=decision.spot_check, returned_for=None,
    )


def fingerprint(candidate: Candidate) -> str:
    """Same article, same author, same text: the same comment (WordPress's duplicate rule, minus
    the e-mail, so a second address does not make a copy new)."""
    key = "\x1f".join((candidate.post_id, candidate.author, candidate.text))
    return hashlib.sha256(key.encode()).hexdigest()

