"""The database tables as SQLAlchemy 2 mapped classes.

Named `tables.py` because "model" means the classifier here. The schema itself is created and
upgraded by the Alembic migrations in `service/storage/migrations/`; a test compares these classes
with the migrated database so the two cannot drift apart. Column names are a contract with the
retraining script (see docs/service.md, "Labels for retraining").
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, DateTime, Float, ForeignKey,
                        Index, Integer, LargeBinary, String, Text, TypeDecorator, UniqueConstraint,
                        false)
from sqlalchemy import text as sql_text  # `text` is also a column of Comment
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STATUSES = ("published", "pending", "rejected")
DECISION_REASONS = ("spam", "abuse", "off-topic", "other")
# Why a comment someone had already published or decided is back in the review queue (migration
# 0015): readers reported it, or its commenter appealed the rejection. Also the audit log's
# action for the row that put it back.
RETURN_MARKS = ("reported", "appeal")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend. SQLite has no time zones and hands back naive
    values, so they are stored as naive UTC and re-tagged on the way out."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use aware UTC")
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None \
            else value.astimezone(timezone.utc)

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(DateTime(timezone=dialect.name == "postgresql"))


def risk_of(spam_score: float | None, abuse_score: float | None) -> float:
    """How risky a comment is, 0 to 1: the higher of its two scores. Unscored comments (the
    classifier was down) count as riskiest, 1.0: nothing vetted them."""
    return max(1.0 if spam_score is None else spam_score,
               1.0 if abuse_score is None else abuse_score)


def _risk_default(context) -> float:
    # Any insert that leaves `risk` out (the ORM, bulk inserts) gets it from the row's scores.
    row = context.get_current_parameters()
    return risk_of(row.get("spam_score"), row.get("abuse_score"))


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    pass


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="ck_comments_status"),
        CheckConstraint(_in("policy_status", STATUSES), name="ck_comments_policy_status"),
        CheckConstraint("spam_score IS NULL OR (spam_score >= 0 AND spam_score <= 1)",
                        name="ck_comments_spam_score"),
        CheckConstraint("abuse_score IS NULL OR (abuse_score >= 0 AND abuse_score <= 1)",
                        name="ck_comments_abuse_score"),
        CheckConstraint("decision_reason IS NULL OR " + _in("decision_reason", DECISION_REASONS),
                        name="ck_comments_decision_reason"),
        # The feed: one article's published comments, oldest first.
        Index("ix_comments_post_status_created", "post_id", "status", "created_at"),
        # The review queue: pending, oldest first.
        Index("ix_comments_status_created", "status", "created_at"),
        # Flood control and trust look commenters up by their hashes.
        Index("ix_comments_ip_hash_created", "ip_hash", "created_at"),
        Index("ix_comments_email_hash_created", "email_hash", "created_at"),
        # Duplicate detection: one probe instead of comparing the text of every comment.
        Index("ix_comments_fingerprint_created", "fingerprint", "created_at"),
        # Copies of one text from several commenters or articles (migration 0016).
        Index("ix_comments_text_key_created", "text_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[str] = mapped_column(String(64),
                                         comment="The article (WordPress comment_post_ID)")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), nullable=True)
    root_id: Mapped[int | None] = mapped_column(
        Integer, nullable=True, comment="Top-level ancestor, so the feed pages over threads")
    author: Mapped[str] = mapped_column(String(245))
    email: Mapped[str] = mapped_column(String(100))
    email_hash: Mapped[str] = mapped_column(
        String(64), comment="HMAC-SHA256 hex of the lower-cased e-mail, keyed")
    url: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(
        String(64), comment="SHA-256 of article, author and text: finds repeated comments")
    permalink: Mapped[str] = mapped_column(String(2000), default="")
    status: Mapped[str] = mapped_column(String(16))
    policy_status: Mapped[str] = mapped_column(
        String(16), comment="What the policy chose; differs from status only in log-only mode")
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    spam_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    abuse_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Added by migration 0003; never changes, as the scores never do.
    risk: Mapped[float] = mapped_column(
        Float, default=_risk_default, server_default=sql_text("1.0"),
        comment="risk_of(spam_score, abuse_score): the review queue's order, indexed")
    model_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # Added by migration 0008.
    language: Mapped[str | None] = mapped_column(
        String(16), nullable=True,
        comment="ISO 639-1 code the comment was identified in, 'unknown' (too short or mixed); "
                "NULL: stored before languages were identified")
    ip_hash: Mapped[str] = mapped_column(
        String(64), comment="Keyed HMAC of the client IP; never the raw IP")
    user_agent: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    decided_by: Mapped[str | None] = mapped_column(
        String(100), nullable=True, comment="Moderator name; NULL means no human decided")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Added by migration 0009; set at intake and never changed (service/decisions/spot_checks.py).
    spot_check: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(),
        comment="Published by the policy and picked at random for a moderator to check")
    # Added by migration 0015 (service/readers). No CHECK: adding one to this table would rebuild
    # it on SQLite, and with it the feed's triggers; the values are RETURN_MARKS.
    returned_for: Mapped[str | None] = mapped_column(
        String(16), nullable=True,
        comment="Why it is back in the review queue: 'reported' (readers reported it) or "
                "'appeal' (its commenter appealed the rejection); NULL otherwise")

    # Added by migration 0016 (service/decisions/rules.py, `repeat_key`).
    text_key: Mapped[str | None] = mapped_column(
        String(64), nullable=True,
        comment="SHA-256 of the normalised text (links and numbers folded): finds the same text "
                "pasted by several commenters or under several articles; NULL for short texts")

    @property
    def scores(self) -> dict[str, float | None]:
        return {"spam": self.spam_score, "abuse": self.abuse_score}


# The review queue, riskiest first (then oldest): a keyset page seeks into this index and reads
# 25 entries instead of sorting every pending comment. Declared here, not in __table_args__,
# because a descending key needs the column object.
Index("ix_comments_status_risk", Comment.status, Comment.risk.desc(), Comment.created_at,
      Comment.id)
# The per-status counts every queue page shows: read from this index, not from the table.
Index("ix_comments_status_decided_by", Comment.status, Comment.decided_by)
# The review queue filtered by language (migration 0008).
Index("ix_comments_status_language", Comment.status, Comment.language)
# Spot checks, partial indexes on both backends, so each is as small as the set it serves: the
# open ones (service.decisions.spot_checks.OPEN, written the same way) in each of the queue's
# orders, found without reading the other published comments; and all of them by outcome, for the
# estimate.
_OPEN = "spot_check {} AND status = 'published' AND decided_by IS NULL"
_OPEN_ONLY = dict(sqlite_where=sql_text(_OPEN.format("= 1")),
                  postgresql_where=sql_text(_OPEN.format("= true")))
Index("ix_comments_spot_check_open_risk", Comment.status, Comment.risk.desc(), Comment.created_at,
      Comment.id, **_OPEN_ONLY)
Index("ix_comments_spot_check_open_created", Comment.status, Comment.created_at, Comment.id,
      **_OPEN_ONLY)
Index("ix_comments_spot_check", Comment.status, Comment.decided_by,
      sqlite_where=sql_text("spot_check = 1"), postgresql_where=sql_text("spot_check = true"))
# Comments readers reported back into the queue wait in the pending tab even while published
# (service.readers.reports.LIVE): partial indexes hold only those few, one per queue order, like
# the spot checks' (migration 0015).
_REPORTED_ONLY = dict(sqlite_where=sql_text("returned_for = 'reported'"),
                      postgresql_where=sql_text("returned_for = 'reported'"))
Index("ix_comments_reported_risk", Comment.status, Comment.risk.desc(), Comment.created_at,
      Comment.id, **_REPORTED_ONLY)
Index("ix_comments_reported_created", Comment.status, Comment.created_at, Comment.id,
      **_REPORTED_ONLY)


class Moderator(Base):
    __tablename__ = "moderators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    # Added by migration 0006.
    session_generation: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0",
        comment="Sessions carry the value they were opened under; logout and password changes "
                "add 1, ending them all")


class AuditEntry(Base):
    """Append-only: one row per status change a human made: a moderator's decision or undo, and
    a comment that readers' reports (moderator "(readers)") or its commenter's appeal put back
    in the queue. Never updated or deleted."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), index=True)
    moderator: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    old_status: Mapped[str] = mapped_column(String(16))
    new_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    spam_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    abuse_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Added by migration 0002 (review queue): undo and bulk bookkeeping.
    action: Mapped[str] = mapped_column(
        String(16), default="decide", server_default="decide",
        comment="'decide', or 'undo' for a row reversing `undoes`")
    undoes: Mapped[int | None] = mapped_column(Integer, nullable=True,
                                               comment="The audit row an undo reversed")
    batch: Mapped[str | None] = mapped_column(String(32), nullable=True,
                                              comment="Shared by the rows of one bulk action")

    __table_args__ = (Index("ix_audit_log_moderator_id", "moderator", "id"),)

    @classmethod
    def about(cls, comment: Comment, who: str, at: datetime, new_status: str,
              reason: str | None, **fields) -> "AuditEntry":
        """A row about `comment` as it is now (its status, model version and scores), moving it
        to `new_status`."""
        return cls(comment_id=comment.id, moderator=who, at=at, old_status=comment.status,
                   new_status=new_status, reason=reason, model_version=comment.model_version,
                   spam_score=comment.spam_score, abuse_score=comment.abuse_score, **fields)


