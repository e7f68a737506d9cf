"""Commenter actions: a moderator bans a commenter, holds all their comments or trusts them
(`commenter_standings`, keyed by the keyed e-mail hash); holds or refuses everything from an
e-mail domain (`email_domain_rules`); and each such action is kept, append-only, with who took
it, when and why (`commenter_actions`).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_REASONS = "('spam', 'abuse', 'off-topic', 'other')"


def upgrade() -> None:
    op.create_table(
        "commenter_standings",
        sa.Column("email_hash", sa.String(64), primary_key=True,
                  comment="The commenter: keyed HMAC of the e-mail, as comments.email_hash; "
                          "no address"),
        sa.Column("standing", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(16), nullable=True, comment="Why a ban was set"),
        sa.Column("moderator", sa.String(100), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("standing IN ('banned', 'hold', 'trusted')",
                           name="ck_commenter_standings_standing"),
        sa.CheckConstraint(f"reason IS NULL OR reason IN {_REASONS}",
                           name="ck_commenter_standings_reason"),
    )
    op.create_table(
        "email_domain_rules",
        sa.Column("domain", sa.String(253), primary_key=True,
                  comment="What follows the @, lower case, international names in IDNA (xn--) "
                          "form"),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("moderator", sa.String(100), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rule IN ('hold', 'reject')", name="ck_email_domain_rules_rule"),
    )
    op.create_table(
        "commenter_actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email_hash", sa.String(64), nullable=True,
                  comment="The commenter acted on; NULL for a domain rule"),
        sa.Column("domain", sa.String(253), nullable=True,
                  comment="The e-mail domain acted on; NULL for a commenter"),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(16), nullable=True),
        sa.Column("moderator", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment_id", sa.Integer, sa.ForeignKey("comments.id"), nullable=True,
                  comment="The comment it was taken from"),
        sa.Column("rejected", sa.Integer, nullable=False, server_default="0",
                  comment="Existing comments a ban rejected (each has its audit_log row)"),
        sa.CheckConstraint("action IN ('ban', 'hold', 'trust', 'reject', 'clear')",
                           name="ck_commenter_actions_action"),
        sa.CheckConstraint(f"reason IS NULL OR reason IN {_REASONS}",
                           name="ck_commenter_actions_reason"),
        sa.CheckConstraint("email_hash IS NULL OR domain IS NULL",
                           name="ck_commenter_actions_one_subject"),
    )
    op.create_index("ix_commenter_actions_email_hash_id", "commenter_actions",
                    ["email_hash", "id"])
    op.create_index("ix_commenter_actions_moderator_id", "commenter_actions",
                    ["moderator", "id"])


def downgrade() -> None:
    op.drop_index("ix_commenter_actions_moderator_id", table_name="commenter_actions")
    op.drop_index("ix_commenter_actions_email_hash_id", table_name="commenter_actions")
    op.drop_table("commenter_actions")
    op.drop_table("email_domain_rules")
    op.drop_table("commenter_standings")
