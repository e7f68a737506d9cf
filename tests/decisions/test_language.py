"""Language identification: Indonesian and English told apart offline, short and mixed comments
left "unknown" rather than guessed, and the same answers as py3langid's own classifier."""

from __future__ import annotations

import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from indonesian_comments import CLEAN, MIXED, SHORT
from service import config
from service.decisions.language import UNKNOWN, Identifier, name

DEFAULT = config.parse_languages(
    next(s.default for s in config.SETTINGS if s.name == "MODERATION_LANGUAGES"))

ENGLISH = [
    "The mayor promised an audit two years ago and we still have nothing. Where is it?",
    "I disagree with the editorial. Some data sharing is necessary after a serious crime.",
    "Thanks for including the budget figures. Eleven million dollars for cameras is a lot.",
    "Honest question: does the new state privacy law apply to fusion centres at all?",
]


@pytest.fixture(scope="module")
def identifier() -> Identifier:
    return Identifier(DEFAULT)


def test_indonesian_news_comments_are_indonesian(identifier):
    assert [identifier.identify(text) for text in CLEAN] == ["id"] * len(CLEAN)


def test_english_news_comments_are_english(identifier):
    assert [identifier.identify(text) for text in ENGLISH] == ["en"] * len(ENGLISH)


@pytest.mark.parametrize("text", SHORT + ["Good reporting.", "lol", "👍👍👍", "12345 67890 !!!"])
def test_short_comments_are_unknown_rather_than_a_guess(identifier, text):
    assert identifier.identify(text) == UNKNOWN


def test_a_comment_half_english_half_indonesian_is_unknown(identifier):
    # Long enough to tell each half apart: the first half reads English, the second Indonesian.
    guess = identifier.guess(MIXED[2])
    assert guess.language == UNKNOWN and guess.confidence >= identifier.min_confidence


def test_a_comment_the_model_is_unsure_of_is_unknown(identifier):
    guess = identifier.guess(MIXED[1])  # "Totally agree, pemprov harus transparan. ..."
    assert guess.language == UNKNOWN and guess.confidence < identifier.min_confidence
    assert guess.best is not None  # the model's best guess is kept, not acted on


def test_the_length_rule_counts_letters_not_characters(identifier):
    assert identifier.identify("!!! ??? ... " * 5 + "Setuju banget") == UNKNOWN
    assert identifier.identify("Setuju banget, pemprov harus transparan soal anggaran.") == "id"


@pytest.mark.parametrize("candidates", [DEFAULT, ("en", "id"), ()])
def test_answers_are_py3langids_own(candidates):
    """Our faster glue gives the package's classify result: same language, same probability."""
    ours = Identifier(candidates)
    theirs = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if candidates:
        theirs.set_languages(list(candidates))
    for text in CLEAN[:10] + ENGLISH + MIXED:
        best, confidence, _ = ours._classify(text)
        expected, expected_confidence = theirs.classify(text)
        assert best == expected
        assert confidence == pytest.approx(expected_confidence, abs=1e-3)


def test_candidates_restrict_the_answers():
    # Restricted to English and Indonesian, German has to be one of them or unknown.
    german = "Die Stadtverwaltung hat die Zahlen zum Haushalt immer noch nicht veröffentlicht."
    assert Identifier(("en", "id")).identify(german) in {"en", "id", UNKNOWN}
    assert Identifier(DEFAULT).identify(german) == "de"


def test_a_language_the_model_does_not_know_is_refused_by_name():
    with pytest.raises(ValueError, match="does not know the language code.*xx"):
        Identifier(("en", "xx"))


def test_an_unknown_language_code_stops_the_app_with_the_setting_named(make_app):
    with pytest.raises(ValueError, match="MODERATION_LANGUAGES: .*qq"):
        make_app(MODERATION_LANGUAGES="en,qq")


def test_language_names_for_moderators():
    assert name("id") == "Indonesian (id)"
    assert name(UNKNOWN) == "not identified"
    assert name(None).startswith("not identified")
    assert name("sw") == "sw"


# -- the plain-English shortcut ---------------------------------------------------------------------

LATIN_SCRIPT_OTHERS = [
    "Die Stadtverwaltung hat die Zahlen zum Haushalt immer noch nicht veroffentlicht, und das ist "
    "ein Problem fur alle.",
    "Le maire a promis un audit il y a deux ans et nous n'avons toujours rien, c'est une honte.",
    "El alcalde prometio una auditoria hace dos anos y todavia no tenemos nada, es una verguenza.",
    "De burgemeester beloofde twee jaar geleden een audit en we hebben nog steeds niets gezien.",
    "O prefeito prometeu uma auditoria ha dois anos e ate agora nao temos nada, isso e uma vergonha.",
    "Ang mayor ay nangako ng audit dalawang taon na ang nakalipas pero wala pa rin hanggang ngayon.",
    # English first, Indonesian after: the model's halves decide, not the shortcut.
    "The minister said the budget would be published this week, tapi sampai sekarang belum ada "
    "juga dan warga masih menunggu.",
]


@pytest.mark.parametrize("text", [ENGLISH[0], ENGLISH[2], ENGLISH[3]])
def test_plainly_english_comments_are_told_without_the_model_and_the_model_agrees(text):
    from service.decisions.language import plainly_english

    assert plainly_english(text)
    assert Identifier(DEFAULT, shortcut=False).identify(text) == "en"


@pytest.mark.parametrize("text", CLEAN[:10] + MIXED + SHORT + LATIN_SCRIPT_OTHERS)
def test_the_shortcut_leaves_every_other_language_and_every_mix_to_the_model(text):
    from service.decisions.language import plainly_english

    assert not plainly_english(text)
    assert Identifier(DEFAULT).identify(text) == Identifier(DEFAULT, shortcut=False).identify(text)


def test_a_short_english_comment_with_few_function_words_is_left_to_the_model():
    from service.decisions.language import plainly_english

    # Three function words in fourteen: English, but not plainly enough to skip the model.
    assert not plainly_english(ENGLISH[1])
    assert Identifier(DEFAULT).identify(ENGLISH[1]) == "en"


def test_without_english_among_the_candidates_there_is_no_shortcut():
    assert Identifier(("id", "pt")).identify(ENGLISH[0]) != "en"
