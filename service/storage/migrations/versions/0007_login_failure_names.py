"""Failed logins are counted under a keyed hash of the typed name, not the name (which may be an
e-mail address): drop the rows that still hold one.

They are at most 15 minutes old when they count at all, so the slow-down loses little.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("DELETE FROM login_failures WHERE key LIKE 'name:%'"))
    with op.batch_alter_table("login_failures") as batch:
        batch.alter_column("key", existing_type=sa.String(80), existing_nullable=False,
                           comment="'name:<keyed hash>' or 'ip:<keyed hash>'; never a typed "
                                   "name or a raw IP")


def downgrade() -> None:
    # Nothing to restore: the names are gone, and hashed rows expire on their own.
    pass
