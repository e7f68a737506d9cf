"""Articles: what the service knows of each one besides its comments (title, address, section,
publication time), and the article's own commenting rules: closed or kept open by a person,
closing automatically N days after publication or after its first comment, pre-moderated.

The rules are pure functions (`closes_at`, `is_closed`, `commenting_state`, `clean_details`),
tested without a database. `Articles` holds the engine and the verbs the moderators' pages and
the site's API call; each change is recorded in `article_changes` with who made it, and a
change readers can see (the article closing or opening) moves the article's feed version, so
cached pages and 304s follow it (docs/service.md, "Readers' pages under news traffic"). Intake reads
an article through `Store.article` (its hot path) and fills in what a comment form tells it
with `note_from_form`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from sqlalchemy import Connection, Engine, func, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import sessionmaker

from service.storage.db import IMMEDIATE
from service.storage.tables import CLOSE_FROM, COMMENTING, Article, ArticleChange, Comment, utcnow

CLOSED_MESSAGE = "Comments are closed."
MAX_TITLE = 300
MAX_SECTION = 64
MAX_PERMALINK = 2000
MAX_DAYS = 36_500  # a hundred years: "never" is 0, not a huge number
# Fields whose change readers see: the article opening or closing, the title and link of its
# page on this service (`/articles/<id>`).
_READERS_SEE = {"commenting", "close_after_days", "close_from", "published_at", "title",
                "permalink"}
_SPACES = re.compile(r"\s+")


# -- the rules ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AutoClose:
    """The site's rule (`MODERATION_AUTO_CLOSE_DAYS`, `MODERATION_AUTO_CLOSE_FROM`): close an
    article's comments `days` after its publication or its first comment; 0 days: never."""

    days: int = 0
    counting_from: str = "publication"

    def __post_init__(self) -> None:
        if self.days < 0 or self.counting_from not in CLOSE_FROM:
            raise ValueError(f"bad auto-close rule {self!r}")


def site_rule(config: Mapping[str, Any]) -> AutoClose:
    return AutoClose(config["MODERATION_AUTO_CLOSE_DAYS"], config["MODERATION_AUTO_CLOSE_FROM"])


def closes_at(article: Article | None, rule: AutoClose) -> datetime | None:
    """When the automatic rule closes `article` (its own override, else the site's); None when
    it never does: the rule is off, a person closed or opened it by hand, or the moment it
    counts from has not come (no comment yet). An article whose publication time the site
    never sent counts from when the service first heard of it."""
    if article is None or article.commenting != "auto":
        return None
    days = rule.days if article.close_after_days is None else article.close_after_days
    if not days:
        return None
    if (article.close_from or rule.counting_from) == "first_comment":
        start = article.first_comment_at
    else:
        start = article.published_at or article.created_at
    return start + timedelta(days=days) if start else None


def is_closed(article: Article | None, rule: AutoClose, now: datetime) -> bool:
    """Whether intake refuses new comments on `article` (None: an article never seen, open)."""
    if article is None:
        return False
    if article.commenting != "auto":
        return article.commenting == "closed"
    at = closes_at(article, rule)
    return at is not None and now >= at


@dataclass(frozen=True)
class Commenting:
    """An article's commenting state in a moderator's words."""

    open: bool
    closes_at: datetime | None  # when the automatic rule will close it (open articles only)
    sentence: str


def commenting_state(article: Article | None, rule: AutoClose, now: datetime) -> Commenting:
    closing = closes_at(article, rule)
    commenting = article.commenting if article is not None else "auto"
    if commenting == "closed":
        return Commenting(False, None, "Closed by hand")
    if commenting == "open":
        return Commenting(True, None, "Open, kept open by hand (the automatic rule does not "
                                      "close it)")
    if closing is None:
        return Commenting(True, None, "Open; nothing closes it automatically yet")
    if now >= closing:
        return Commenting(False, None, f"Closed automatically on {closing:%Y-%m-%d %H:%M} UTC")
    return Commenting(True, closing, f"Open; closes automatically on "
                                     f"{closing:%Y-%m-%d %H:%M} UTC")


def closed_since(article: Article | None, rule: AutoClose, now: datetime) -> datetime | None:
    """When an automatically closed article closed (None when it is open, or a person closed
    it: that change moved the article's feed version already)."""
    at = closes_at(article, rule)
    return at if at is not None and now >= at else None


# -- details from the site, its comment forms or moderators ----------------------------------------