# -- readers' reports (migration 0015) ------------------------------------------------------------

REPORT_RESOLUTIONS = ("upheld", "dismissed")


class Report(Base):
    """One reader's report of a published comment (service/readers/reports.py). A reader counts
    once per comment; a moderator's decision on the comment resolves its open reports
    (rejecting upholds them, approving dismisses them), and undoing that decision reopens them."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(_in("reason", DECISION_REASONS), name="ck_reports_reason"),
        CheckConstraint("resolution IS NULL OR " + _in("resolution", REPORT_RESOLUTIONS),
                        name="ck_reports_resolution"),
        # Once per reader and comment; NULL hashes (purged) are distinct on both backends.
        UniqueConstraint("comment_id", "reporter_hash", name="uq_reports_comment_reporter"),
        # The limit per reader: their reports in the last window.
        Index("ix_reports_reporter_created", "reporter_hash", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"))
    reporter_hash: Mapped[str | None] = mapped_column(
        String(64), nullable=True,
        comment="Keyed HMAC of the reader's IP, derived apart from comments.ip_hash so the two "
                "cannot be joined; never the raw IP. NULL once purged")
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(500), default="",
                                      comment="What the reader added, if anything")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolution: Mapped[str | None] = mapped_column(
        String(16), nullable=True, comment="NULL while open; 'upheld' or 'dismissed'")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("audit_log.id"), nullable=True,
        comment="The audit row of the decision that resolved it (an undo of it reopens it)")


class LoginFailure(Base):
    """One failed login, counted per moderator name and per client (IP hash) for the slow-down."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(
        String(80), comment="'name:<keyed hash>' or 'ip:<keyed hash>'; never a typed name or "
                            "a raw IP")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# -- integrations (migration 0004) ----------------------------------------------------------------

