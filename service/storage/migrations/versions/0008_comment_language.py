"""Each comment records the language it was identified in (service.decisions.language), indexed with
the status so the review queue filters by language without reading every pending comment.

Comments stored before keep NULL: nobody identified them, and guessing now, with text that may
since have been erased, would record a guess as a fact.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column without a default: a plain ALTER TABLE ADD COLUMN on both backends.
    op.add_column("comments", sa.Column(
        "language", sa.String(16), nullable=True,
        comment="ISO 639-1 code the comment was identified in, 'unknown' (too short or mixed); "
                "NULL: stored before languages were identified"))
    op.create_index("ix_comments_status_language", "comments", ["status", "language"])


def downgrade() -> None:
    op.drop_index("ix_comments_status_language", table_name="comments")
    op.drop_column("comments", "language")