class ArticleError(ValueError):
    """A detail that cannot be stored; `message` is for the person who sent it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "code": f"bad_{self.field}", "message": self.message}


def one_line(value: str, limit: int) -> str:
    """Text as one trimmed line with single spaces, cut to `limit` characters."""
    return _SPACES.sub(" ", value).strip()[:limit]


# A lone surrogate (JSON can spell one, "\ud800") is not a character and cannot be stored.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# The description's patterns (service/openapi.json), read alike by Python and JSON Schema; an
# empty value is allowed where it clears the field.
TEXT_PATTERN = "^[^\\x00]*$"
PERMALINK_PATTERN = "^(?:[Hh][Tt][Tt][Pp][Ss]?://[^\\x00-\\x20\\x7f/][^\\x00-\\x20\\x7f]*)?$"
# RFC 3339 with the offset required, a year of news (1900-2099), whole minutes or seconds.
TIME_PATTERN = ("^(?:((?:19|20)[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
                "T([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9])(?:\\.([0-9]{1,6}))?)?"
                "(Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]))?$")
_PERMALINK = re.compile(PERMALINK_PATTERN)
_TIME = re.compile(TIME_PATTERN)


def _line(field: str, value: Any, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or _UNSTORABLE.search(value):
        raise ArticleError(field, f"{field} must be text (without NUL characters) or null.")
    if len(value) > limit:
        raise ArticleError(field, f"{field} is too long: {limit} characters at most.")
    return one_line(value, limit) or None


def _permalink(value: Any) -> str | None:
    link = _line("permalink", value, MAX_PERMALINK)
    if value and (link != value or not _PERMALINK.fullmatch(value)):
        raise ArticleError("permalink", "permalink must be an http:// or https:// address "
                                        "without spaces.")
    return link


def parse_time(field: str, value: Any) -> datetime | None:
    """An RFC 3339 time with its offset (`2026-12-01T09:30:00Z`) as aware UTC; None for null
    or empty. A day past its month's end rolls over (the 31st of June is the 1st of July), so
    that every time the description's pattern allows is read as some time."""
    if value is None or value == "":
        return None
    found = _TIME.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        raise ArticleError(field, f"{field} must be a time with its offset, such as "
                                  "2026-12-01T09:30:00Z.")
    year, month, day, hour, minute, second, fraction, offset = found.groups()
    if offset == "Z":
        zone = timezone.utc
    else:
        sign = 1 if offset[0] == "+" else -1
        zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    start = datetime(int(year), int(month), 1, int(hour), int(minute), tzinfo=zone)
    return (start + timedelta(days=int(day) - 1, seconds=int(second or 0),
                              microseconds=int((fraction or "0").ljust(6, "0")))
            ).astimezone(timezone.utc)


