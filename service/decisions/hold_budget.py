"""The hold budget: uncertain scores hold at most a set share of this site's traffic.

A model's card suggests hold thresholds set on public news comments, but every site's readers
write differently: the same threshold that holds 3% of one paper's comments holds 12% of
another's, and a queue that grows faster than moderators can read it holds readers' comments
for hours. So the service learns the site's own score distribution from the comments it scored
(in log-only mode too: every comment is scored and stored), and raises each label's hold
threshold until that label's uncertain holds fit its part of the budget
(``MODERATION_HOLD_BUDGET``, default 5% of traffic).

Confident scores are not budgeted: at or above the card's ``confident`` threshold a comment is
held whatever the budget, and at or above ``reject`` it is rejected, as before. Thresholds the
operator set explicitly (``MODERATION_SPAM_HOLD``, ...) are never moved.

Learnt from the most recent ``WINDOW`` comments the current model version scored (another
version's scores are on another scale), once at least ``MIN_COMMENTS`` are there; until then
only confident scores hold (``cautious``), so a new site never holds readers at random by lines
fitted to other sites' comments (run it in log-only mode for its first comments to learn them
before it decides anything). Refreshed every ``REFRESH_COMMENTS`` comments a worker scores, or
every tenth of the scores it last learnt from if that is more, or every ``REFRESH_SECONDS``,
whichever comes first, so every worker and every host converges on the same thresholds from the
shared store. The tenth keeps a busy site's reading to about ten stored scores per comment: a
full window re-read every 50 comments cost a comment more than its own identification.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

log = logging.getLogger(__name__)

# How much of the budget spam may take (abuse gets the rest, and whatever spam leaves unused).
# Spam is mostly confident (waves, phone numbers, link farms: held at the card's confident line
# whatever the budget), while the uncertain spam scores of a news site are mostly readers citing
# a link; uncertain abuse (heated argument, insults without a swear word) is what moderators
# are there for. On ucc-dev, a quarter of the budget for spam held 1.1% of clean comments and
# caught almost nothing; a tenth still cost a point of hostile comments caught.
SHARE = {"spam": 0.05, "abuse": 0.95}
WINDOW = 5000
MIN_COMMENTS = 100
REFRESH_COMMENTS = 50
REFRESH_SHARE = 0.1
REFRESH_SECONDS = 60.0


@dataclass(frozen=True)
class Learnt:
    version: str
    thresholds: dict | None     # the card's thresholds within the budget; None: too few scores
    comments: int               # how many recent scores they were learnt from
    at: float                   # time.monotonic() when learnt


def _ceiling(limits: dict) -> float:
    return min(limits.get("confident", limits["reject"]), limits["reject"])


def _quantile(values: np.ndarray, share: float) -> float:
    """The score that ``share`` of ``values`` reach (1.0 above them all for a share of 0)."""
    if share <= 0 or values.size == 0:
        return 1.0
    return float(np.quantile(values, 1.0 - min(share, 1.0), method="higher"))


def within_budget(card: dict, scores: np.ndarray, budget: float) -> dict:
    """The card's thresholds with the hold thresholds raised until uncertain scores hold at most
    ``budget`` of ``scores`` (rows of spam, abuse).

    Spam may use up to its SHARE; whatever of it the card's own spam line leaves unused goes to
    abuse, so that together they hold the budget. No hold moves above the card's ``confident``
    line (nor ``reject``), nor below the card's own hold."""
    scores = np.asarray(scores, dtype=float).reshape(-1, 2)
    n = len(scores)
    out = {label: dict(limits) for label, limits in card.items()}
    spam, abuse = out["spam"], out["abuse"]
    spam["hold"] = min(max(spam["hold"], _quantile(scores[:, 0], budget * SHARE["spam"])),
                       _ceiling(spam))
    by_spam = scores[:, 0] >= spam["hold"]
    left = budget * n - by_spam.sum()
    rest = scores[~by_spam, 1]
    abuse_point = _quantile(rest, left / rest.size) if rest.size else 1.0
    abuse["hold"] = min(max(abuse["hold"], abuse_point), _ceiling(abuse))
    for limits in out.values():
        limits["hold"] = round(limits["hold"], 4)
    return out


def cautious(card: dict) -> dict:
    """The card's thresholds holding only what the model is confident of: a site whose score
    distribution is not known yet publishes uncertain comments rather than hold them by a line
    set on other sites' readers (a reader citing a Senate report, a sharp word about an official)."""
    return {label: {**limits, "hold": round(_ceiling(limits), 4)} for label, limits in card.items()}


class HoldBudget:
    """Per worker: the thresholds learnt for the current model version, refreshed as it goes.

    ``recent_scores(version, limit)`` returns the newest scores that version gave, as rows of
    (spam, abuse): the store's ``recent_scores``.
    """

    def __init__(self, budget: float, recent_scores: Callable[[str, int], Sequence],
                 clock: Callable[[], float] = time.monotonic):
        self.budget = budget
        self._recent_scores = recent_scores
        self._clock = clock
        self._learnt: Learnt | None = None
        self._since = 0
        self._lock = threading.Lock()

    def thresholds(self, version: str | None, card: dict | None, scored: int = 1) -> dict | None:
        """The card's thresholds for ``version``, within the budget; ``scored``: how many
        comments this call decides (they count towards the next refresh)."""
        if not card or not version or self.budget <= 0 or not {"spam", "abuse"} <= set(card):
            return card
        learnt = self._current(version, card, scored)
        return learnt.thresholds or card

    def refresh_after(self) -> int:
        """How many scored comments the learnt lines serve before they are learnt again."""
        learnt = self._learnt
        return max(REFRESH_COMMENTS, int(REFRESH_SHARE * learnt.comments) if learnt else 0)

    def _current(self, version: str, card: dict, scored: int) -> Learnt:
        with self._lock:
            self._since += scored
            learnt = self._learnt
            stale = (learnt is None or learnt.version != version
                     or self._since >= self.refresh_after()
                     or self._clock() - learnt.at >= REFRESH_SECONDS)
            if not stale:
                return learnt
            self._since = 0
            try:
                rows = np.asarray(self._recent_scores(version, WINDOW), dtype=float).reshape(-1, 2)
            except Exception:  # noqa: BLE001 - the store's own transaction reports the outage
                # A database that cannot be read now must not turn into a crash here: keep the
                # lines learnt before (or the cautious ones) and try again at the next refresh.
                log.warning("hold budget: could not read recent scores; keeping the lines")
                if learnt is None or learnt.version != version:
                    self._learnt = Learnt(version, cautious(card), 0, self._clock())
                return self._learnt
            fitted = within_budget(card, rows, self.budget) if len(rows) >= MIN_COMMENTS \
                else cautious(card)
            self._learnt = Learnt(version, fitted, len(rows), self._clock())
            return self._learnt

    @property
    def learnt(self) -> Learnt | None:
        return self._learnt
