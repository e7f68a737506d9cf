"""The same text pasted again and again: `comments.text_key`, a hash of the normalised text
(service/decisions/rules.py, `repeat_key`), so intake counts earlier copies of a comment from any
commenter under any article with one index probe (a spam wave, a copy-paste campaign).

Plain ALTER TABLE ADD COLUMN on both backends: no rebuild of `comments`, so the feed's triggers
(migration 0012) stay as they are. Comments stored before it have no key and count as no copy.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("comments", sa.Column(
        "text_key", sa.String(64), nullable=True,
        comment="SHA-256 of the normalised text (links and numbers folded): finds the same text "
                "pasted by several commenters or under several articles; NULL for short texts"))
    op.create_index("ix_comments_text_key_created", "comments", ["text_key", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_comments_text_key_created", table_name="comments")
    op.drop_column("comments", "text_key")
