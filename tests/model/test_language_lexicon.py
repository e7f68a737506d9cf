"""A language the general model never learnt starts from a published abuse list, not from
nothing: the layer learns from the moderators' decisions how far to trust the list, and then
knows the list's words no decision contained (issue 17; bench/README.md, "A language learnt from
decisions alone"). Portuguese comments written for these tests, none from a corpus."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from indonesian_comments import CLEAN, MIXED
from model import language_lexicon, site_layer

# Removed: insults, three with "idiota" (on the Portuguese list), one with "lixo" (not on it);
# kept: ordinary comments. No decision has "babaca" or "canalha" (both on the list).
REMOVED = ["Que idiota escreveu isso sobre o {}?", "Esse prefeito é um idiota, o {} prova.",
           "Matéria lixo sobre o {}, jornal lixo.", "Só um idiota defende o {}."]
KEPT = ["Boa reportagem sobre o {}, obrigado.", "Quando vai ser votado o {} na câmara?",
        "Moro perto do {} e concordo com a matéria.", "Faltou ouvir os moradores sobre o {}."]
SUBJECTS = ["metrô", "orçamento", "hospital", "parque", "viaduto", "mercado", "porto"]


def _decisions():
    texts, removed = [], []
    for subject in SUBJECTS:
        for template in REMOVED:
            texts.append(template.format(subject))
            removed.append(1)
        for template in KEPT:
            texts.append(template.format(subject))
            removed.append(0)
    return texts, np.c_[np.full(len(texts), -1), removed]


def test_the_list_teaches_a_portuguese_layer_words_no_decision_contained():
    texts, labels = _decisions()
    unseen = ["Que babaca, e ainda é canalha.", "Que bonito, e ainda é barato."]
    with_list = site_layer.fit(texts, labels, None, "pt").adjust(unseen, None)[:, 1]
    assert with_list[0] > with_list[1] + 0.2
    # Without a list (a language none ships for), the two are words the decisions never saw.
    without = site_layer.fit(texts, labels, None, "xx").adjust(unseen, None)[:, 1]
    assert abs(without[0] - without[1]) < 0.1


def test_the_lists_match_what_readers_write_to_dodge_them():
    portuguese = language_lexicon.for_language("pt")
    assert portuguese.hits("DESGRAÇADO") == portuguese.hits("desgracado") == ["desgracado"]
    assert portuguese.hits("p0rraaaa") == ["pora"]                  # leet, repeats, folded
    assert "filho_da_puta" in portuguese.hits("Seu filho da puta!")
    indonesian = language_lexicon.for_language("id")
    assert indonesian.hits("Dasar g0bl0kkk, anjiiing!") == ["goblok", "anjing"]


def test_ordinary_indonesian_news_comments_hit_nothing():
    # The published list has everyday words a Jakarta news site reads all day ("terima kasih",
    # "tanggul", "tol"); model/lexicons/README.md lists those left out.
    indonesian = language_lexicon.for_language("id")
    assert [t for t in CLEAN + MIXED if indonesian.hits(t)] == []


def test_english_and_languages_without_a_list_keep_their_features():
    texts = ["The council votes on the ferry timetable.", "Que idiota."]
    width = site_layer.text_features(texts).shape[1]  # words, characters, context tokens
    assert site_layer.features(texts, "en").shape == (2, width)
    assert site_layer.features(texts, "nl").shape == (2, width)
    assert language_lexicon.for_language("../pt") is None
    assert site_layer.features(texts, "pt").shape == (2, width + language_lexicon.N_COLUMNS)


def test_a_layer_stored_before_the_lists_scores_as_it_did():
    texts, labels = _decisions()
    old = site_layer.SiteLayer("pt")
    old.labels["abuse"] = site_layer.LabelLayer.fit(site_layer.text_features(texts),
                                                    labels[:, 1], strength=site_layer.ALONE)
    stored = site_layer.SiteLayer.from_bytes(old.to_bytes())
    z = old.labels["abuse"].decision(site_layer.text_features(texts), None)
    assert np.allclose(stored.adjust(texts, None)[:, 1], 1 / (1 + np.exp(-z)))


def test_every_shipped_list_names_its_source_and_digest():
    readme = (language_lexicon.LEXICONS / "README.md").read_text(encoding="utf-8")
    for path in sorted(language_lexicon.LEXICONS.glob("*.txt")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        row = next((line for line in readme.splitlines() if f"`{path.name}`" in line), "")
        assert digest[:16] in row, f"{path.name}: sha256 {digest} not in README.md"
        assert re.search(r"CC0|CC BY|MIT", row), path.name
