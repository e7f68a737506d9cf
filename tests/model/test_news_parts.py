"""The parts that fit the model to news comments: toxic-spans pairs, the span lexicon,
alt-profanity-check's prior, identity-term balancing, and explanations with character ranges."""

from __future__ import annotations

import numpy as np
import pytest

from model import identity
from model.dataset import load_corpora, sparing_group_names, span_ranges, without_spans
from model.profanity_prior import ProfanityPrior
from model.span_lexicon import SpanLexicon


def test_offsets_become_ranges_and_cutting_them_leaves_a_clean_comment():
    text = "Only an idiot would vote for this bridge."
    spans = span_ranges(list(range(8, 13)))
    assert spans == ((8, 13),)
    assert without_spans(text, spans) == "Only an would vote for this bridge."


def test_toxic_spans_give_each_marked_comment_a_lighter_clean_counterfactual(tiny_data):
    rows = [e for c in load_corpora(tiny_data) if c.name.startswith("toxic-spans")
            for e in c.examples]
    toxic = [e for e in rows if e.abuse == 1]
    clean = [e for e in rows if e.abuse == 0]
    assert toxic and len(clean) == len(toxic)
    pair = {e.group: e for e in clean}
    for e in toxic:
        twin = pair[e.group]
        assert twin.text == without_spans(e.text, sparing_group_names(e.text, e.spans))
        assert twin.weight < e.weight
        assert twin.split == e.split and twin.spam == e.spam == 0
    assert {e.split for e in rows} == {"train", "test"}      # the trial file is held out


def test_the_lexicon_marks_the_words_annotators_marked_and_never_function_words():
    rows = [("You are an idiot.", [(11, 16)]), ("What an idiot you are", [(8, 13)]),
            ("The idiot mayor again", [(4, 9)]), ("Gay and proud, you moron", [(19, 24)]),
            ("Moron.", [(0, 5)])]
    lexicon = SpanLexicon().fit(rows, exclude={"gay"})
    text = "An idiot and a Moron wrote this."
    assert lexicon.spans(text) == [(3, 8), (15, 20)]
    assert "an" not in lexicon.scores and "you" not in lexicon.scores
    assert "gay" not in lexicon.scores
    assert lexicon.max_score([text, "Nothing here"]).tolist() == [
        max(lexicon.scores["idiot"], lexicon.scores["moron"]), 0.0]


def test_the_prior_ranks_comments_as_alt_profanity_check_does():
    from profanity_check import predict_prob
    texts = ["You are a stupid idiot", "Thanks for the careful reporting", "shut up moron",
             "The council meets on Tuesday", "what a load of crap", "I love this city",
             "go to hell you bastard", "The bridge reopens next week"]
    ours = ProfanityPrior.from_package().score(texts)
    theirs = np.asarray(predict_prob(texts))
    assert list(np.argsort(ours)) == list(np.argsort(theirs))


def test_the_prior_can_drop_words_without_changing_the_others():
    prior = ProfanityPrior.from_package()
    silent = prior.without(["gay"])
    assert silent.weights["gay"][1] == 0.0 and prior.weights["gay"][1] != 0.0
    assert silent.score_one("the weather") == prior.score_one("the weather")


def test_balancing_leaves_no_group_name_more_often_abusive_than_comments_naming_none():
    texts = (["gay people are trash"] * 8 + ["I am gay"] * 2 + ["you are trash"] * 10
             + ["nice weather"] * 30)
    labels = np.array([1] * 8 + [0] * 2 + [1] * 10 + [0] * 30)
    sources = np.array(["tweets"] * len(texts))
    weights = identity.balance(texts, labels, np.ones(len(texts)), sources)
    named = np.array(["gay" in t for t in texts])
    background = weights[~named & (labels == 1)].sum() / weights[~named & (labels == 0)].sum()
    in_group = weights[named & (labels == 1)].sum() / weights[named & (labels == 0)].sum()
    assert in_group == pytest.approx(identity.GROUP_ODDS * background, rel=1e-6)
    assert weights[named & (labels == 1)].min() > 0            # still abuse, only not more
    assert (weights[~named] == 1).all()


def test_explanations_give_character_ranges_and_no_function_words(scorer):
    text = "Thanks for nothing, you are a complete idiot and a liar."
    abuse = scorer.explain(text, top=5)["abuse"]
    words = {text[a:b].lower() for e in abuse for a, b in e["spans"]}
    assert "idiot" in words
    for evidence in abuse:
        assert evidence["term"] not in ("a", "are a", "you are", "(length)", "$")
        assert evidence["weight"] > 0


def test_signals_are_named_in_plain_words(scorer):
    spam = scorer.explain("Call 1-800-555-0199 now!!! Visit http://cheap-pills.biz", top=8)["spam"]
    terms = {e["term"] for e in spam}
    assert terms & {"a phone number", "a link"}
    assert not any(t.startswith("(") for t in terms)
    link = next(e for e in spam if e["term"] == "a link")
    assert link["spans"] == [[33, 55]]                           # "http://cheap-pills.biz"


def test_a_counterfactual_keeps_the_group_a_marked_insult_named():
    text = "You stupid gays should leave."
    spans = ((4, 15),)                                          # "stupid gays", marked whole
    assert without_spans(text, sparing_group_names(text, spans)) == "You gays should leave."


def test_once_a_site_has_enough_decisions_they_lead_the_abuse_calibration():
    from model.pipeline import SITE_LEADS_AFTER, SITE_SHARE, _site_led
    n = SITE_LEADS_AFTER
    weights = np.ones(1000 + n)
    site = np.arange(weights.size) >= 1000
    y = np.arange(weights.size) % 2
    led = _site_led(weights, site, y)
    assert led[site].sum() / led.sum() == pytest.approx(SITE_SHARE)
    few = site & (np.arange(weights.size) < 1000 + n - 1)         # one decision short
    assert (_site_led(weights, few, y) == weights).all()
    one_kind = np.where(site, 0, y)                                # decisions all of one label
    assert (_site_led(weights, site, one_kind) == weights).all()
