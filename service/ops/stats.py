"""Read-only figures about the queue that metrics, alerts and the digest share.

Each is one query on an index the queue already has (`ix_comments_status_created`), cheap enough
to run at every scrape or alert check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from service.storage.tables import Comment, utcnow


@dataclass(frozen=True)
class QueueSnapshot:
    depth: int  # comments pending now
    oldest_at: datetime | None  # when the oldest of them arrived
    at: datetime  # when the snapshot was taken

    @property
    def oldest_age_seconds(self) -> float:
        if self.oldest_at is None:
            return 0.0
        return max(0.0, (self.at - self.oldest_at).total_seconds())


def queue_snapshot(engine: Engine, now: datetime | None = None) -> QueueSnapshot:
    with engine.connect() as connection:
        depth, oldest = connection.execute(
            select(func.count(), func.min(Comment.created_at))
            .where(Comment.status == "pending")).one()
    # min() keeps the column's type, so `oldest` is an aware UTC datetime on both backends.
    return QueueSnapshot(depth or 0, oldest, now or utcnow())


def rejected_on_arrival(engine: Engine, since: datetime) -> int:
    """Comments the policy rejected (no human involved) that arrived after `since`."""
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(Comment)
            .where(Comment.status == "rejected", Comment.created_at > since,
                   Comment.decided_by.is_(None))).scalar() or 0
