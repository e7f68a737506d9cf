"""What moderators set for a commenter or an e-mail domain, as the policy applies it, and the
plain functions behind it: the domain taken from an address, a typed domain, a standing in words.
No HTTP, no database."""

from datetime import datetime, timezone

import pytest

from service.commenters.actions import describe_standing, normalise_domain
from service.review.queue import Refused
from service.decisions.policy import History, Rules, Thresholds, decide
from service.privacy.keys import email_domain
from service.storage.tables import CommenterStanding

RULES = Rules(thresholds={"spam": Thresholds(hold=0.5, reject=0.97),
                          "abuse": Thresholds(hold=0.6, reject=0.9)},
              max_links=2, watched_terms=("lawsuit",), trusted_after=3, trusted_hold_boost=0.15)
CLEAN = {"spam": 0.01, "abuse": 0.02}
UNSURE = {"spam": 0.6, "abuse": 0.0}  # held for a newcomer, published for a trusted commenter
LINKS = "http://a.example http://b.example https://c.example"


@pytest.mark.parametrize("scores, text, history, status, reasons, refused", [
    # A ban refuses everything, clean or not, trusted by their record or not.
    (CLEAN, "Glad the bridge is open.", History(standing="banned"), "rejected", ["banned"],
     "banned"),
    (CLEAN, "Glad the bridge is open.", History(approved_count=50, standing="banned"),
     "rejected", ["banned"], "banned"),
    # Always hold: held whatever the scores say, and earned trust no longer counts.
    (CLEAN, "Glad the bridge is open.", History(standing="hold"), "pending",
     ["commenter:hold"], None),
    (UNSURE, "hi", History(approved_count=9, standing="hold"), "pending",
     ["commenter:hold", "spam_score>=0.5"], None),
    # Trusted by a moderator: as trusted as K approved comments make a commenter...
    (UNSURE, "hi", History(standing="trusted"), "published", ["trusted:moderator"], None),
    (CLEAN, LINKS, History(standing="trusted"), "published", ["trusted:moderator"], None),
    # ...and no more: reject lines and watched terms still apply.
    ({"spam": 0.98, "abuse": 0.0}, "hi", History(standing="trusted"), "rejected",
     ["trusted:moderator", "spam_score>=0.97"], None),
    (CLEAN, "a lawsuit", History(standing="trusted"), "pending",
     ["trusted:moderator", "watched_term:lawsuit"], None),
    # E-mail domain rules, for commenters without a standing of their own.
    (CLEAN, "hi", History(domain_rule="reject"), "rejected", ["domain_rejected"],
     "domain_rejected"),
    (CLEAN, "hi", History(domain_rule="hold"), "pending", ["domain:hold"], None),
    (CLEAN, "hi", History(approved_count=5, domain_rule="hold"), "pending",
     ["trusted:approved>=3", "domain:hold"], None),
    # A commenter's own standing comes before their domain's rule.
    (CLEAN, "hi", History(standing="trusted", domain_rule="reject"), "published",
     ["trusted:moderator"], None),
    (CLEAN, "hi", History(standing="trusted", domain_rule="hold"), "published",
     ["trusted:moderator"], None),
    (CLEAN, "hi", History(standing="hold", domain_rule="reject"), "pending",
     ["commenter:hold"], None),
    (CLEAN, "hi", History(standing="banned", domain_rule="hold"), "rejected", ["banned"],
     "banned"),
    # Nothing set: the policy alone, as before.
    (CLEAN, "hi", History(), "published", [], None),
])
def test_what_moderators_set_comes_into_the_decision(scores, text, history, status, reasons,
                                                      refused):
    decision = decide(scores, text, history, RULES)
    assert (decision.status, list(decision.reasons), decision.refused) == \
        (status, reasons, refused)


def test_a_moderators_trust_stands_where_earned_trust_is_turned_off():
    rules = Rules(thresholds=RULES.thresholds, trusted_after=0)
    assert decide(UNSURE, "hi", History(approved_count=9), rules).status == "pending"
    assert decide(UNSURE, "hi", History(standing="trusted"), rules).status == "published"


def test_log_only_mode_still_holds_and_refuses_what_moderators_set():
    rules = Rules(thresholds=RULES.thresholds, log_only=True)
    assert decide(CLEAN, "hi", History(), rules).status == "published"
    held = decide(CLEAN, "hi", History(standing="hold"), rules)
    assert (held.status, held.reasons) == ("pending", ("commenter:hold", "log_only"))
    assert decide(CLEAN, "hi", History(domain_rule="hold"), rules).status == "pending"
    assert decide(CLEAN, "hi", History(standing="banned"), rules).refused == "banned"
    assert decide(CLEAN, "hi", History(domain_rule="reject"), rules).refused == "domain_rejected"


@pytest.mark.parametrize("address, domain", [
    ("ann@example.org", "example.org"),
    ("  Ann.Reader@Mail.Example.ORG ", "mail.example.org"),
    ("ann@example.org.", "example.org"),
    ("\"a@b\"@example.org", "example.org"),  # the last @ starts the domain
    ("ann@b\u00fccher.de", "xn--bcher-kva.de"),
    ("ann@XN--BCHER-KVA.de", "xn--bcher-kva.de"),
    ("no address", ""),
    ("ann@", ""),
])
def test_the_domain_of_an_address_is_matched_in_one_form(address, domain):
    assert email_domain(address) == domain


@pytest.mark.parametrize("typed, domain", [
    ("example.org", "example.org"), ("@Example.ORG", "example.org"),
    (" b\u00fccher.de ", "xn--bcher-kva.de"), ("mail.example.co.uk", "mail.example.co.uk"),
])
def test_a_typed_domain_is_stored_as_intake_reads_it(typed, domain):
    assert normalise_domain(typed) == domain == email_domain(f"reader@{typed.strip()}")


@pytest.mark.parametrize("typed", ["", "localhost", "exa mple.org", "ann@example.org",
                                   "example..org", "*.example.org", "a" * 250 + ".org"])
def test_what_is_not_a_domain_is_refused(typed):
    with pytest.raises(Refused) as refused:
        normalise_domain(typed)
    assert refused.value.code == "bad_domain"
    assert "nothing was saved" in refused.value.message


def test_a_standing_in_a_moderators_words():
    since = datetime(2026, 11, 24, 9, 5, tzinfo=timezone.utc)
    assert describe_standing(None) == "no action in force: the policy decides"
    assert describe_standing(CommenterStanding(standing="banned", reason="spam", moderator="ann",
                                               since=since)) \
        == "banned (spam) by ann at 2026-11-24 09:05 UTC"
    assert describe_standing(CommenterStanding(standing="hold", moderator="bob", since=since)) \
        == "always held by bob at 2026-11-24 09:05 UTC"
