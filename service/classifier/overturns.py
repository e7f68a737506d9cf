"""How often moderators overturned each model version's decisions.

A comment's `policy_status` is what the policy chose when it arrived, with the scores of the
version named in `model_version` (it differs from `status` from the start only in log-only
mode); `status` with `decided_by` set is what a moderator made of it last (an undone decision
restores the previous decider, so it no longer counts). A decision is overturned when the
moderator approved what the policy held or rejected, or rejected what it published.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, and_, case, func, select
from sqlalchemy.orm import Session

from service.storage.tables import Comment


@dataclass(frozen=True)
class Overturns:
    version: str
    scored: int  # comments this version scored (decided or not)
    decided: int  # of those, decided by a moderator
    approved_held: int  # the policy held or rejected it, a moderator approved it
    rejected_published: int  # the policy published it, a moderator rejected it

    @property
    def overturned(self) -> int:
        return self.approved_held + self.rejected_published

    @property
    def share(self) -> float | None:
        """Overturned among decided, 0 to 1; None when no moderator decided any yet."""
        return self.overturned / self.decided if self.decided else None


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def overturns_by_version(engine: Engine) -> dict[str, Overturns]:
    """Per model version (comments scored by no model are left out), in one grouped scan."""
    decided = Comment.decided_by.is_not(None)
    statement = (
        select(Comment.model_version, func.count(),
               _count(decided),
               _count(and_(decided, Comment.status == "published",
                           Comment.policy_status.in_(("pending", "rejected")))),
               _count(and_(decided, Comment.status == "rejected",
                           Comment.policy_status == "published")))
        .where(Comment.model_version.is_not(None))
        .group_by(Comment.model_version))
    with Session(engine) as session:
        rows = session.execute(statement).all()
    return {version: Overturns(version, int(scored), int(n), int(approved), int(rejected))
            for version, scored, n, approved, rejected in rows}