CHECK_SOURCES = ("akismet", "coral")
FEEDBACK_LABELS = ("spam", "ham")


class ApiKey(Base):
    """A key for the Akismet-compatible API. Only a keyed hash of the key is kept; the key itself
    is shown once, when `flask apikeys add` creates it."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True,
                                      comment="Who holds the key, e.g. the site's name")
    key_hash: Mapped[str] = mapped_column(
        String(64), unique=True, comment="HMAC-SHA256 hex of the key; never the key itself")
    hint: Mapped[str] = mapped_column(String(4), comment="Last characters, to tell keys apart")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IntegrationCheck(Base):
    """One comment another system asked us about (Akismet comment-check, a Coral moderation
    phase): what we answered and why. The comment's text, author and raw IP are not kept; the
    caller's CMS keeps the comment. A later submit-spam/submit-ham attaches its label here."""

    __tablename__ = "integration_checks"
    __table_args__ = (
        CheckConstraint(_in("source", CHECK_SOURCES), name="ck_integration_checks_source"),
        CheckConstraint(_in("status", STATUSES), name="ck_integration_checks_status"),
        CheckConstraint("label IS NULL OR " + _in("label", FEEDBACK_LABELS),
                        name="ck_integration_checks_label"),
        # submit-spam/submit-ham find the check they answer by its fingerprint.
        Index("ix_integration_checks_fingerprint_created", "fingerprint", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"), nullable=True)
    fingerprint: Mapped[str] = mapped_column(
        String(64), comment="SHA-256 of the caller's article, author and text: links feedback")
    article: Mapped[str] = mapped_column(
        String(2000), default="", comment="Akismet permalink or Coral story id")
    ip_hash: Mapped[str | None] = mapped_column(
        String(64), nullable=True, comment="Keyed HMAC of user_ip; never the raw IP")
    spam_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    abuse_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[str] = mapped_column(String(16), comment="What the policy chose")
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer: Mapped[str] = mapped_column(
        String(32), comment="What we told the caller: ham/spam/discard, or a Coral status")
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    label: Mapped[str | None] = mapped_column(
        String(8), nullable=True, comment="'spam' or 'ham' from a later submit-spam/submit-ham")
    labelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id"), nullable=True,
        comment="The labelled example in comments that the label became")


# -- commenters' appeals (migration 0015) ---------------------------------------------------------

APPEAL_OUTCOMES = ("granted", "refused")


class Appeal(Base):
    """A commenter's appeal against the rejection of their comment, one per comment
    (service/readers/appeals.py). A moderator's next decision on the comment settles it:
    publishing grants it, rejecting refuses it; undoing that decision opens it again."""

    __tablename__ = "appeals"
    __table_args__ = (
        CheckConstraint("outcome IS NULL OR " + _in("outcome", APPEAL_OUTCOMES),
                        name="ck_appeals_outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), unique=True,
                                            comment="Once per comment")
    note: Mapped[str] = mapped_column(Text, comment="Why the commenter asks; for moderators")
    rejected_for: Mapped[str | None] = mapped_column(
        String(16), nullable=True,
        comment="The reason the commenter was given for the rejection they appealed")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str | None] = mapped_column(
        String(16), nullable=True, comment="NULL while a moderator has not decided; 'granted' "
                                           "or 'refused'")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("audit_log.id"), nullable=True,
        comment="The audit row of the decision that settled it (an undo of it reopens it)")


