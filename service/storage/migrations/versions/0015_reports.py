"""Readers' reports and commenters' appeals (service/readers/).

`reports`: one row per reader and reported comment, with the reason, an optional note, and how a
moderator's decision resolved it. `appeals`: a commenter's one appeal against the rejection of
their comment, and how a moderator's decision settled it. `comments.returned_for` says why a
published or decided comment is back in the review queue ('reported', or 'appeal'); partial
indexes hold only the reported ones, which the queue lists even while they are published.

Plain ALTER TABLE ADD COLUMN on both backends: no rebuild of `comments`, so the feed's triggers
(migration 0012) stay as they are.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_REASONS = "'spam', 'abuse', 'off-topic', 'other'"


def upgrade() -> None:
    op.add_column("comments", sa.Column(
        "returned_for", sa.String(16), nullable=True,
        comment="Why it is back in the review queue: 'reported' (readers reported it) or "
                "'appeal' (its commenter appealed the rejection); NULL otherwise"))
    # The reported comments, which wait in the pending tab even while published, in each of the
    # queue's orders (as service.readers.reports.LIVE writes it).
    reported = dict(sqlite_where=sa.text("returned_for = 'reported'"),
                    postgresql_where=sa.text("returned_for = 'reported'"))
    op.create_index("ix_comments_reported_risk", "comments",
                    ["status", sa.text("risk DESC"), "created_at", "id"], **reported)
    op.create_index("ix_comments_reported_created", "comments", ["status", "created_at", "id"],
                    **reported)
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("comment_id", sa.Integer(), sa.ForeignKey("comments.id"), nullable=False),
        sa.Column("reporter_hash", sa.String(64), nullable=True,
                  comment="Keyed HMAC of the reader's IP, derived apart from comments.ip_hash so "
                          "the two cannot be joined; never the raw IP. NULL once purged"),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("note", sa.String(500), nullable=False,
                  comment="What the reader added, if anything"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolution", sa.String(16), nullable=True,
                  comment="NULL while open; 'upheld' or 'dismissed'"),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("audit_log.id"), nullable=True,
                  comment="The audit row of the decision that resolved it (an undo of it "
                          "reopens it)"),
        sa.CheckConstraint(f"reason IN ({_REASONS})", name="ck_reports_reason"),
        sa.CheckConstraint("resolution IS NULL OR resolution IN ('upheld', 'dismissed')",
                           name="ck_reports_resolution"),
        sa.UniqueConstraint("comment_id", "reporter_hash", name="uq_reports_comment_reporter"),
    )
    op.create_index("ix_reports_reporter_created", "reports", ["reporter_hash", "created_at"])
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("comment_id", sa.Integer(), sa.ForeignKey("comments.id"), nullable=False,
                  unique=True, comment="Once per comment"),
        sa.Column("note", sa.Text(), nullable=False,
                  comment="Why the commenter asks; for moderators"),
        sa.Column("rejected_for", sa.String(16), nullable=True,
                  comment="The reason the commenter was given for the rejection they appealed"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True,
                  comment="NULL while a moderator has not decided; 'granted' or 'refused'"),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("audit_log.id"), nullable=True,
                  comment="The audit row of the decision that settled it (an undo of it "
                          "reopens it)"),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('granted', 'refused')",
                           name="ck_appeals_outcome"),
    )


def downgrade() -> None:
    op.drop_table("appeals")
    op.drop_index("ix_reports_reporter_created", table_name="reports")
    op.drop_table("reports")
    for name in ("ix_comments_reported_created", "ix_comments_reported_risk"):
        op.drop_index(name, table_name="comments")
    op.drop_column("comments", "returned_for")
