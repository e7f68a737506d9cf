"""Moderators' session generation: logging out or changing the password moves it on, which ends
every session cookie signed under the old one, on every host.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("moderators") as batch:
        batch.add_column(sa.Column(
            "session_generation", sa.Integer(), nullable=False, server_default="0",
            comment="Sessions carry the value they were opened under; logout and password "
                    "changes add 1, ending them all"))


def downgrade() -> None:
    with op.batch_alter_table("moderators") as batch:
        batch.drop_column("session_generation")
