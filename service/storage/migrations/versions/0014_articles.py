"""Articles: titles, addresses and sections, and each article's commenting rules (closed, open,
closing automatically, pre-moderated); the history of their changes; moderators' sections.

Every article that already has comments gets a row: the time of its first comment, and the
address its newest comment was posted from.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("post_id", sa.String(64), primary_key=True,
                  comment="The article (comments.post_id)"),
        sa.Column("title", sa.String(300), nullable=True),
        sa.Column("permalink", sa.String(2000), nullable=True,
                  comment="The article's address on the site"),
        sa.Column("section", sa.String(64), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True,
                  comment="Sent by the site; NULL: unknown"),
        sa.Column("first_comment_at", sa.DateTime(timezone=True), nullable=True,
                  comment="When its first comment was stored"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  comment="When the service first heard of the article"),
        sa.Column("commenting", sa.String(8), nullable=False, server_default="auto",
                  comment="closed or open by a person's choice; auto: open until the "
                          "auto-close rule closes it"),
        sa.Column("close_after_days", sa.Integer(), nullable=True,
                  comment="This article's auto-close delay; NULL: the site's setting, 0: never"),
        sa.Column("close_from", sa.String(16), nullable=True,
                  comment="What the delay counts from, publication or first_comment; NULL: "
                          "the site's"),
        sa.Column("premoderated", sa.Boolean(), nullable=False, server_default=sa.false(),
                  comment="Every new comment is held for a moderator"),
        sa.CheckConstraint("commenting IN ('auto', 'open', 'closed')",
                           name="ck_articles_commenting"),
        sa.CheckConstraint("close_from IS NULL OR close_from IN ('publication', "
                           "'first_comment')", name="ck_articles_close_from"),
        sa.CheckConstraint("close_after_days IS NULL OR close_after_days >= 0",
                           name="ck_articles_close_after_days"),
    )
    op.create_index("ix_articles_section", "articles", ["section"])
    op.create_table(
        "article_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("post_id", sa.String(64), sa.ForeignKey("articles.post_id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moderator", sa.String(100), nullable=True,
                  comment="Who changed it; NULL: the site, through the API"),
        sa.Column("api_key", sa.String(100), nullable=True,
                  comment="The name of the API key the site used"),
        sa.Column("field", sa.String(32), nullable=False,
                  comment="commenting, premoderated, close_after_days, close_from, title, "
                          "permalink, section or published_at"),
        sa.Column("old", sa.String(2000), nullable=True),
        sa.Column("new", sa.String(2000), nullable=True),
    )
    op.create_index("ix_article_changes_post_id_id", "article_changes", ["post_id", "id"])
    op.create_table(
        "moderator_sections",
        sa.Column("moderator_id", sa.Integer(), sa.ForeignKey("moderators.id"),
                  primary_key=True),
        sa.Column("section", sa.String(64), primary_key=True),
        sa.Column("assigned_by", sa.String(100), nullable=False,
                  comment="A moderator's name, or 'command line'"),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
    )
    # The articles comments already name. max(permalink): any one of the addresses they were
    # posted from (an empty one sorts first, so it is taken only when there is no other).
    op.execute(sa.text(
        "INSERT INTO articles (post_id, permalink, first_comment_at, created_at, commenting, "
        "premoderated) SELECT post_id, NULLIF(max(permalink), ''), min(created_at), "
        "min(created_at), 'auto', false FROM comments GROUP BY post_id"))


def downgrade() -> None:
    op.drop_table("moderator_sections")
    op.drop_index("ix_article_changes_post_id_id", "article_changes")
    op.drop_table("article_changes")
    op.drop_index("ix_articles_section", "articles")
    op.drop_table("articles")
