"""Spot checks: seeing what the model lets through.

Moderators only ever see what the policy held, so the retraining loop never learns what it
published by mistake. A small random share of the comments the policy published
(`MODERATION_SPOT_CHECK_SHARE`, default 2%) is therefore also put in the review queue, marked
"spot check". The comment stays published: its reader sees it at once, and the feed and
`/api/comments` answer as before. The moderator keeps it (approve) or removes it (reject with a
reason, which unpublishes it); either way the decision is a label for retraining, like any other
(`model/decisions.py` reads every comment with `decided_by` set).

Because the picks are random, the decided spot checks are a fair sample of everything the policy
published: the share the moderators removed estimates the share of published comments they would
have removed, given with a 95% Wilson score interval (`estimate`).

The `spot_check` flag is set at intake and never changes; a check is open while the comment is
published and no moderator has decided it, so an undo reopens it without extra bookkeeping.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import Callable

from sqlalchemy import Engine, and_, func, literal_column, select, true

from service.decisions.policy import PUBLISHED, Decision
from service.storage.tables import Comment

# The comments a spot check is still waiting for a moderator on. Written with literals, not
# bound parameters, as the partial indexes `ix_comments_spot_check_open_*` write it: the
# planners match a partial index to a query by the terms of its WHERE.
OPEN = and_(Comment.spot_check == true(), Comment.status == literal_column(f"'{PUBLISHED}'"),
            Comment.decided_by.is_(None))

CONFIDENCE = 0.95


class Picker:
    """Decides, comment by comment, whether a comment the policy published is also spot-checked.

    `draw` returns a number uniform in [0, 1); the default reads the operating system's entropy,
    so the picks cannot be predicted from earlier ones (a spammer cannot time a comment past
    them) and gunicorn's forked workers do not share one sequence. Tests pass a seeded
    `random.Random(seed).random`."""

    def __init__(self, share: float, draw: Callable[[], float] | None = None) -> None:
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"a spot-check share is a probability in [0, 1], got {share!r}")
        self.share = share
        self._draw = draw or random.SystemRandom().random

    def picks(self, decision: Decision) -> bool:
        # Only what the policy itself published: a comment published only because log-only mode
        # is on was held or rejected by the policy, and is no sample of what it lets through.
        if self.share == 0 or decision.status != PUBLISHED \
                or decision.policy_status != PUBLISHED:
            return False
        return self._draw() < self.share

    def mark(self, decision: Decision) -> Decision:
        """The decision, with `spot_check` set when this comment is picked."""
        return replace(decision, spot_check=True) if self.picks(decision) else decision


def is_open(comment: Comment) -> bool:
    """Whether a spot check still waits for a moderator (the Python twin of `OPEN`)."""
    return bool(comment.spot_check) and comment.status == PUBLISHED and comment.decided_by is None


@dataclass(frozen=True)
class Tally:
    """Spot checks in the store: waiting, kept (approved) and removed (rejected) by moderators."""

    open: int = 0
    kept: int = 0
    removed: int = 0

    @property
    def decided(self) -> int:
        return self.kept + self.removed


def tally(engine: Engine) -> Tally:
    """One read of the partial index `ix_comments_spot_check`."""
    decided = Comment.decided_by.is_not(None)
    statement = select(
        func.count().filter(Comment.status == PUBLISHED, Comment.decided_by.is_(None)),
        func.count().filter(Comment.status == PUBLISHED, decided),
        func.count().filter(Comment.status == "rejected", decided),
    ).where(Comment.spot_check == true())
    with engine.connect() as connection:
        waiting, kept, removed = connection.execute(statement).one()
    return Tally(waiting or 0, kept or 0, removed or 0)


@dataclass(frozen=True)
class Estimate:
    """The share of published comments moderators would have removed, from `decided` spot
    checks of which they removed `removed`; `low`..`high` is the 95% interval. With no decided
    spot check there is no estimate: share, low and high are None."""

    decided: int
    removed: int
    share: float | None
    low: float | None
    high: float | None


def wilson_interval(successes: int, trials: int,
                    confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion. Unlike "share ± 2 standard errors"
    it stays within 0..1 and does not collapse to a single point at 0 removed of 20."""
    if trials <= 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials > 0, got {successes} of "
                         f"{trials}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    # The interval always holds p; at 0 or all removed, rounding would leave it a hair outside.
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


def estimate(removed: int, decided: int) -> Estimate:
    if decided == 0:
        return Estimate(0, 0, None, None, None)
    low, high = wilson_interval(removed, decided)
    return Estimate(decided, removed, removed / decided, low, high)
