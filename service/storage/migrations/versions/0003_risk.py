"""A stored, indexed risk per comment, so the riskiest-first queue pages without sorting; an
index for the per-status counts the queue page shows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The rule of service.storage.tables.risk_of as of this revision, written out so the migration keeps
# meaning what it meant when later code changes: the higher score, unscored counting as 1.
_SPAM = "COALESCE(spam_score, 1.0)"
_ABUSE = "COALESCE(abuse_score, 1.0)"
RISK = f"CASE WHEN {_SPAM} >= {_ABUSE} THEN {_SPAM} ELSE {_ABUSE} END"


def upgrade() -> None:
    # NOT NULL with a default is a plain ALTER TABLE ADD COLUMN on both backends (SQLite would
    # otherwise rebuild the table); the UPDATE then gives every existing row its real risk.
    op.add_column("comments", sa.Column(
        "risk", sa.Float(), nullable=False, server_default=sa.text("1.0"),
        comment="risk_of(spam_score, abuse_score): the review queue's order, indexed"))
    op.execute(f"UPDATE comments SET risk = {RISK}")
    op.create_index("ix_comments_status_risk", "comments",
                    ["status", sa.text("risk DESC"), "created_at", "id"])
    op.create_index("ix_comments_status_decided_by", "comments", ["status", "decided_by"])


def downgrade() -> None:
    op.drop_index("ix_comments_status_decided_by", table_name="comments")
    op.drop_index("ix_comments_status_risk", table_name="comments")
    # A plain ALTER TABLE DROP COLUMN on both (SQLite 3.35+): no table rebuild, so the audit
    # log's foreign keys to comments are never in the way.
    op.drop_column("comments", "risk")
