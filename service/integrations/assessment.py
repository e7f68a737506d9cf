"""Scoring and deciding a comment for another system, with the service's own classifier and
policy, and turning the decision into each system's words.

`assess` needs the app (classifier, settings); `akismet_verdict` and `coral_answer` are pure
functions of the decision, tested with tables of cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from flask import current_app

from service.decisions import language_policy
from service.decisions import policy
from service.intake.views import policy_rules
from service.decisions.policy import Decision, History

HAM, SPAM, DISCARD = "ham", "spam", "discard"
TOXIC_FLAG, SPAM_FLAG = "COMMENT_DETECTED_TOXIC", "COMMENT_DETECTED_SPAM"
# Which of our reasons raises which of the two flags Coral accepts from a phase. Besides the
# scores: styled letters, a phone number and a text pasted again and again are the marks of a
# promotion, and Coral's moderators see a withheld comment's flags as its reason.
_FLAGS = (("spam_score>=", SPAM_FLAG), (policy.STYLED_LETTERS, SPAM_FLAG),
          (policy.PHONE_NUMBER, SPAM_FLAG), ("repeated>=", SPAM_FLAG),
          ("abuse_score>=", TOXIC_FLAG))


@dataclass(frozen=True)
class Assessment:
    scores: dict[str, float] | None  # None: the classifier was unavailable
    model_version: str | None
    decision: Decision
    blatant: tuple[str, ...] = ()  # labels whose score reached their reject threshold


def assess(text: str, website: str = "") -> Assessment:
    """Score `text` and decide it as intake would for a first-time commenter, by the policy for
    its language (service.decisions.language_policy): the caller's system keeps its own commenter
    history and trust rules, so ours are not applied. `website`: the author's website field,
    which the site layer weighs as intake's does (model/context.py)."""
    app = current_app._get_current_object()
    # As intake does: a site served only through these APIs gets no form posts to follow the
    # newest models for it.
    language_policy.follow_models(app)
    judged = language_policy.judge(app, [text], partial(policy_rules, app.config),
                                   budget=False, websites=[website])[0]
    scored, rules = judged.scored, judged.rules
    blatant = tuple(label for label in policy.LABELS if scored.scores is not None
                    and scored.scores[label] >= rules.thresholds[label].reject)
    return Assessment(scored.scores, scored.model_version,
                      policy.decide(scored.scores, text, History(), rules), blatant)


def flags(decision: Decision) -> list[str]:
    """Coral's detection flags for what held or rejected the comment, each once."""
    raised = [flag for prefix, flag in _FLAGS
              if any(reason.startswith(prefix) for reason in decision.reasons)]
    return list(dict.fromkeys(raised))


def akismet_verdict(assessment: Assessment) -> str:
    """Akismet's three answers. Held or rejected is `spam` (WordPress files it under Spam, where
    "Not Spam" sends submit-ham); `discard` (blatant, dropped unseen) only when the spam score
    reached its reject threshold: abuse and blocked terms stay reviewable."""
    decision = assessment.decision
    if decision.status == policy.PUBLISHED:
        return HAM
    if decision.status == policy.REJECTED and "spam" in assessment.blatant:
        return DISCARD
    return SPAM


_REJECTION_CODES = {"spam": "SPAM", "abuse": "ABUSIVE"}


def coral_answer(assessment: Assessment) -> dict | None:
    """The body of Coral's External Moderation Response, or None for "no opinion" (204).

    Published means no opinion rather than APPROVED: a status ends Coral's pipeline, and its
    own later phases (new-commenter and pre-moderation rules) must still run."""
    decision = assessment.decision
    if decision.status == policy.PUBLISHED:
        return None
    answer: dict = {"actions": [{"actionType": "FLAG", "reason": flag}
                                for flag in flags(decision)]}
    if decision.status == policy.PENDING:
        answer["status"] = "SYSTEM_WITHHELD"
        return answer
    # Rejected by a score (spam first: it is the surer call) or else by a rule such as a
    # blocked term.
    code = next((_REJECTION_CODES[label] for label in policy.LABELS
                 if label in assessment.blatant), "OTHER")
    answer["status"] = "REJECTED"
    answer["moderationAction"] = {
        "status": "REJECTED",
        "rejectionReason": {"code": code, "detailedExplanation": "; ".join(decision.reasons)}}
    return answer
