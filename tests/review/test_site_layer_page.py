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
