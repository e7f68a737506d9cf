"""The hold budget: uncertain scores hold at most the operator's share of this site's traffic,
learnt from the site's own scores; confident scores hold or reject whatever the budget says."""

from __future__ import annotations

import numpy as np
import pytest

from service.decisions import hold_budget
from service.decisions.hold_budget import HoldBudget, within_budget

from comment_helpers import all_comments

CARD = {"spam": {"hold": 0.30, "confident": 0.80, "reject": 0.99},
        "abuse": {"hold": 0.20, "confident": 0.85, "reject": 0.995}}


def site_scores(n=2000, seed=3):
    """A site whose readers score higher on abuse than the card's corpora: heated comments."""
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.beta(1, 12, n), rng.beta(2, 5, n)])


def held(scores, card):
    return (scores[:, 0] >= card["spam"]["hold"]) | (scores[:, 1] >= card["abuse"]["hold"])


def test_uncertain_scores_hold_the_budget_of_the_sites_own_traffic():
    scores = site_scores()
    fitted = within_budget(CARD, scores, budget=0.05)
    assert held(scores, CARD).mean() > 0.3                     # the card alone: a third held
    assert held(scores, fitted).mean() == pytest.approx(0.05, abs=0.002)
    assert (scores[:, 0] >= fitted["spam"]["hold"]).mean() <= 0.05 * 0.25 + 0.001


def test_what_spam_leaves_unused_goes_to_abuse():
    scores = site_scores()
    strict = {**CARD, "spam": {"hold": 0.99, "confident": 0.995, "reject": 0.999}}  # holds ~nothing
    fitted = within_budget(strict, scores, budget=0.05)
    assert fitted["spam"]["hold"] == 0.99
    assert (scores[:, 1] >= fitted["abuse"]["hold"]).mean() == pytest.approx(0.05, abs=0.002)


def test_the_budget_raises_holds_but_never_past_confident_nor_below_the_card():
    calm = np.zeros((1000, 2))                                   # nothing near any line
    assert within_budget(CARD, calm, 0.05)["abuse"]["hold"] == CARD["abuse"]["hold"]
    heated = np.column_stack([np.zeros(1000), np.full(1000, 0.95)])
    merged = within_budget(CARD, heated, 0.05)
    assert merged["abuse"]["hold"] == 0.85                       # confident scores still hold
    assert merged["abuse"]["reject"] == 0.995                    # rejection is never budgeted


def test_until_it_knows_the_site_only_confident_scores_hold():
    few = site_scores(hold_budget.MIN_COMMENTS - 1)
    budget = HoldBudget(0.05, lambda version, limit: few)
    lines = budget.thresholds("v1", CARD)
    assert lines["spam"]["hold"] == CARD["spam"]["confident"]
    assert lines["abuse"]["hold"] == CARD["abuse"]["confident"]
    assert {l: v["reject"] for l, v in lines.items()} == {l: v["reject"] for l, v in CARD.items()}


def test_learns_only_from_the_version_that_scored_and_refreshes_as_traffic_comes():
    calls = []
    scores = {"v1": site_scores(), "v2": site_scores(seed=4) / 2}

    def recent(version, limit):
        calls.append(version)
        return scores[version][:limit]

    now = [0.0]
    budget = HoldBudget(0.05, recent, clock=lambda: now[0])
    first = budget.thresholds("v1", CARD)
    assert calls == ["v1"] and first["abuse"]["hold"] > CARD["abuse"]["hold"]
    # Learnt from 2,000 scores: read again once a tenth of that has been scored since.
    assert budget.refresh_after() == 200
    budget.thresholds("v1", CARD, scored=199)
    assert calls == ["v1"]                         # cached between refreshes
    budget.thresholds("v1", CARD, scored=1)
    assert calls == ["v1", "v1"]                   # two hundred comments later
    now[0] += hold_budget.REFRESH_SECONDS
    budget.thresholds("v1", CARD)
    assert calls == ["v1", "v1", "v1"]             # or a minute later
    budget.thresholds("v2", CARD)
    assert calls[-1] == "v2"                       # a new model: its own scale


def test_a_small_window_is_read_again_every_fifty_comments():
    budget = HoldBudget(0.05, lambda version, limit: site_scores(n=300))
    budget.thresholds("v1", CARD)
    assert budget.refresh_after() == hold_budget.REFRESH_COMMENTS


def test_a_zero_budget_or_no_card_leaves_the_thresholds_alone():
    assert HoldBudget(0.0, lambda v, n: site_scores()).thresholds("v1", CARD) == CARD
    assert HoldBudget(0.05, lambda v, n: site_scores()).thresholds("v1", None) is None


class CardSays:
    """The real classifier, with a card whose hold thresholds would hold every comment and
    whose confident line nothing reaches."""

    thresholds = {"spam": {"hold": 0.0, "confident": 0.9999, "reject": 1.0},
                  "abuse": {"hold": 0.0, "confident": 0.9999, "reject": 1.0}}

    def __init__(self, scorer):
        self._scorer = scorer
        self.version = scorer.version

    def score_many(self, texts):
        return self._scorer.score_many(texts)


def test_intake_holds_within_the_budget_once_it_has_seen_the_sites_traffic(make_app, scorer):
    """The card's hold line would hold everything: until MIN_COMMENTS comments are scored only
    confident scores hold (none here), then the budget learnt from them holds about 5%."""
    app = make_app(MODERATION_HOLD_BUDGET="0.05", SCORER=CardSays(scorer))
    client = app.test_client()
    n_warm, n = hold_budget.MIN_COMMENTS, 300
    rng = np.random.default_rng(0)
    words = "the council bridge budget vote transit housing mayor park school".split()
    for i in range(n_warm + n):
        text = " ".join(rng.choice(words, 8)) + f" ({i})"
        response = client.post("/api/comments", json={
            "comment": text, "author": f"Reader {i}", "email": f"r{i}@example.org",
            "comment_post_ID": "demo"}, environ_base={"REMOTE_ADDR": f"10.0.{i // 250}.{i % 250}"})
        assert response.status_code in (200, 201, 202)
    statuses = [c.status for c in sorted(all_comments(app), key=lambda c: c.id)]
    assert all(s == "published" for s in statuses[:n_warm])   # before it learnt: confident only
    held_after = np.mean([s != "published" for s in statuses[n_warm + hold_budget.REFRESH_COMMENTS:]])
    assert held_after <= 0.08


def test_a_store_that_cannot_be_read_keeps_the_lines_learnt_before():
    calls = {"n": 0}

    def recent(version, limit):
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError("database unreachable")
        return site_scores()

    now = [0.0]
    budget = HoldBudget(0.05, recent, clock=lambda: now[0])
    learnt = budget.thresholds("v1", CARD)
    now[0] += hold_budget.REFRESH_SECONDS
    assert budget.thresholds("v1", CARD) == learnt               # the outage changes nothing
    fresh = HoldBudget(0.05, lambda v, n: (_ for _ in ()).throw(OSError("down")))
    assert fresh.thresholds("v1", CARD)["abuse"]["hold"] == CARD["abuse"]["confident"]
