"""Integrations: API keys for the Akismet-compatible API, and the record of each comment another
system asked us about (Akismet comment-check, Coral external moderation phase).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# As of this revision (service.storage.tables may grow later; the migration keeps meaning this).
STATUSES = ("published", "pending", "rejected")
SOURCES = ("akismet", "coral")
LABELS = ("spam", "ham")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True,
                  comment="Who holds the key, e.g. the site's name"),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True,
                  comment="HMAC-SHA256 hex of the key; never the key itself"),
        sa.Column("hint", sa.String(4), nullable=False,
                  comment="Last characters, to tell keys apart"),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("revoked_at", ts, nullable=True),
    )
    op.create_table(
        "integration_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("api_key_id", sa.Integer(), sa.ForeignKey("api_keys.id"), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False,
                  comment="SHA-256 of the caller's article, author and text: links feedback"),
        sa.Column("article", sa.String(2000), nullable=False,
                  comment="Akismet permalink or Coral story id"),
        sa.Column("ip_hash", sa.String(64), nullable=True,
                  comment="Keyed HMAC of user_ip; never the raw IP"),
        sa.Column("spam_score", sa.Float(), nullable=True),
        sa.Column("abuse_score", sa.Float(), nullable=True),
        sa.Column("model_version", sa.String(100), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, comment="What the policy chose"),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("answer", sa.String(32), nullable=False,
                  comment="What we told the caller: ham/spam/discard, or a Coral status"),
        sa.Column("is_test", sa.Boolean(), nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("label", sa.String(8), nullable=True,
                  comment="'spam' or 'ham' from a later submit-spam/submit-ham"),
        sa.Column("labelled_at", ts, nullable=True),
        sa.Column("comment_id", sa.Integer(), sa.ForeignKey("comments.id"), nullable=True,
                  comment="The labelled example in comments that the label became"),
        sa.CheckConstraint(_in("source", SOURCES), name="ck_integration_checks_source"),
        sa.CheckConstraint(_in("status", STATUSES), name="ck_integration_checks_status"),
        sa.CheckConstraint("label IS NULL OR " + _in("label", LABELS),
                           name="ck_integration_checks_label"),
    )
    op.create_index("ix_integration_checks_fingerprint_created", "integration_checks",
                    ["fingerprint", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_integration_checks_fingerprint_created", table_name="integration_checks")
    op.drop_table("integration_checks")
    op.drop_table("api_keys")
