"""How moderators' decisions are joined with the corpora before training (no training here)."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from model import train
from model.dataset import Example
from model.decisions import load_decisions
from model.duplicates import clusters, text_key
from model.weighting import COMMENTER_CAP, fold_and_cap, prepare, unseen_by

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def decision(text, spam=0, abuse=0, commenter="c", minute=0, comment_id=None):
    return Example(text=text, spam=spam, abuse=abuse, source="moderators",
                   group=f"commenter:{commenter}", decided_at=T0 + timedelta(minutes=minute),
                   comment_id=comment_id if comment_id is not None else minute)


def corpus_row(text, abuse, split="train", source="olid"):
    return Example(text=text, spam=0, abuse=abuse, source=source, split=split, group=text)


def test_exact_duplicates_are_the_same_text_after_normalisation():
    assert text_key("WIN a FREE iPhone at www.prize-one.biz") == \
        text_key("win a free iphone at http://prize-two.biz")
    a, b, c = clusters(["win a free iphone at _url_", "win a free iphone at _url_",
                        "the council meets on tuesday"])
    assert a == b != c


def test_near_duplicates_of_a_wave_fold_and_different_comments_do_not():
    wave = [text_key(f"Earn $500 a day working from home, no experience needed, visit "
                     f"www.cash{n}.biz and start today {word}")
            for n, word in enumerate(["now", "friends", "guys", "please"])]
    others = [text_key("The bypass will move traffic onto the old road, not reduce it"),
              text_key("My grandmother lived on that street in the fifties")]
    ids = clusters(wave + others)
    assert len(set(ids[:4])) == 1
    assert len(set(ids)) == 3


@pytest.mark.parametrize("text", ["", "   ", ".....", ";-)", "??!!", "<3", "42!", "😀😀",
                                  "http://a.biz", "(www.a.biz), bit.ly/x", "@bob: 555-123-4567"])
def test_a_text_of_only_placeholders_or_punctuation_has_no_key(text):
    assert text_key(text) is None


def test_a_text_with_a_word_of_its_own_keeps_its_key():
    assert text_key("Nice! http://a.biz") == "nice ! _url_"
    assert text_key("2nd") == "2nd"


def test_texts_without_a_key_are_duplicates_of_nothing():
    ids = clusters([None, None, "the council meets", "the council meets", None])
    assert ids[2] == ids[3]
    assert len(set(ids)) == 4


def test_a_decision_without_a_key_overrides_no_corpus_row():
    # Three approved bare links once removed 56 YouTube spam rows that normalise to "_url_".
    corpus = [corpus_row(f"http://spam{n}.biz", 0, source="youtube") for n in range(56)] + \
             [corpus_row(".....", 1), corpus_row(";-)", 0, split="test")]
    decisions = [decision(f"https://news{n}.example/story", commenter=f"r{n}", minute=n)
                 for n in range(3)] + [decision("....", abuse=0, commenter="p", minute=5),
                                       decision(":-)", abuse=0, commenter="q", minute=6)]
    joined = prepare(corpus, decisions, recent_share=0)
    assert joined.corpus == corpus
    assert joined.report["corpus_rows_overridden"] == 0
    assert joined.report["without_text_key"] == 5


def test_decisions_without_a_key_do_not_fold_or_outvote_each_other():
    spam = [decision(f"http://pills{n}.shop", spam=1, commenter=f"bot{n}", minute=n)
            for n in range(4)]
    approved = decision("https://council.example/minutes", spam=0, commenter="ann", minute=9)
    joined = prepare([], spam + [approved], recent_share=0)
    # Each stands: the last bare link approved does not relabel the four rejected ones, and
    # the four are not one wave by a key they do not have.
    assert sorted((e.text, e.spam, e.weight) for e in joined.train) == sorted(
        [(e.text, 1, 1.0) for e in spam] + [(approved.text, 0, 1.0)])
    assert joined.report["distinct_texts"] == 5


def test_a_spam_wave_weighs_as_one_example():
    wave = [decision(f"Cheap pills at www.pills{n}.shop, best price guaranteed for you",
                     spam=1, commenter=f"bot{n}", minute=n) for n in range(50)]
    honest = [decision("Thanks for the careful reporting on the school merger", commenter="ann")]
    folded = fold_and_cap(wave + honest)
    assert np.isclose(sum(e.weight for e in folded[:50]), 1.0)
    assert folded[-1].weight == 1.0


def test_no_commenter_outweighs_the_cap():
    words = ["parks", "roads", "schools", "housing", "buses", "trams", "bridges", "ports", "farms",
             "mines", "banks", "courts", "clinics", "prisons", "museums", "stadiums", "markets",
             "rivers", "forests", "beaches"]
    poisoner = [decision(f"I think the {a} matter more than {b}, said {c} yesterday",
                         commenter="poisoner", minute=n)
                for n, (a, b, c) in enumerate(zip(words, words[1:] + words[:1], words[2:] + words[:2]))]
    regular = [decision(f"Reader {n} says the {w} plan is late", commenter=f"r{n}", minute=100 + n)
               for n, w in enumerate(["bridge", "tram", "library"])]
    weights = fold_and_cap(poisoner + regular)
    assert np.isclose(sum(e.weight for e in weights if e.group == "commenter:poisoner"),
                      COMMENTER_CAP)
    assert [e.weight for e in weights if e.group != "commenter:poisoner"] == [1.0, 1.0, 1.0]


def test_a_moderator_outranks_the_corpus_and_the_latest_decision_wins():
    corpus = [corpus_row("You people are idiots", 1), corpus_row("Lovely photos of the harbour", 0),
              corpus_row("you people are IDIOTS", 1, split="test")]
    decisions = [decision("You people are idiots", abuse=1, minute=1),
                 decision("YOU PEOPLE ARE IDIOTS", abuse=0, minute=3, commenter="d")]
    joined = prepare(corpus, decisions, recent_share=0)
    assert [e.text for e in joined.corpus] == ["Lovely photos of the harbour"]
    texts = {(e.text, e.abuse) for e in joined.train}
    assert texts == {("YOU PEOPLE ARE IDIOTS", 0)}
    assert joined.report["corpus_rows_overridden"] == 2


def test_the_newest_decisions_are_kept_out_of_training():
    decisions = [decision(f"Comment {n} on the {w} story", minute=n, commenter=f"r{n}")
                 for n, w in enumerate(["rail", "port", "zoo", "mall", "farm", "dam", "fair",
                                        "pier", "lake", "fort"])]
    joined = prepare([], decisions, recent_share=0.2)
    assert [e.text for e in joined.recent] == ["Comment 8 on the lake story",
                                              "Comment 9 on the fort story"]
    assert all(e.split == "test" for e in joined.recent)
    assert joined.report["trained_through"]["comment_id"] == 7
    # The gate compares only on decisions the current model never trained on.
    assert unseen_by(joined.recent, {"decided_at": (T0 + timedelta(minutes=8)).isoformat(),
                                     "comment_id": 8}) == joined.recent[1:]
    assert unseen_by(joined.recent, None) == joined.recent


def test_each_decision_counts_as_many_corpus_rows_within_a_share():
    corpus = [corpus_row(f"tweet {n}", n % 2) for n in range(1000)]
    few = [decision(f"site comment {n}", abuse=n % 2, commenter=f"r{n}") for n in range(10)]
    w = train.weight_matrix(corpus + few)[:, 1]
    assert np.isclose(w[1000:].mean() / w[:1000].mean(), train.DECISION_WEIGHT)
    assert np.isclose(w.mean(), 1.0)
    many = [replace(e, text=f"site {n}") for n, e in enumerate(few * 500)]
    w = train.weight_matrix(corpus + many)[:, 1]
    assert np.isclose(w[1000:].sum() / w.sum(), train.MAX_DECISION_SHARE)


def test_without_decisions_the_weights_are_the_corpus_shares():
    corpus = [corpus_row(f"t{n}", n % 2, source="olid") for n in range(30)] + \
             [corpus_row(f"f{n}", n % 2, source="fox") for n in range(10)]
    w = train.weight_matrix(corpus)[:, 1]
    shares = train.SOURCE_SHARE["abuse"]
    assert np.isclose(w[:30].sum() / w[30:].sum(), shares["olid"] / shares["fox"])


def test_undone_and_overturned_decisions_leave_the_latest_label(site):
    undone = site.label("You are all fools", abuse=1)
    site.undo()                                        # back to pending: no label
    overturned = site.label("Visit my page for deals", spam=1)
    site.decide(overturned, "approve", moderator="bob", overturn=True)
    redone = site.label("Go away, troll", abuse=0)     # approved, undone, then rejected
    site.undo()
    site.decide(redone, "reject", "abuse")
    labels = {e.comment_id: (e.spam, e.abuse) for e in load_decisions(site.url)}
    assert undone not in labels
    assert labels[overturned] == (0, 0)
    assert labels[redone] == (0, 1)


def test_the_same_text_from_two_commenters_takes_the_later_decision(site):
    site.label("Buy followers cheap at www.fans.shop", spam=1, commenter="one")
    site.label("Buy followers cheap at www.fans.shop", spam=0, commenter="two")
    decisions = load_decisions(site.url)
    joined = prepare([], decisions, recent_share=0)
    assert [(e.text, e.spam, e.group) for e in joined.train] == [
        ("Buy followers cheap at www.fans.shop", 0, decisions[1].group)]
    assert (joined.report["decisions"], joined.report["distinct_texts"]) == (2, 1)
