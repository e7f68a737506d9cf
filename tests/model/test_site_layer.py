"""The site layer learns what this site's moderators decide, and its gate refuses what is wrong.

Decisions enter as a site's would (intake, then the review page's verb), in a real store on
SQLite and PostgreSQL; the general model is the shipped one.
"""

from __future__ import annotations

import io
import random
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import text

from model import site_gate, site_layer, site_store
from model.site_update import describe, update
from service.storage.db import make_engine
from service.classifier.site_layers import SiteLayers
from service.integrations.apikeys import add_key
from comment_helpers import all_comments, good_form
from site_decisions import ADS, GUARD, T0, BlindToSpam, decide, site_comments, website_spam

@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def test_a_layer_round_trips_as_arrays_without_pickle(scorer):
    texts = [c for c, _ in site_comments(60)]
    labels = np.array([[-1, int(r)] for _, r in site_comments(60)])
    layer = site_layer.fit(texts, labels, scorer.model.predict_proba(texts))
    again = site_layer.SiteLayer.from_bytes(layer.to_bytes())
    base = scorer.model.predict_proba(texts)
    assert np.allclose(layer.adjust(texts, base), again.adjust(texts, base))
    assert b"pickle" not in layer.to_bytes()


def test_the_site_teaches_a_word_no_corpus_calls_abuse(engine, scorer):
    decide(engine, site_comments(200))
    result = update(engine, scorer, GUARD, now=T0 + timedelta(days=1))

    assert result["promoted"] and result["promoted_labels"] == ["abuse"]
    assert result["labels"]["abuse"]["site"]["low"] > 0
    assert "spam" in " ".join(result["reasons"])          # says why spam was not learnt
    serving = SiteLayers(engine)
    serving.refresh()
    fresh = "The paid shills are out in force on the ferry timetable."
    general = scorer.score(fresh)
    adjusted = serving.adjust([fresh], [general])[0]
    assert adjusted["abuse"] > general["abuse"] + 0.2
    polite = "I read the ferry timetable article with interest."
    assert serving.adjust([polite], [scorer.score(polite)])[0]["abuse"] < 0.5


def test_where_the_general_model_knows_nothing_the_decisions_speak(engine, scorer):
    # Ads no corpus has seen, and a general model whose spam score is noise on them: the layer
    # closest to the general model is not the one chosen.
    decide(engine, site_comments(200, seed=4, removed=ADS), reason="spam")
    result = update(engine, BlindToSpam(scorer), GUARD)

    assert result["promoted_labels"] == ["spam"]
    assert result["labels"]["spam"]["strength"] != site_layer.C
    assert "ranks this site's decisions best out of fold" in " ".join(result["reasons"])
    layer, _stored = site_store.current(engine)
    fresh = "Cheap tickets for the ferry timetable, message me for a discount code."
    ordinary = "The ferry timetable changes next month, according to the council."
    blind = BlindToSpam(scorer).predict_proba([fresh, ordinary])
    adjusted = layer.adjust([fresh, ordinary], blind)[:, 0]
    assert adjusted[0] > 0.5 > adjusted[1]


def test_a_site_whose_spammers_fill_the_website_field_learns_it_from_100_decisions(engine,
                                                                                   scorer):
    comments, websites = website_spam(100)
    decide(engine, comments, reason="spam", websites=websites)
    result = update(engine, scorer, GUARD)

    assert result["promoted_labels"] == ["spam"]
    layer, _stored = site_store.current(engine)
    # A shop the site has never seen, under words the site has seen from readers and spammers.
    fresh = "Thanks for explaining the ferry timetable so clearly."
    general = scorer.model.predict_proba([fresh, fresh])
    with_site, without = layer.adjust([fresh, fresh], general,
                                      websites=["cheap-watches.example.net", ""])[:, 0]
    assert with_site > without + 0.4