class AlertState(Base):
    """Added by migration 0005: whether each alert condition is firing, so every host and worker
    sends an alert once when its condition starts (and once when it clears), not once per check."""

    __tablename__ = "alert_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True,
                                      comment="queue_size, queue_age or spam_burst")
    firing: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True,
                                                   comment="When it started firing")
    value: Mapped[float | None] = mapped_column(Float, nullable=True,
                                                comment="What the last transition saw")


class AlertDelivery(Base):
    """Added by migration 0005: one message for one channel, kept until delivered, so a failing
    webhook or mail server is retried with back-off by whichever host checks next."""

    __tablename__ = "alert_outbox"
    __table_args__ = (Index("ix_alert_outbox_due", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), comment="'alert' or 'digest'")
    # Also 'commenter': a notice to the commenter of the comment `target` names
    # (service/readers/notices.py).
    channel: Mapped[str] = mapped_column(String(16), comment="'slack', 'json' or 'email'")
    target: Mapped[str] = mapped_column(
        String(64), comment="SHA-256 prefix of the webhook URL (never the URL: it is a secret), "
        "or 'email'; resolved from the settings when sent")
    subject: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSON, comment="The message: text and plain-JSON fields")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, nullable=True, comment="NULL once delivered or given up")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)


class SiteLayerRow(Base):
    """Added by migration 0011: the small models of this site's moderators (model/site_layer.py),
    in the shared database so that every host serves the same one. ``model/site_store.py``
    reads and writes them with SQLAlchemy Core (the model package does not import the service)."""

    __tablename__ = "site_layers"
    __table_args__ = (Index("ix_site_layers_state_language", "state", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    language: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(
        String(16), comment="current (serving), refused (by the gate), retired (replaced)")
    general_version: Mapped[str | None] = mapped_column(
        String(120), nullable=True, comment="the general model it was trained on top of")
    trained_through: Mapped[datetime | None] = mapped_column(
        UTCDateTime, nullable=True, comment="the latest decision it learnt from")
    decisions: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    payload: Mapped[bytes] = mapped_column(
        LargeBinary, comment="numpy arrays and JSON (SiteLayer.to_bytes), never a pickle")
    card: Mapped[str] = mapped_column(Text, comment="JSON: the gate's verdict and figures")


# -- the model store (migration 0010) -------------------------------------------------------------

def _model_store_tables() -> None:
    """The model store's tables are defined once, with SQLAlchemy Core, by the model package
    (which must not import the service); copied into this metadata so the schema test and
    Alembic see them with the rest."""
    from model.database_store import metadata as model_store_metadata

    for table in model_store_metadata.sorted_tables:
        table.to_metadata(Base.metadata)


_model_store_tables()


class FeedVersion(Base):
    """What a reader sees of one article, as a number that changes whenever that does.

    Kept by database triggers (migration 0012), not by the application: every statement that
    inserts, deletes or changes a published comment (or publishes or unpublishes one) adds 1 in
    the same transaction, whichever code or host wrote it. The feed's ETag and page cache are
    keyed by it (service/feed/page_cache.py)."""

    __tablename__ = "feed_versions"

    post_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    changed_us: Mapped[int] = mapped_column(
        BigInteger, comment="When it last changed: microseconds since 1970 (UTC), by the "
                            "database's clock")


# -- commenter actions (migration 0013) -----------------------------------------------------------

COMMENTER_STANDINGS = ("banned", "hold", "trusted")
DOMAIN_RULES = ("hold", "reject")
# What a moderator did: to a commenter ban, hold, trust or clear; to an e-mail domain hold,
# reject or clear.
COMMENTER_ACTIONS = ("ban", "hold", "trust", "reject", "clear")


class CommenterStanding(Base):
    """What moderators decided about one commenter, in force until changed: banned (every
    further comment refused), hold (every one held) or trusted. No row: the policy alone
    decides. Intake reads it by primary key, inside its one lookup per comment
    (service/storage/store.py)."""

    __tablename__ = "commenter_standings"
    __table_args__ = (
        CheckConstraint(_in("standing", COMMENTER_STANDINGS),
                        name="ck_commenter_standings_standing"),
        CheckConstraint("reason IS NULL OR " + _in("reason", DECISION_REASONS),
                        name="ck_commenter_standings_reason"),
    )

    email_hash: Mapped[str] = mapped_column(
        String(64), primary_key=True,
        comment="The commenter: keyed HMAC of the e-mail, as comments.email_hash; no address")
    standing: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(16), nullable=True,
                                               comment="Why a ban was set")
    moderator: Mapped[str] = mapped_column(String(100))
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EmailDomainRule(Base):
    """Hold or refuse every comment from addresses at one domain. A domain alone names nobody;
    intake takes it from the address before hashing (service.privacy.keys.email_domain)."""

    __tablename__ = "email_domain_rules"
    __table_args__ = (
        CheckConstraint(_in("rule", DOMAIN_RULES), name="ck_email_domain_rules_rule"),
    )

    domain: Mapped[str] = mapped_column(
        String(253), primary_key=True,
        comment="What follows the @, lower case, international names in IDNA (xn--) form")
    rule: Mapped[str] = mapped_column(String(16))
    moderator: Mapped[str] = mapped_column(String(100))
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommenterAction(Base):
    """Append-only: one row per action a moderator took on a commenter (email_hash) or on an
    e-mail domain (domain): who, when, why, from which comment, and how many existing comments
    a ban rejected. Erasing a commenter blanks their hash here and keeps the rest."""

    __tablename__ = "commenter_actions"
    __table_args__ = (
        CheckConstraint(_in("action", COMMENTER_ACTIONS), name="ck_commenter_actions_action"),
        CheckConstraint("reason IS NULL OR " + _in("reason", DECISION_REASONS),
                        name="ck_commenter_actions_reason"),
        CheckConstraint("email_hash IS NULL OR domain IS NULL",
                        name="ck_commenter_actions_one_subject"),
        # A commenter's page lists their actions, newest first.
        Index("ix_commenter_actions_email_hash_id", "email_hash", "id"),
        # The audit page filters them by moderator.
        Index("ix_commenter_actions_moderator_id", "moderator", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email_hash: Mapped[str | None] = mapped_column(
        String(64), nullable=True, comment="The commenter acted on; NULL for a domain rule")
    domain: Mapped[str | None] = mapped_column(
        String(253), nullable=True, comment="The e-mail domain acted on; NULL for a commenter")
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    moderator: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id"), nullable=True, comment="The comment it was taken from")
    rejected: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0",
        comment="Existing comments a ban rejected (each has its audit_log row)")


# -- articles (migration 0014) --------------------------------------------------------------------

COMMENTING = ("auto", "open", "closed")
CLOSE_FROM = ("publication", "first_comment")


class Article(Base):
    """What the service knows of one article besides its comments: the title, address and
    section the site sent (with a comment form or through `PUT /api/articles/<id>`) or a
    moderator set, and the article's own commenting rules (service/articles/records.py)."""

    __tablename__ = "articles"
    __table_args__ = (
        CheckConstraint(_in("commenting", COMMENTING), name="ck_articles_commenting"),
        CheckConstraint("close_from IS NULL OR " + _in("close_from", CLOSE_FROM),
                        name="ck_articles_close_from"),
        CheckConstraint("close_after_days IS NULL OR close_after_days >= 0",
                        name="ck_articles_close_after_days"),
        Index("ix_articles_section", "section"),
    )

    post_id: Mapped[str] = mapped_column(String(64), primary_key=True,
                                         comment="The article (comments.post_id)")
    title: Mapped[str | None] = mapped_column(String(300), nullable=True)
    permalink: Mapped[str | None] = mapped_column(String(2000), nullable=True,
                                                  comment="The article's address on the site")
    section: Mapped[str | None] = mapped_column(String(64), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, nullable=True, comment="Sent by the site; NULL: unknown")
    first_comment_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, nullable=True, comment="When its first comment was stored")
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, comment="When the service first heard of the article")
    commenting: Mapped[str] = mapped_column(
        String(8), default="auto", server_default="auto",
        comment="closed or open by a person's choice; auto: open until the auto-close rule "
                "closes it")
    close_after_days: Mapped[int | None] = mapped_column(
        Integer, nullable=True,
        comment="This article's auto-close delay; NULL: the site's setting, 0: never")
    close_from: Mapped[str | None] = mapped_column(
        String(16), nullable=True,
        comment="What the delay counts from, publication or first_comment; NULL: the site's")
    premoderated: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(),
        comment="Every new comment is held for a moderator")


class ArticleChange(Base):
    """Append-only: one row per change a moderator or the site made to an article's details or
    commenting rules, so the article's page says who closed it and when."""

    __tablename__ = "article_changes"
    __table_args__ = (Index("ix_article_changes_post_id_id", "post_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("articles.post_id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    moderator: Mapped[str | None] = mapped_column(
        String(100), nullable=True, comment="Who changed it; NULL: the site, through the API")
    api_key: Mapped[str | None] = mapped_column(
        String(100), nullable=True, comment="The name of the API key the site used")
    field: Mapped[str] = mapped_column(
        String(32), comment="commenting, premoderated, close_after_days, close_from, title, "
                            "permalink, section or published_at")
    old: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    new: Mapped[str | None] = mapped_column(String(2000), nullable=True)


class ModeratorSection(Base):
    """A section a moderator is assigned: their queue shows its comments first."""

    __tablename__ = "moderator_sections"

    moderator_id: Mapped[int] = mapped_column(ForeignKey("moderators.id"), primary_key=True)
    section: Mapped[str] = mapped_column(String(64), primary_key=True)
    assigned_by: Mapped[str] = mapped_column(String(100), comment="A moderator's name, or "
                                                                  "'command line'")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
