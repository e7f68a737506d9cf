"""Spot checks as plain functions: which decisions are picked at what share, the estimate of what
gets through with its 95% interval, and how the models page says it."""

from __future__ import annotations

import random

import pytest
from scipy.stats import binomtest

from service import config
from service.classifier.model_story import missed, percent
from service.decisions.policy import Decision
from service.decisions.spot_checks import Picker, Tally, estimate, wilson_interval

PUBLISHED = Decision("published", (), "published")
HELD = Decision("pending", ("spam_score>=0.5",), "pending")
REJECTED = Decision("rejected", ("spam_score>=0.97",), "rejected")
LOG_ONLY = Decision("published", ("spam_score>=0.5", "log_only"), "pending")


def picked(picker: Picker, decisions) -> int:
    return sum(picker.mark(decision).spot_check for decision in decisions)


def test_share_zero_picks_nothing_and_draws_nothing():
    def draw():
        raise AssertionError("no draw is needed when spot checks are off")

    assert picked(Picker(0.0, draw), [PUBLISHED] * 1000) == 0


def test_share_one_picks_every_comment_the_policy_published_and_nothing_else():
    picker = Picker(1.0, random.Random(7).random)
    assert picked(picker, [PUBLISHED] * 1000) == 1000
    # Held, rejected, or published only because log-only mode overrode the policy: never.
    assert picked(picker, [HELD, REJECTED, LOG_ONLY] * 100) == 0


def test_a_picked_decision_is_otherwise_unchanged():
    marked = Picker(1.0, random.Random(1).random).mark(PUBLISHED)
    assert marked.spot_check and (marked.status, marked.policy_status, marked.reasons) == \
        (PUBLISHED.status, PUBLISHED.policy_status, PUBLISHED.reasons)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_default_share_picks_about_two_in_a_hundred(seed):
    share = config.from_env({})["MODERATION_SPOT_CHECK_SHARE"]
    assert share == 0.02
    n = 50_000
    count = picked(Picker(share, random.Random(seed).random), [PUBLISHED] * n)
    # Within the 99.9% range of a fair 2% draw (binomial: 1,000 expected, sd about 31).
    low, high = binomtest(count, n, share).proportion_ci(0.999)
    assert low <= share <= high, (count, low, high)


def test_without_a_given_draw_picks_come_from_the_operating_systems_entropy():
    # Unpredictable, and not one sequence shared by gunicorn's forked workers.
    draw = Picker(0.02)._draw
    assert isinstance(draw.__self__, random.SystemRandom)


@pytest.mark.parametrize("share", [-0.1, 1.5])
def test_a_share_outside_zero_to_one_is_refused(share):
    with pytest.raises(ValueError, match="probability"):
        Picker(share)
    with pytest.raises(ValueError, match="MODERATION_SPOT_CHECK_SHARE"):
        config.from_env({"MODERATION_SPOT_CHECK_SHARE": str(share)})


@pytest.mark.parametrize("removed, decided", [(0, 1), (0, 20), (2, 19), (5, 200), (50, 50),
                                              (13, 1000)])
def test_the_interval_is_wilsons_score_interval(removed, decided):
    low, high = wilson_interval(removed, decided)
    expected = binomtest(removed, decided).proportion_ci(0.95, method="wilson")
    assert (low, high) == pytest.approx((expected.low, expected.high), abs=1e-9)
    assert low <= removed / decided <= high


def test_the_estimate_is_the_removed_share_and_narrows_with_more_checks():
    few, many = estimate(2, 20), estimate(200, 2000)
    assert few.share == many.share == 0.1
    assert few.high - few.low > many.high - many.low
    # None removed is still an estimate: zero, but possibly up to a sixth at 20 checks.
    none = estimate(0, 20)
    assert (none.share, none.low) == (0, 0) and 0.15 < none.high < 0.17


def test_with_no_decided_spot_check_there_is_no_estimate():
    found = estimate(0, 0)
    assert (found.decided, found.share, found.low, found.high) == (0, None, None, None)


def test_the_models_page_words_before_any_decision():
    lines = missed(Tally(open=3), 0.02)
    assert lines[0].startswith("Spot checks: 2% of the comments the policy publishes are "
                               "picked at random")
    assert "No spot check has been decided yet" in lines[1]
    assert lines[-1] == "3 spot checks wait in the review queue."


def test_the_models_page_words_with_decisions():
    lines = missed(Tally(open=0, kept=95, removed=5), 0.02)
    assert lines[1] == "Moderators removed 5 of the 100 published comments they checked."
    assert lines[2] == ("So about 5% of the comments this site publishes are ones a moderator "
                        "would remove: between 2.2% and 11%, with 95% confidence (the range "
                        "narrows as more spot checks are decided).")
    assert len(lines) == 3  # none waiting: nothing said about the queue


def test_the_models_page_says_when_spot_checks_are_off():
    assert "Spot checks are off" in missed(Tally(kept=4), 0.0)[0]


@pytest.mark.parametrize("share, words", [
    (0, "0%"), (0.0004, "under 0.1%"), (0.004, "0.4%"), (0.05, "5%"), (0.022, "2.2%"),
    (0.25, "25%"), (1, "100%")])
def test_shares_are_written_as_a_moderator_reads_them(share, words):
    assert percent(share) == words
