"""The feed's version per article, kept by triggers on `comments`.

A reader sees an article's published comments: their text, author, website, time and threading.
Every statement that changes any of that (a comment published at intake or by a moderator,
unpublished, edited, erased, deleted, moved) adds 1 to the article's `feed_versions.version`,
in the same transaction. Triggers, not application code, so that no writer can forget it:
not the raw SQLite intake path, not retention's bulk UPDATE, not a feature added later or an
operator's SQL. The feed's ETag and page cache are keyed by this number
(service/feed/page_cache.py).

On PostgreSQL the trigger is a deferred constraint trigger: it runs at commit, so the version
row is locked only for the last moments of a transaction, and two transactions touching the
same articles in a different order rarely meet there.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The columns a reader sees, directly or through the thread's shape.
_SEEN = "status, post_id, parent_id, root_id, author, url, text, created_at"

_SQLITE_NOW_US = "CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER) * 1000"


def _sqlite_bump(post_id: str, only_if: str = "1") -> str:
    return (f"INSERT INTO feed_versions (post_id, version, changed_us) "
            f"SELECT {post_id}, 1, {_SQLITE_NOW_US} WHERE {only_if} "
            "ON CONFLICT (post_id) DO UPDATE SET version = feed_versions.version + 1, "
            "changed_us = excluded.changed_us;")


_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER comments_feed_insert AFTER INSERT ON comments
        WHEN NEW.status = 'published'
        BEGIN {_sqlite_bump("NEW.post_id")} END""",
    f"""CREATE TRIGGER comments_feed_update AFTER UPDATE OF {_SEEN} ON comments
        WHEN OLD.status = 'published' OR NEW.status = 'published'
        BEGIN
          {_sqlite_bump("OLD.post_id")}
          {_sqlite_bump("NEW.post_id", "NEW.post_id <> OLD.post_id")}
        END""",
    f"""CREATE TRIGGER comments_feed_delete AFTER DELETE ON comments
        WHEN OLD.status = 'published'
        BEGIN {_sqlite_bump("OLD.post_id")} END""",
)

_POSTGRES_FUNCTIONS = (
    """CREATE FUNCTION feed_version_bump(article text) RETURNS void LANGUAGE sql AS $$
         INSERT INTO feed_versions (post_id, version, changed_us)
         VALUES (article, 1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
         ON CONFLICT (post_id) DO UPDATE SET version = feed_versions.version + 1,
           changed_us = excluded.changed_us
       $$""",
    """CREATE FUNCTION comments_feed_version() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP <> 'INSERT' THEN
           IF OLD.status = 'published' THEN
             PERFORM feed_version_bump(OLD.post_id);
           END IF;
         END IF;
         IF TG_OP <> 'DELETE' THEN
           IF NEW.status = 'published' AND (TG_OP = 'INSERT' OR OLD.status <> 'published'
                                            OR NEW.post_id <> OLD.post_id) THEN
             PERFORM feed_version_bump(NEW.post_id);
           END IF;
         END IF;
         RETURN NULL;
       END
       $$""",
)
_POSTGRES_TRIGGERS = (
    f"""CREATE CONSTRAINT TRIGGER comments_feed_version
        AFTER INSERT OR DELETE OR UPDATE OF {_SEEN} ON comments
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION comments_feed_version()""",
)


def upgrade() -> None:
    op.create_table(
        "feed_versions",
        sa.Column("post_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_us", sa.BigInteger(), nullable=False,
                  comment="When it last changed: microseconds since 1970 (UTC), by the "
                          "database's clock"),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in (_POSTGRES_FUNCTIONS + _POSTGRES_TRIGGERS if postgres
                      else _SQLITE_TRIGGERS):
        op.execute(sa.text(statement))
    # Articles that already have comments start at version 1, changed now.
    now_us = "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint" if postgres \
        else _SQLITE_NOW_US
    op.execute(sa.text(f"INSERT INTO feed_versions (post_id, version, changed_us) "
                       f"SELECT post_id, 1, {now_us} FROM comments GROUP BY post_id"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("DROP TRIGGER comments_feed_version ON comments"))
        op.execute(sa.text("DROP FUNCTION comments_feed_version()"))
        op.execute(sa.text("DROP FUNCTION feed_version_bump(text)"))
    else:
        for name in ("insert", "update", "delete"):
            op.execute(sa.text(f"DROP TRIGGER comments_feed_{name}"))
    op.drop_table("feed_versions")
