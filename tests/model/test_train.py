"""A training run on a corpus the test writes itself: artifact, card, pointer, and a useful model."""

import json

import sklearn

from model import Scorer
from model.artifact import current_stem, sha256_of


def test_training_writes_artifact_card_and_pointer(tiny_artifacts, tiny_data):
    stem = current_stem(tiny_artifacts)
    artifact = tiny_artifacts / f"{stem}.joblib"
    card = json.loads((tiny_artifacts / f"{stem}.json").read_text())
    assert card["artifact_sha256"] == sha256_of(artifact)
    assert card["versions"]["scikit-learn"] == sklearn.__version__
    assert card["command"].startswith("python -m model.train --data")
    names = {d["name"] for d in card["data"]}
    assert {"olid", "fox-news-comments", "davidson-hate-offensive"} <= names
    assert all(len(d["sha256"]) == 64 and d["rows"] > 0 for d in card["data"])
    for label in ("spam", "abuse"):
        assert 0 < card["thresholds"][label]["hold"] <= card["thresholds"][label]["reject"] <= 1
        assert card["label_balance"][label]["positive"] > 0
    assert card["validation"]["out_of_fold"]["spam"]["youtube"]["roc_auc"] > 0.9
    assert card["training_seconds"] > 0


def test_trained_model_separates_its_labels(tiny_artifacts):
    scorer = Scorer.load(tiny_artifacts)
    spam = scorer.score("Earn $500 a day from home, visit www.cash77.biz")
    abuse = scorer.score("shut up you moron")
    ham = scorer.score("The council should explain the budget for schools")
    assert spam["spam"] > ham["spam"] and spam["spam"] > 0.5
    assert abuse["abuse"] > ham["abuse"] and abuse["abuse"] > 0.5
    assert ham["spam"] < 0.5 and ham["abuse"] < 0.5


def test_score_many_equals_score_one_at_a_time(tiny_artifacts):
    scorer = Scorer.load(tiny_artifacts)
    texts = ["shut up you moron", "", "subscribe to my channel", "Great article"]
    many = scorer.score_many(texts)
    for text, scores in zip(texts, many):
        one = scorer.score(text)
        assert one.keys() == {"spam", "abuse"}
        assert abs(one["spam"] - scores["spam"]) < 1e-12
        assert abs(one["abuse"] - scores["abuse"]) < 1e-12
    assert scorer.score_many([]) == []


def test_explain_names_the_words_that_raised_each_score(tiny_artifacts):
    scorer = Scorer.load(tiny_artifacts)
    reasons = scorer.explain("shut up you moron, subscribe to my channel", top=3)
    assert set(reasons) == {"spam", "abuse"}
    assert 0 < len(reasons["abuse"]) <= 3
    abuse_terms = [r["term"] for r in reasons["abuse"]]
    assert any("moron" in t for t in abuse_terms)
    assert any(t in ("subscribe", "channel", "my channel", "subscribe to") for t in
               (r["term"] for r in reasons["spam"]))
    weights = [r["weight"] for r in reasons["abuse"]]
    assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)


def test_fitting_the_regressions_in_threads_gives_the_same_model(tiny_data):
    import numpy as np

    from model import train
    from model.dataset import load_corpora

    rows = [e for c in load_corpora(tiny_data) for e in c.examples if e.split != "test"]
    one, two = train.fit(rows, jobs=1), train.fit(rows, jobs=2)
    assert np.array_equal(one.coef_, two.coef_)
    # The calibration sees the same scores, summed in another order by BLAS (1e-16 apart).
    assert np.allclose(one.calibration_, two.calibration_, rtol=0, atol=1e-12)
    assert np.allclose(one.extra_, two.extra_, rtol=0, atol=1e-12)
    texts = ["shut up you moron", "subscribe to my channel", "The council should explain"]
    assert np.allclose(one.predict_proba(texts), two.predict_proba(texts), rtol=0, atol=1e-12)