def _days(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():  # JSON's 3.0 is the whole number 3
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
        raise ArticleError("close_after_days", f"close_after_days must be a whole number of "
                                               f"days from 0 (never) to {MAX_DAYS}, or null.")
    return value


def _choice(field: str, value: Any, choices: tuple[str, ...], nullable: bool) -> str | None:
    if value is None and nullable:
        return None
    if value not in choices:
        raise ArticleError(field, f"{field} must be one of {', '.join(choices)}"
                                  + (", or null." if nullable else "."))
    return value


_CLEANERS = {
    "title": lambda v: _line("title", v, MAX_TITLE),
    "permalink": _permalink,
    "section": lambda v: _line("section", v, MAX_SECTION),
    "published_at": lambda v: parse_time("published_at", v),
    "commenting": lambda v: "auto" if v is None else _choice("commenting", v, COMMENTING,
                                                             nullable=False),
    "close_after_days": _days,
    "close_from": lambda v: _choice("close_from", v, CLOSE_FROM, nullable=True),
    "premoderated": lambda v: v if isinstance(v, bool) else _not_bool(),
}
FIELDS = tuple(_CLEANERS)


def _not_bool():
    raise ArticleError("premoderated", "premoderated must be true or false.")


def clean_details(given: Mapping[str, Any]) -> dict[str, Any]:
    """The article fields in `given` (any of FIELDS; others are refused), cleaned: text on one
    line, times as aware UTC, null where empty. Raises ArticleError for the first bad one."""
    unknown = sorted(set(given) - set(FIELDS))
    if unknown:
        raise ArticleError(unknown[0], f"Unknown field {unknown[0]!r}: an article has "
                                       f"{', '.join(FIELDS)}.")
    return {name: _CLEANERS[name](value) for name, value in given.items()}


def _shown(value: Any) -> str | None:
    """A value as the history of changes keeps it."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)[:MAX_PERMALINK]


@dataclass(frozen=True)
class Actor:
    """Who changes an article: a moderator, or the site through an API key."""

    moderator: str | None = None
    api_key: str | None = None


# -- the store ------------------------------------------------------------------------------------

class Articles:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(engine.execution_options(**IMMEDIATE), expire_on_commit=False)

    def get(self, post_id: str) -> Article | None:
        with self._read() as session:
            return session.get(Article, post_id)

    def many(self, post_ids: Iterable[str]) -> dict[str, Article]:
        ids = sorted(set(post_ids))
        if not ids:
            return {}
        with self._read() as session:
            return {a.post_id: a for a in session.scalars(
                select(Article).where(Article.post_id.in_(ids)))}

    def change(self, post_id: str, actor: Actor, values: Mapping[str, Any],
               now: datetime | None = None) -> Article:
        """Set the cleaned `values` (see `clean_details`) on the article, creating it if the
        service has not heard of it yet; one history row per field that changed, and the
        article's feed version moved when readers would see the change."""
        now = now or utcnow()
        with self._write.begin() as session:
            article = session.get(Article, post_id, with_for_update=self._postgres)
            if article is None:
                article = Article(post_id=post_id, created_at=now, commenting="auto",
                                  premoderated=False)
                session.add(article)
            changed = []
            for field, value in values.items():
                old = getattr(article, field)
                if old == value:
                    continue
                changed.append(field)
                setattr(article, field, value)
                session.add(ArticleChange(post_id=post_id, at=now, moderator=actor.moderator,
                                          api_key=actor.api_key, field=field, old=_shown(old),
                                          new=_shown(value)))
            if _READERS_SEE & set(changed):
                session.flush()
                bump_feed_version(session.connection(), post_id)
        return article

    @property
    def _postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def note_from_form(self, post_id: str, *, title: str | None, permalink: str | None,
                       section: str | None, commented_at: datetime | None) -> None:
        """What a comment form told us about its article: fills in the title, address and
        section only where none is known (a reader's form never overwrites what the site's API
        or a moderator set), and the time of the first comment. One statement, safe against
        another worker doing the same at once."""
        values = dict(post_id=post_id, title=title, permalink=permalink, section=section,
                      first_comment_at=commented_at, created_at=commented_at or utcnow(),
                      commenting="auto", premoderated=False)
        insert = (postgresql.insert if self._postgres else sqlite.insert)(Article).values(values)
        fill = {name: func.coalesce(getattr(Article, name), getattr(insert.excluded, name))
                for name in ("title", "permalink", "section", "first_comment_at")}
        with self._write.begin() as session:
            session.execute(insert.on_conflict_do_update(index_elements=["post_id"], set_=fill))

    def history(self, post_id: str) -> list[ArticleChange]:
        """Every change to the article, newest first."""
        with self._read() as session:
            return list(session.scalars(select(ArticleChange)
                                        .where(ArticleChange.post_id == post_id)
                                        .order_by(ArticleChange.id.desc())))

    def search(self, title: str | None = None, section: str | None = None,
               limit: int = 100) -> list[tuple[Article, int]]:
        """Articles, most recently published (or first heard of) first, with how many of their
        comments wait in the queue; `title`: words in the title or the id."""
        waiting = (select(func.count()).select_from(Comment)
                   .where(Comment.post_id == Article.post_id, Comment.status == "pending")
                   .scalar_subquery())
        statement = select(Article, waiting).order_by(
            func.coalesce(Article.published_at, Article.created_at).desc(), Article.post_id)
        if title:
            pattern = f"%{like_escape(title)}%"
            statement = statement.where(or_(Article.title.ilike(pattern, escape="\\"),
                                            Article.post_id.ilike(pattern, escape="\\")))
        if section:
            statement = statement.where(Article.section == section)
        with self._read() as session:
            return [tuple(row) for row in session.execute(statement.limit(limit))]


def like_escape(text_: str) -> str:
    return text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def titled(title: str):
    """The SQL condition "the comment's article has `title` in its title (or its id)"."""
    pattern = f"%{like_escape(title)}%"
    return or_(Comment.post_id.in_(select(Article.post_id).where(
        Article.title.ilike(pattern, escape="\\"))), Comment.post_id.ilike(pattern, escape="\\"))


# The feed version's bump (migration 0012's triggers do the same for comment changes), by the
# database's clock as theirs.
_BUMP_SQLITE = text(
    "INSERT INTO feed_versions (post_id, version, changed_us) VALUES (:post_id, 1, "
    "CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER) * 1000) "
    "ON CONFLICT (post_id) DO UPDATE SET version = feed_versions.version + 1, "
    "changed_us = excluded.changed_us")
_BUMP_POSTGRES = text("SELECT feed_version_bump(:post_id)")


def bump_feed_version(connection: Connection, post_id: str) -> None:
    """Tell readers' caches the article changed, in the caller's transaction."""
    statement = _BUMP_POSTGRES if connection.dialect.name == "postgresql" else _BUMP_SQLITE
    connection.execute(statement, {"post_id": post_id})
