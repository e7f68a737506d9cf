"""Comments, moderators and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = "('published', 'pending', 'rejected')"


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("post_id", sa.String(64), nullable=False,
                  comment="The article (WordPress comment_post_ID)"),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("comments.id"), nullable=True),
        sa.Column("root_id", sa.Integer(), nullable=True,
                  comment="Top-level ancestor, so the feed pages over threads"),
        sa.Column("author", sa.String(245), nullable=False),
        sa.Column("email", sa.String(100), nullable=False),
        sa.Column("email_hash", sa.String(64), nullable=False,
                  comment="HMAC-SHA256 hex of the lower-cased e-mail, keyed"),
        sa.Column("url", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False,
                  comment="SHA-256 of article, author and text: finds repeated comments"),
        sa.Column("permalink", sa.String(2000), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("policy_status", sa.String(16), nullable=False,
                  comment="What the policy chose; differs from status only in log-only mode"),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("spam_score", sa.Float(), nullable=True),
        sa.Column("abuse_score", sa.Float(), nullable=True),
        sa.Column("model_version", sa.String(100), nullable=True),
        sa.Column("ip_hash", sa.String(64), nullable=False,
                  comment="Keyed HMAC of the client IP; never the raw IP"),
        sa.Column("user_agent", sa.String(500), nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=True,
                  comment="Moderator name; NULL means no human decided"),
        sa.Column("decided_at", ts, nullable=True),
        sa.Column("decision_reason", sa.String(16), nullable=True),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("lease_until", ts, nullable=True),
        sa.CheckConstraint(f"status IN {STATUSES}", name="ck_comments_status"),
        sa.CheckConstraint(f"policy_status IN {STATUSES}", name="ck_comments_policy_status"),
        sa.CheckConstraint("spam_score IS NULL OR (spam_score >= 0 AND spam_score <= 1)",
                           name="ck_comments_spam_score"),
        sa.CheckConstraint("abuse_score IS NULL OR (abuse_score >= 0 AND abuse_score <= 1)",
                           name="ck_comments_abuse_score"),
        sa.CheckConstraint("decision_reason IS NULL OR decision_reason IN "
                           "('spam', 'abuse', 'off-topic', 'other')",
                           name="ck_comments_decision_reason"),
    )
    op.create_index("ix_comments_post_status_created", "comments",
                    ["post_id", "status", "created_at"])
    op.create_index("ix_comments_status_created", "comments", ["status", "created_at"])
    op.create_index("ix_comments_ip_hash_created", "comments", ["ip_hash", "created_at"])
    op.create_index("ix_comments_email_hash_created", "comments", ["email_hash", "created_at"])
    op.create_index("ix_comments_fingerprint_created", "comments", ["fingerprint", "created_at"])

    op.create_table(
        "moderators",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("comment_id", sa.Integer(), sa.ForeignKey("comments.id"), nullable=False),
        sa.Column("moderator", sa.String(100), nullable=False),
        sa.Column("at", ts, nullable=False),
        sa.Column("old_status", sa.String(16), nullable=False),
        sa.Column("new_status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(16), nullable=True),
        sa.Column("model_version", sa.String(100), nullable=True),
        sa.Column("spam_score", sa.Float(), nullable=True),
        sa.Column("abuse_score", sa.Float(), nullable=True),
    )
    op.create_index("ix_audit_log_comment_id", "audit_log", ["comment_id"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("moderators")
    op.drop_table("comments")