def test_a_layer_stored_before_the_context_tokens_loads_and_scores_as_it_did(scorer):
    texts = [c for c, _ in site_comments(60)]
    labels = np.array([[-1, int(r)] for _, r in site_comments(60)])
    base = scorer.model.predict_proba(texts)
    layer = site_layer.fit(texts, labels, base)
    old = site_layer.SiteLayer.from_bytes(_with_format(layer.to_bytes(), 1))
    # Links and a website give a format-1 layer nothing to weigh: its columns are the words'
    # and the characters' only.
    linked = [f"{t} https://www.example.com/page" for t in texts]
    assert np.allclose(old.adjust(texts, base), layer.adjust(texts, base))
    linked_base = scorer.model.predict_proba(linked)
    assert np.allclose(old.adjust(linked, linked_base, websites=["shop.example"] * len(linked)),
                       old.adjust(linked, linked_base))
    with pytest.raises(ValueError, match="format 3"):
        site_layer.SiteLayer.from_bytes(_with_format(layer.to_bytes(), 3))


def _with_format(data: bytes, version: int) -> bytes:
    """A stored layer's arrays as another format number would have stored them."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["format"] = np.array([version])
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def test_intake_scores_a_comment_by_the_website_its_author_gave(make_app):
    app = make_app()
    comments, websites = website_spam(100)
    decide(app.extensions["store"].engine, comments, reason="spam", websites=websites)
    assert update(app.extensions["store"].engine, app.extensions["scorer"].scorer,
                  GUARD)["promoted_labels"] == ["spam"]

    client = app.test_client()
    for n, website in enumerate(["https://cheap-watches.example.net/", ""]):
        response = client.post("/comments", data=good_form(
            comment="Thanks for explaining the ferry timetable so clearly.", url=website,
            author=f"Newcomer {n}", email=f"newcomer{n}@example.org"))
        assert response.status_code == 303
    with_site, without = all_comments(app)[-2:]
    assert with_site.url == "https://cheap-watches.example.net/" and without.url == ""
    assert with_site.spam_score > without.spam_score + 0.4


def test_akismet_clients_get_the_same_weighing_of_the_website_field(make_app):
    # A WordPress site pointed at our Akismet API sends the author's website as
    # comment_author_url: the site layer weighs it as it does in our own intake.
    app = make_app()
    comments, websites = website_spam(100)
    decide(app.extensions["store"].engine, comments, reason="spam", websites=websites)
    update(app.extensions["store"].engine, app.extensions["scorer"].scorer, GUARD)
    _, key = add_key(app.extensions["store"].engine, app.config["MODERATION_API_KEY_HASH_KEY"],
                     "Daily Planet WordPress")
    client = app.test_client()
    answers = [client.post("/1.1/comment-check", data={
        "api_key": key, "blog": "https://planet.example", "user_ip": "203.0.113.9",
        "comment_content": "Thanks for explaining the ferry timetable so clearly.",
        "comment_author_url": website}).get_data(as_text=True)
        for website in ("https://cheap-watches.example.net/", "")]
    assert answers == ["true", "false"]


def test_deliberately_wrong_decisions_are_never_promoted(engine, scorer):
    # A batch of wrong decisions (the site's "paid shill" removals approved and ordinary comments
    # removed), then the moderators' right ones: the layer the mixture teaches does worse on
    # what moderators decide now than the general model, and stays out.
    decide(engine, site_comments(240, seed=11), wrong=True)
    decide(engine, site_comments(60, seed=12), start=1000)
    result = update(engine, scorer, GUARD, now=T0 + timedelta(days=1))

    assert not result["promoted"]
    assert "what serves now ranks them better" in describe(result)
    assert site_store.current(engine) is None
    assert site_store.history(engine)[0].state == "refused"


def test_decisions_that_turn_the_model_upside_down_are_stopped_by_the_corpora():
    y = np.array([1] * 30 + [0] * 300)
    general = np.linspace(0, 1, y.size)
    verdict = site_gate.judge("abuse", y, general + y, general, None,
                              [{"source": "olid", "without": 0.84, "with_layer": 0.62}])
    assert not verdict["promote"]
    assert "turn the model against what it knew" in " ".join(verdict["reasons"])


def test_random_decisions_are_not_clearly_better_and_stay_out(engine, scorer):
    rng = random.Random(7)
    comments = [(c, rng.random() < 0.3) for c, _ in site_comments(200, seed=5)]
    decide(engine, comments)
    result = update(engine, scorer, GUARD, now=T0 + timedelta(days=1))
    assert not result["promoted"]
    assert "not clearly better" in describe(result)


def test_a_candidate_worse_than_the_serving_layer_on_the_latest_decisions_is_refused():
    rng = np.random.default_rng(1)
    y = np.array([1] * 30 + [0] * 300)
    general = rng.normal(size=y.size)
    candidate = general + y * 1.5             # clearly better than the general model...
    recent_y = np.array([1] * 10 + [0] * 60)
    serving = rng.normal(size=recent_y.size) + recent_y * 2.0
    worse = serving - recent_y * 1.5           # ...but worse than the layer serving now
    verdict = site_gate.judge("abuse", y, candidate, general,
                              {"y": recent_y, "candidate": worse, "current": serving})
    assert not verdict["promote"]
    assert "what serves now ranks them better" in " ".join(verdict["reasons"])
    better = site_gate.judge("abuse", y, candidate, general,
                             {"y": recent_y, "candidate": serving + recent_y, "current": serving})
    assert better["promote"]


def test_every_host_follows_the_current_layer_and_a_switch_off(engine, scorer):
    hosts = [SiteLayers(engine), SiteLayers(engine)]
    decide(engine, site_comments(200))
    stored = update(engine, scorer, GUARD)["stored"]
    for host in hosts:
        host.refresh()
        assert host.serving() == stored
    site_store.switch_off(engine)
    for host in hosts:
        host.refresh()
        assert host.serving() is None


def test_a_tampered_layer_is_not_loaded_and_the_serving_one_stays(engine, scorer):
    decide(engine, site_comments(200))
    stored = update(engine, scorer, GUARD)["stored"]
    host = SiteLayers(engine)
    host.refresh()
    layer_id = int(stored.split("-")[1])
    with engine.begin() as conn:
        conn.execute(text("UPDATE site_layers SET state = 'retired'"))
        conn.execute(text(
            "INSERT INTO site_layers (language, created_at, state, decisions, sha256, payload, "
            "card) SELECT language, created_at, 'current', decisions, sha256, :payload, card "
            "FROM site_layers WHERE id = :id"), {"payload": b"not the layer", "id": layer_id})
    host.refresh()
    assert host.serving() == stored and "sha256" in host.error


def test_paired_bootstrap_sees_a_real_gain_and_not_noise():
    rng = np.random.default_rng(0)
    y = np.array([1] * 40 + [0] * 400)
    old = rng.normal(size=y.size) + y * 0.8
    better = old + y * 1.0
    gain = site_gate.paired_bootstrap(y, better, old)
    assert gain["gain"] > 0 and gain["low"] > 0
    noise = site_gate.paired_bootstrap(y, old + rng.normal(size=y.size) * 0.5, old)
    assert noise["low"] < 0



def test_the_bootstraps_auc_of_a_resample_is_the_auc_of_its_rows_ties_and_all():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(1)
    for _ in range(50):
        y = (rng.random(200) < 0.2).astype(int)
        scores = np.round(rng.random(200), 1)            # many ties
        pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
        rows = np.concatenate([rng.choice(pos, pos.size), rng.choice(neg, neg.size)])
        counts = np.bincount(rows, minlength=y.size).astype(float)
        assert site_gate._ResampledAuc(y, scores).auc(counts) == pytest.approx(
            roc_auc_score(y[rows], scores[rows]), abs=1e-12)
