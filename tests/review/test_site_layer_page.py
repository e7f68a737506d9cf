"""The models page tells moderators which site layer serves and what its gate said."""

from __future__ import annotations

from model import Scorer
from model.site_update import update
from site_decisions import GUARD, decide, site_comments


def test_the_models_page_names_the_serving_layer_and_the_gates_words(review_app, ann):
    engine = review_app.extensions["store"].engine
    page = ann.get("/review/models").get_data(as_text=True)
    assert "No site layer is serving" in page
    decide(engine, site_comments(200))
    # The review pages' scorer is a fake; the layer learns on top of the shipped model.
    stored = update(engine, Scorer.load(), GUARD)["stored"]
    page = ann.get("/review/models").get_data(as_text=True)
    assert f"Serving <strong>{stored}</strong>" in page
    assert "adjusts abuse on top of the general model" in page
    assert "each scored by a layer that never saw it" in page      # the gate's own words


def test_the_models_page_shows_each_languages_decisions_auc_and_state(review_app, ann):
    import re

    from model.site_update import MIN_LANGUAGE_DECISIONS, update_all
    from site_decisions import indonesian_site_comments

    engine = review_app.extensions["store"].engine
    decide(engine, indonesian_site_comments(200), language="id")
    decide(engine, indonesian_site_comments(5, seed=2), start=300, language="jv")
    (_english, indonesian) = update_all(engine, Scorer.load(), GUARD)
    page = ann.get("/review/models").get_data(as_text=True)

    row = re.search(r'<tr data-language="id">(.*?)</tr>', page, re.S).group(1)
    assert "Indonesian (id)" in row and "<td>200</td>" in row
    auc = indonesian["labels"]["abuse"]["site"]["new"]
    assert f"abuse {auc:.3f}" in row and f"serving {indonesian['stored']} for abuse" in row
    waiting = re.search(r'<tr data-language="jv">(.*?)</tr>', page, re.S).group(1)
    assert "<td>5</td>" in waiting
    assert f"learning: a layer is fitted from {MIN_LANGUAGE_DECISIONS} decisions" in waiting
    assert '<tr data-language="en">' in page        # English's row, with no decisions yet
