"""Spot checks: a comment the policy published can also be picked, at random, for a moderator to
look at (service/decisions/spot_checks.py). The flag never changes once set; whether the check is
still open is read from status and decided_by, so an undo reopens it with no extra bookkeeping.

Partial indexes hold only the open spot checks, one per order the queue reads them in, so they
are found without walking every published comment; a third holds every spot check by outcome,
for the estimate on the models page.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# An open spot check, as service.decisions.spot_checks.OPEN writes it (the planners match a partial
# index to a query by the terms of its WHERE).
OPEN = "spot_check {} AND status = 'published' AND decided_by IS NULL"


def upgrade() -> None:
    # NOT NULL with a default: a plain ALTER TABLE ADD COLUMN on both backends, no rebuild.
    op.add_column("comments", sa.Column(
        "spot_check", sa.Boolean(), nullable=False, server_default=sa.false(),
        comment="Published by the policy and picked at random for a moderator to check"))
    open_only = dict(sqlite_where=sa.text(OPEN.format("= 1")),
                     postgresql_where=sa.text(OPEN.format("= true")))
    op.create_index("ix_comments_spot_check_open_risk", "comments",
                    ["status", sa.text("risk DESC"), "created_at", "id"], **open_only)
    op.create_index("ix_comments_spot_check_open_created", "comments",
                    ["status", "created_at", "id"], **open_only)
    op.create_index("ix_comments_spot_check", "comments", ["status", "decided_by"],
                    sqlite_where=sa.text("spot_check = 1"),
                    postgresql_where=sa.text("spot_check = true"))


def downgrade() -> None:
    for name in ("ix_comments_spot_check", "ix_comments_spot_check_open_created",
                 "ix_comments_spot_check_open_risk"):
        op.drop_index(name, table_name="comments")
    op.drop_column("comments", "spot_check")
