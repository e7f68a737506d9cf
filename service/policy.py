"""The decision policy: scores + rules + the commenter's history -> published, pending or rejected.

A pure function of its arguments, so the policy table is tested without HTTP or a database.
Every rule that fires is recorded as a reason, even when a stronger one already decided, so a
moderator sees the whole picture (PEERS.md pain point 1: opaque reasons wear moderators out).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from service import rules

PUBLISHED, PENDING, REJECTED = "published", "pending", "rejected"
STATUSES = (PUBLISHED, PENDING, REJECTED)
_SEVERITY = {PUBLISHED: 0, PENDING: 1, REJECTED: 2}
LABELS = ("spam", "abuse")
PREMODERATED = "article_premoderated"


@dataclass(frozen=True)
class Thresholds:
    """Probabilities at or above which a label holds or rejects a comment."""

    hold: float
    reject: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.hold <= self.reject <= 1.0:
            raise ValueError(f"need 0 <= hold <= reject <= 1, got hold={self.hold} "
                             f"reject={self.reject}")


@dataclass(frozen=True)
class Rules:
    thresholds: Mapping[str, Thresholds]  # per label in LABELS
    max_links: int = 2
    blocked_terms: tuple[str, ...] = ()
    watched_terms: tuple[str, ...] = ()
    trusted_after: int = 3  # earlier approved comments; 0 disables trust
    trusted_hold_boost: float = 0.15
    log_only: bool = False
    # Per language (service.language_policy): False when the comment's language has no model, so
    # its scores (None) are not asked for and the rules alone decide; a reason here holds every
    # comment these rules decide (the operator chose "hold" for the language); and reasons
    # recorded on every comment, to say why it was or was not scored.
    scored: bool = True
    hold_reason: str | None = None
    notes: tuple[str, ...] = ()
    # The comment's article is pre-moderated (service.articles): a moderator chose to see every
    # comment on it first, so it is held whatever else says, log-only mode included.
    premoderated: bool = False


@dataclass(frozen=True)
class History:
    """What the store knows about the commenter (matched on the keyed e-mail hash)."""

    approved_count: int = 0


@dataclass(frozen=True)
class Decision:
    status: str  # what happens to the comment
    reasons: tuple[str, ...]
    policy_status: str  # what the policy alone chose; differs from status only in log-only mode
    trusted: bool = False
    spot_check: bool = False  # published, and picked for a moderator too (service.spot_checks)


@dataclass
class _Findings:
    status: str = PUBLISHED
    reasons: list[str] = field(default_factory=list)

    def add(self, status: str, reason: str) -> None:
        self.reasons.append(reason)
        if _SEVERITY[status] > _SEVERITY[self.status]:
            self.status = status


def _fmt(value: float) -> str:
    return f"{value:g}"


def _score_findings(found: _Findings, scores: Mapping[str, float] | None, policy: Rules,
                    trusted: bool) -> None:
    if scores is None:
        # The classifier failed: hold rather than publish unscored text (degrade, don't guess).
        found.add(PENDING, "scorer_unavailable")
        return
    for label in LABELS:
        limits = policy.thresholds[label]
        score = scores[label]
        hold = min(limits.hold + policy.trusted_hold_boost, limits.reject) if trusted \
            else limits.hold
        if score >= limits.reject:
            found.add(REJECTED, f"{label}_score>={_fmt(limits.reject)}")
        elif score >= hold:
            found.add(PENDING, f"{label}_score>={_fmt(hold)}")


def decide(scores: Mapping[str, float] | None, text: str, history: History,
           policy: Rules) -> Decision:
    """Decide one comment.

    scores: {"spam": p, "abuse": p} with p in [0, 1], or None when the classifier is unavailable.
    text: the comment as the reader wrote it (trimmed).
    Rejected comments are kept by the caller, never deleted: a moderator can reverse them.
    """
    found = _Findings(reasons=list(policy.notes))
    trusted = 0 < policy.trusted_after <= history.approved_count
    if trusted:
        found.reasons.append(f"trusted:approved>={policy.trusted_after}")

    for term in rules.matched_terms(text, policy.blocked_terms):
        found.add(REJECTED, f"blocked_term:{term}")
    if policy.hold_reason:
        found.add(PENDING, policy.hold_reason)
    if policy.premoderated:
        found.add(PENDING, PREMODERATED)
    if policy.scored:
        _score_findings(found, scores, policy, trusted)
    links = rules.count_links(text)
    if links > policy.max_links and not trusted:
        found.add(PENDING, f"links>{policy.max_links}")
    for term in rules.matched_terms(text, policy.watched_terms):
        found.add(PENDING, f"watched_term:{term}")

    if policy.log_only and policy.premoderated:
        # A person's choice for this article, not the policy's verdict: held, never rejected.
        return Decision(PENDING, tuple(found.reasons), found.status, trusted)
    if policy.log_only:
        return Decision(PUBLISHED, tuple(found.reasons) + ("log_only",), found.status, trusted)
    return Decision(found.status, tuple(found.reasons), found.status, trusted)
