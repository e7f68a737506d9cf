"""Every language learns from the site's moderators (issue 17): decisions on comments in a
language the general model has not learnt teach that language a layer of its own, judged by the
same gate against chance; they never reach the English heads or the English layer."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from model import site_store
from model.decisions import decided_languages, read_decisions
from model.site_update import MIN_LANGUAGE_DECISIONS, describe, languages_to_learn, update_all
from service.storage.db import make_engine
from service.classifier.site_layers import SiteLayers
from site_decisions import GUARD, T0, decide, indonesian_site_comments, site_comments


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def test_indonesian_decisions_teach_an_indonesian_layer_and_not_the_english_one(engine, scorer):
    decide(engine, indonesian_site_comments(200), language="id")

    assert read_decisions(engine, "en") == []
    assert decided_languages(engine) == {"id": 200}
    english, indonesian = update_all(engine, scorer, GUARD, now=T0 + timedelta(days=1))

    assert english["language"] == "en" and english["decisions"] == 0
    assert not english["promoted"]
    assert indonesian["language"] == "id" and indonesian["promoted_labels"] == ["abuse"]
    assert indonesian["general_version"] is None
    assert "against chance" in " ".join(indonesian["reasons"])
    assert "has no general model to guard" in " ".join(indonesian["reasons"])
    assert "the 'id' model of abuse" in describe(indonesian)

    layers = SiteLayers(engine)
    layers.refresh()
    assert layers.own_languages() == {"id"}
    scored = layers.score_alone(["Buzzer bayaran semua di sini, jangan percaya mereka.",
                                 "Laporan soal tarif Transjakarta ini sangat membantu."], "id")
    assert scored[0].scores["abuse"] > 0.5 > scored[1].scores["abuse"]
    assert scored[0].model_version == indonesian["stored"]
    assert scored[0].thresholds["abuse"] == {"hold": 0.5, "reject": 1.0}   # it never rejects


def test_english_decisions_still_teach_the_layer_on_the_general_model(engine, scorer):
    decide(engine, site_comments(200))                    # stored before languages were told
    decide(engine, indonesian_site_comments(40, seed=3), start=200, language="id")

    assert len(read_decisions(engine, "en")) == 200
    english, indonesian = update_all(engine, scorer, GUARD, now=T0 + timedelta(days=1))
    assert english["promoted_labels"] == ["abuse"] and english["decisions"] == 200
    assert indonesian["decisions"] == 40
    layer, _stored = site_store.current(engine, "en")
    assert layer.uses_general_model


def test_a_language_waits_for_enough_decisions_of_its_own(engine):
    decide(engine, indonesian_site_comments(MIN_LANGUAGE_DECISIONS - 1), language="id")
    assert languages_to_learn(engine) == ["en"]
    decide(engine, indonesian_site_comments(1, seed=5), start=100, language="id")
    assert languages_to_learn(engine) == ["en", "id"]


def test_random_decisions_in_a_language_are_not_promoted(engine, scorer):
    comments = indonesian_site_comments(200, seed=7)
    flips = np.random.default_rng(7).random(len(comments)) < 0.25
    decide(engine, [(text, bool(flip)) for (text, _), flip in zip(comments, flips)],
           language="id")
    (indonesian,) = update_all(engine, scorer, GUARD, languages=["id"])
    assert not indonesian["promoted"]
    assert site_store.current(engine, "id") is None


def test_the_command_learns_the_language_it_is_asked_for(db_url, engine, capsys):
    from model.site_update import main

    decide(engine, indonesian_site_comments(200), language="id")
    assert main(["--database-url", db_url, "--language", "id", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "read 200 decided 'id' comments from" in out
    assert "promoted (dry run): the site layer now is the 'id' model of abuse" in out
    assert "English" not in out
    assert site_store.current(engine, "id") is None            # a dry run stores nothing
