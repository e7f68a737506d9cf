"""Review queue: undo and bulk bookkeeping in the audit log, failed-login tracking.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("action", sa.String(16), nullable=False,
                                   server_default="decide",
                                   comment="'decide', or 'undo' for a row reversing `undoes`"))
        batch.add_column(sa.Column("undoes", sa.Integer(), nullable=True,
                                   comment="The audit row an undo reversed"))
        batch.add_column(sa.Column("batch", sa.String(32), nullable=True,
                                   comment="Shared by the rows of one bulk action"))
    op.create_index("ix_audit_log_moderator_id", "audit_log", ["moderator", "id"])

    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(80), nullable=False,
                  comment="'name:<lower-cased name>' or 'ip:<keyed hash>'; never a raw IP"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_failures_key_at", "login_failures", ["key", "at"])


def downgrade() -> None:
    op.drop_table("login_failures")
    op.drop_index("ix_audit_log_moderator_id", table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("batch")
        batch.drop_column("undoes")
        batch.drop_column("action")
