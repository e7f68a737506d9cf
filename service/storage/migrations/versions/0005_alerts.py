"""Alerts to moderators: which conditions are firing, and an outbox of messages to deliver.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_state",
        sa.Column("name", sa.String(32), primary_key=True,
                  comment="queue_size, queue_age or spam_burst"),
        sa.Column("firing", sa.Boolean(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True,
                  comment="When it started firing"),
        sa.Column("value", sa.Float(), nullable=True, comment="What the last transition saw"),
    )
    op.create_table(
        "alert_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False, comment="'alert' or 'digest'"),
        sa.Column("channel", sa.String(16), nullable=False,
                  comment="'slack', 'json' or 'email'"),
        sa.Column("target", sa.String(64), nullable=False,
                  comment="SHA-256 prefix of the webhook URL (never the URL: it is a secret), "
                  "or 'email'; resolved from the settings when sent"),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False,
                  comment="The message: text and plain-JSON fields"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True,
                  comment="NULL once delivered or given up"),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
    )
    op.create_index("ix_alert_outbox_due", "alert_outbox", ["delivered_at", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_outbox_due", table_name="alert_outbox")
    op.drop_table("alert_outbox")
    op.drop_table("alert_state")
