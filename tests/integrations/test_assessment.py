"""Our decision in Akismet's and Coral's words: pure functions, a table of cases."""

from __future__ import annotations

import pytest

from service.integrations.assessment import Assessment, akismet_verdict, coral_answer
from service.decisions.policy import Decision

TOXIC = {"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}
SPAM = {"actionType": "FLAG", "reason": "COMMENT_DETECTED_SPAM"}


def assessment(status: str, *reasons: str, blatant: tuple[str, ...] = (),
               policy_status: str | None = None) -> Assessment:
    return Assessment({"spam": 0.5, "abuse": 0.5}, "m-1",
                      Decision(status, reasons, policy_status or status), blatant)


@pytest.mark.parametrize("case, akismet, coral", [
    (assessment("published"), "ham", None),
    # Log-only mode publishes whatever the policy thought: no effect on the caller either.
    (assessment("published", "spam_score>=0.93", "log_only", policy_status="rejected",
                blatant=("spam",)), "ham", None),
    (assessment("pending", "abuse_score>=0.45"), "spam",
     {"status": "SYSTEM_WITHHELD", "actions": [TOXIC]}),
    (assessment("pending", "links>2"), "spam", {"status": "SYSTEM_WITHHELD", "actions": []}),
    # The marks of a promotion raise the spam flag, once however many there are.
    (assessment("pending", "styled_letters"), "spam",
     {"status": "SYSTEM_WITHHELD", "actions": [SPAM]}),
    (assessment("pending", "spam_score>=0.4", "phone_number", "repeated>=3"), "spam",
     {"status": "SYSTEM_WITHHELD", "actions": [SPAM]}),
    (assessment("pending", "scorer_unavailable"), "spam",
     {"status": "SYSTEM_WITHHELD", "actions": []}),
    (assessment("rejected", "spam_score>=0.93", blatant=("spam",)), "discard",
     {"status": "REJECTED", "actions": [SPAM], "moderationAction": {
         "status": "REJECTED",
         "rejectionReason": {"code": "SPAM", "detailedExplanation": "spam_score>=0.93"}}}),
    (assessment("rejected", "spam_score>=0.26", "abuse_score>=0.91", blatant=("abuse",)),
     "spam",
     {"status": "REJECTED", "actions": [SPAM, TOXIC], "moderationAction": {
         "status": "REJECTED", "rejectionReason": {
             "code": "ABUSIVE",
             "detailedExplanation": "spam_score>=0.26; abuse_score>=0.91"}}}),
    (assessment("rejected", "blocked_term:casino"), "spam",
     {"status": "REJECTED", "actions": [], "moderationAction": {
         "status": "REJECTED",
         "rejectionReason": {"code": "OTHER", "detailedExplanation": "blocked_term:casino"}}}),
])
def test_decisions_in_each_systems_words(case, akismet, coral):
    assert akismet_verdict(case) == akismet
    assert coral_answer(case) == coral
