"""The committed default model: loads verified, and tells obvious spam and abuse from ordinary
comments written for this test (none of them is in the training corpora)."""

import json

import pytest

from model import Scorer
from model.artifact import DEFAULT_DIR, current_stem

ORDINARY = [
    "Thanks for explaining the council's budget so clearly. I had no idea the library fund was cut.",
    "I disagree with the editorial: the bypass will move traffic, not reduce it.",
    "My grandmother lived on that street in the 1950s; lovely to see the old photos.",
    "Does anyone know whether the vote on the school merger is open to the public?",
    "The referee got it wrong, but the team still should have defended better.",
    "Good reporting. Please follow up on what happens to the tenants after the sale.",
]
SPAM = [
    "Check out my channel and subscribe!!! http://bit.ly/3xYz9 free giftcards every day",
    "EARN $5000 A WEEK working from home!!! Visit www.easy-money-online.biz to start now",
    "Best cheap replica watches and pills, buy now at http://cheap-deals.shop discount 80%",
    "I made $9,000 last month from home, click here http://bit.ly/workhome and subscribe",
]
ABUSE = [
    "You are a complete idiot and a disgusting liar, shut your stupid mouth",
    "What a pathetic moron. Go to hell, you worthless piece of trash",
    "f u c k you and your id10t readers",
    "Only a retarded b1tch would write this garbage",
]


@pytest.fixture(scope="module")
def scorer():
    return Scorer.load()


def test_the_shipped_artifact_is_current_small_and_carded(scorer):
    stem = current_stem(DEFAULT_DIR)
    assert scorer.version == stem
    artifact = DEFAULT_DIR / f"{stem}.joblib"
    assert artifact.stat().st_size <= 25 * 1024 * 1024
    card = json.loads((DEFAULT_DIR / f"{stem}.json").read_text())
    assert card["command"].startswith("python -m model.train")
    assert {d["name"].split("/")[0] for d in card["data"]} >= {
        "youtube-spam", "davidson-hate-offensive", "olid", "fox-news-comments", "toxic-spans"}
    assert card["versions"]["alt-profanity-check"]          # the abuse head's prior, as read
    for label in ("spam", "abuse"):
        lines = card["thresholds"][label]
        assert lines["hold"] <= lines["confident"] <= lines["reject"]


@pytest.mark.parametrize("label, obvious", [("spam", SPAM), ("abuse", ABUSE)])
def test_obvious_cases_score_above_ordinary_comments_and_the_hold_threshold(scorer, label,
                                                                             obvious):
    hold = scorer.thresholds[label]["hold"]
    flagged = [s[label] for s in scorer.score_many(obvious)]
    ordinary = [s[label] for s in scorer.score_many(ORDINARY)]
    assert min(flagged) > max(ordinary)
    assert all(p >= hold for p in flagged)
    assert all(p < hold for p in ordinary)


def test_reasons_point_at_the_offending_words(scorer):
    reasons = scorer.explain(ABUSE[0], top=5)
    terms = " ".join(r["term"] for r in reasons["abuse"])
    assert "idiot" in terms or "stupid" in terms
