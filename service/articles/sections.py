"""Sections: which moderators look after which sections, and how much of the queue waits in each.

An article's section comes from the site (its comment form, the embed or the article API) or a
moderator (service/articles/records.py). A moderator assigned sections sees their comments first in
the queue (`Moderation.queue(..., first=...)`); the queue filters by section (`in_section`);
the review page and `/metrics` show each section's queue depth and the age of its oldest
comment (`queue_by_section`). Assignments are made on the review page's Sections page or with
`flask --app service moderators sections NAME --set "Local, Politics"`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import Engine, delete, func, insert, select

from service.articles.records import MAX_SECTION, one_line
from service.storage.tables import Article, Comment, Moderator, ModeratorSection, utcnow


@dataclass(frozen=True)
class SectionQueue:
    """The pending comments of one section (None: articles without a section)."""

    section: str | None
    depth: int
    oldest_at: datetime | None
    at: datetime

    @property
    def oldest_age_seconds(self) -> float:
        return max(0.0, (self.at - self.oldest_at).total_seconds()) if self.oldest_at else 0.0


def queue_by_section(engine: Engine, now: datetime | None = None) -> list[SectionQueue]:
    """Pending comments per section, deepest first (one grouped query over the pending
    comments' index, each joined to its article by primary key)."""
    now = now or utcnow()
    with engine.connect() as connection:
        rows = connection.execute(
            select(Article.section, func.count(), func.min(Comment.created_at))
            .select_from(Comment).outerjoin(Article, Article.post_id == Comment.post_id)
            .where(Comment.status == "pending").group_by(Article.section)).all()
    return sorted((SectionQueue(section, depth, oldest, now) for section, depth, oldest in rows),
                  key=lambda s: (-s.depth, s.section is None, s.section or ""))


def waited(seconds: float) -> str:
    """A wait in a moderator's words: "4 min", "3 h 05 min", "2 days 4 h"."""
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} day{'s' if days != 1 else ''} {hours} h"


def in_section(sections: Iterable[str]):
    """The SQL condition "the comment's article is in one of `sections`"."""
    return Comment.post_id.in_(select(Article.post_id).where(Article.section.in_(
        sorted(set(sections)))))


def parse(raw: str) -> tuple[str, ...]:
    """Comma-separated section names, cleaned as an article's section is, in the order given."""
    return tuple(dict.fromkeys(name for part in raw.split(",")
                               if (name := one_line(part, MAX_SECTION))))


def assigned(engine: Engine, moderator_id: int) -> tuple[str, ...]:
    with engine.connect() as connection:
        return tuple(connection.scalars(
            select(ModeratorSection.section).where(ModeratorSection.moderator_id == moderator_id)
            .order_by(ModeratorSection.section)))


def assignments(engine: Engine) -> dict[str, tuple[str, ...]]:
    """Every active moderator's name and sections (none: an empty tuple), by name."""
    with engine.connect() as connection:
        names = connection.scalars(select(Moderator.name).where(Moderator.active)
                                   .order_by(Moderator.name)).all()
        pairs = connection.execute(
            select(Moderator.name, ModeratorSection.section)
            .join(ModeratorSection, ModeratorSection.moderator_id == Moderator.id)
            .order_by(ModeratorSection.section)).all()
    found: dict[str, tuple[str, ...]] = {name: () for name in names}
    for name, section in pairs:
        if name in found:
            found[name] += (section,)
    return found


def assign(engine: Engine, name: str, sections: Iterable[str], by: str,
           now: datetime | None = None) -> tuple[str, ...]:
    """Make `sections` the moderator `name`'s, replacing what they had; returns them. Raises
    LookupError when there is no such moderator."""
    wanted = tuple(sorted(set(sections)))
    now = now or utcnow()
    with engine.begin() as connection:
        moderator_id = connection.scalar(select(Moderator.id).where(Moderator.name == name))
        if moderator_id is None:
            raise LookupError(name)
        kept = set(connection.scalars(select(ModeratorSection.section).where(
            ModeratorSection.moderator_id == moderator_id)))
        gone = kept - set(wanted)
        if gone:
            connection.execute(delete(ModeratorSection).where(
                ModeratorSection.moderator_id == moderator_id,
                ModeratorSection.section.in_(sorted(gone))))
        new = [section for section in wanted if section not in kept]
        if new:
            connection.execute(insert(ModeratorSection), [
                {"moderator_id": moderator_id, "section": section, "assigned_by": by,
                 "assigned_at": now} for section in new])
    return wanted


def known(engine: Engine) -> list[str]:
    """Every section an article is in or a moderator is assigned, alphabetically."""
    with engine.connect() as connection:
        in_articles = select(Article.section).where(Article.section.is_not(None))
        return sorted(set(connection.scalars(in_articles.union(
            select(ModeratorSection.section)))))
