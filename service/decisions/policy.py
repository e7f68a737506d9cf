"""The decision policy: scores + rules + the commenter's history -> published, pending or rejected,
or refused (a banned commenter, a refused e-mail domain: nothing is stored).

A pure function of its arguments, so the policy table is tested without HTTP or a database.
Every rule that fires is recorded as a reason, even when a stronger one already decided, so a
moderator sees the whole picture (PEERS.md pain point 1: opaque reasons wear moderators out).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from service.decisions import rules

PUBLISHED, PENDING, REJECTED = "published", "pending", "rejected"
STATUSES = (PUBLISHED, PENDING, REJECTED)
_SEVERITY = {PUBLISHED: 0, PENDING: 1, REJECTED: 2}
LABELS = ("spam", "abuse")
PREMODERATED = "article_premoderated"
PHONE_NUMBER, STYLED_LETTERS = "phone_number", "styled_letters"


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
    # A phone number holds a comment (service.decisions.rules): scam and gambling promotions
    # give one to call or message, and a reader who posts someone's number exposes them.
    hold_phone_numbers: bool = False
    # So does a text written in styled letters ("𝐏𝐒𝐓𝐎𝐓𝐎𝟗𝟗"), the promoters' way past word
    # filters and past the classifier, which reads them as plain letters.
    hold_styled_letters: bool = False
    blocked_terms: tuple[str, ...] = ()
    watched_terms: tuple[str, ...] = ()
    trusted_after: int = 3  # earlier approved comments; 0 disables trust
    trusted_hold_boost: float = 0.15
    log_only: bool = False
    # Per language (service.decisions.language_policy): False when the comment's language has no
    # model, so its scores (None) are not asked for and the rules alone decide; a reason here holds
    # every comment these rules decide (the operator chose "hold" for the language); and reasons
    # recorded on every comment, to say why it was or was not scored.
    scored: bool = True
    hold_reason: str | None = None
    notes: tuple[str, ...] = ()
    # The comment's article is pre-moderated (service.articles.records): a moderator chose to see
    # every comment on it first, so it is held whatever else says, log-only mode included.
    premoderated: bool = False
    # The n-th copy of one text (from anyone, under any article, inside the site's window:
    # MODERATION_REPEAT_LIMIT) is held; 0: never. Readers write their own words; a text pasted
    # by several commenters or under several articles is a campaign or a spam template.
    repeat_limit: int = 0


# What moderators set (service.commenters): a commenter's standing, an e-mail domain's rule.
BANNED, HOLD, TRUSTED = "banned", "hold", "trusted"
REJECT = "reject"
# Refusals: nothing is stored and the reader is told (service.intake.views words it).
REFUSED_BANNED, REFUSED_DOMAIN = "banned", "domain_rejected"


@dataclass(frozen=True)
class History:
    """What the store knows about the commenter (matched on the keyed e-mail hash): their
    approved comments, the standing a moderator set for them (banned, hold or trusted; None:
    none), and the rule for their e-mail domain (hold or reject; None: none); and what it knows
    of the text: its earlier copies from anyone inside the repeat window."""

    approved_count: int = 0
    standing: str | None = None
    domain_rule: str | None = None
    copies: int = 0


@dataclass(frozen=True)
class Decision:
    status: str  # what happens to the comment
    reasons: tuple[str, ...]
    policy_status: str  # what the policy alone chose; differs from status only in log-only mode
    trusted: bool = False
    # Published, and picked for a moderator too (service.decisions.spot_checks).
    spot_check: bool = False
    refused: str | None = None  # REFUSED_BANNED or REFUSED_DOMAIN: not stored at all


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
    Refused ones (`Decision.refused`: a banned commenter, a refused e-mail domain) are not
    stored at all: a moderator chose so in advance, and the reader is told.
    """
    refusal = _refusal(history)
    if refusal:
        return Decision(REJECTED, (refusal,), REJECTED, refused=refusal)
    found = _Findings(reasons=list(policy.notes))
    trusted = _trusted(history, policy.trusted_after)
    if trusted:
        found.reasons.append("trusted:moderator" if history.standing == TRUSTED
                             else f"trusted:approved>={policy.trusted_after}")
    held_by_moderator = _moderators_hold(history)

    for term in rules.matched_terms(text, policy.blocked_terms):
        found.add(REJECTED, f"blocked_term:{term}")
    if held_by_moderator:
        found.add(PENDING, held_by_moderator)
    if policy.hold_reason:
        found.add(PENDING, policy.hold_reason)
    if policy.premoderated:
        found.add(PENDING, PREMODERATED)
    if policy.scored:
        _score_findings(found, scores, policy, trusted)
    if policy.repeat_limit and history.copies + 1 >= policy.repeat_limit:
        found.add(PENDING, f"repeated>={policy.repeat_limit}")
    links = rules.count_links(text)
    if links > policy.max_links and not trusted:
        found.add(PENDING, f"links>{policy.max_links}")
    if policy.hold_phone_numbers and not trusted and rules.has_phone_number(text):
        found.add(PENDING, PHONE_NUMBER)
    if policy.hold_styled_letters and not trusted and rules.has_styled_letters(text):
        found.add(PENDING, STYLED_LETTERS)
    for term in rules.matched_terms(text, policy.watched_terms):
        found.add(PENDING, f"watched_term:{term}")

    if policy.log_only and policy.premoderated:
        # A person's choice for this article, not the policy's verdict: held, never rejected.
        return Decision(PENDING, tuple(found.reasons), found.status, trusted)
    if policy.log_only:
        # Log-only mode tries out the policy; what moderators set is no trial and still holds.
        status = PENDING if held_by_moderator else PUBLISHED
        return Decision(status, tuple(found.reasons) + ("log_only",), found.status, trusted)
    return Decision(found.status, tuple(found.reasons), found.status, trusted)


# A commenter's own standing is the more specific word: when a moderator set one, the rule for
# their e-mail domain does not apply to them (a trusted reader at a held domain is not held).

def _refusal(history: History) -> str | None:
    if history.standing == BANNED:
        return REFUSED_BANNED
    if history.standing is None and history.domain_rule == REJECT:
        return REFUSED_DOMAIN
    return None


def _moderators_hold(history: History) -> str | None:
    if history.standing == HOLD:
        return "commenter:hold"
    if history.standing is None and history.domain_rule == HOLD:
        return "domain:hold"
    return None


def _trusted(history: History, trusted_after: int) -> bool:
    """Trusted by a moderator, or by K approved comments unless a moderator holds them. A
    moderator's trust stands even where the operator turned earned trust off (K = 0)."""
    if history.standing is not None:
        return history.standing == TRUSTED
    return 0 < trusted_after <= history.approved_count
