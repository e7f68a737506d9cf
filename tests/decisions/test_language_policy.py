"""The policy per language: the English heads score English only; Indonesian (a language without
a model on day one) is decided by the rules and published; the operator may hold a language or
score it with the site's own model once there is one; comments whose language is not told are
scored with only the confident lines acting; blocked and watched terms per language."""

from __future__ import annotations

from functools import partial

import pytest

from comment_helpers import good_form
from indonesian_comments import CLEAN, MIXED, SHORT
from service.decisions import language_policy
from service.classifier import scoring
from service.intake.views import policy_rules
from service.integrations.assessment import assess
from service.decisions.language import UNKNOWN
from service.decisions.language_policy import HOLD, MODEL, RULES, Plan, confident_only, plan
from service.decisions.policy import Thresholds

BOTH = frozenset({"en", "id"})
ENGLISH_ONLY = frozenset({"en"})

ENGLISH_CLEAN = [
    "The mayor promised an audit two years ago and we still have nothing. Where is it?",
    "Thanks for including the budget figures. Eleven million dollars for cameras is a lot.",
]


class FixedScorer:
    """Gives every comment the same scores, so a test knows which line they cross; `languages`
    says which languages it is a model for, as a per-language model's card will."""

    version = "fixed-1"
    thresholds = {"spam": {"hold": 0.5, "confident": 0.8, "reject": 0.97},
                  "abuse": {"hold": 0.5, "confident": 0.8, "reject": 0.95}}

    def __init__(self, abuse: float = 0.0, languages=("en",)) -> None:
        self.abuse, self.languages, self.scored = abuse, languages, []

    def score_many(self, texts):
        self.scored.extend(texts)
        return [{"spam": 0.0, "abuse": self.abuse} for _ in texts]


def post(client, text, n=1, **fields):
    response = client.post("/api/comments", json=good_form(
        comment=text, author=f"Pembaca {n}", email=f"pembaca{n}@example.id", **fields),
        environ_base={"REMOTE_ADDR": f"10.2.0.{n % 250}"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# -- the plan, a pure function ---------------------------------------------------------------------

@pytest.mark.parametrize("language, policy, scorable, expected", [
    ("en", {}, ENGLISH_ONLY, Plan("en", MODEL, "en")),
    ("id", {}, ENGLISH_ONLY, Plan("id", RULES, None)),
    # "model" for a language that has none yet: the rules alone, until it has one.
    ("id", {"id": MODEL}, ENGLISH_ONLY, Plan("id", MODEL, None)),
    ("id", {"id": MODEL}, BOTH, Plan("id", MODEL, "id")),
    ("id", {"id": HOLD}, BOTH, Plan("id", HOLD, None)),
    ("zh", {"*": HOLD}, ENGLISH_ONLY, Plan("zh", HOLD, None)),
    # A model learnt for a language is not used unless the operator chose it for that language.
    ("id", {}, BOTH, Plan("id", RULES, None)),
    (UNKNOWN, {}, ENGLISH_ONLY, Plan(UNKNOWN, MODEL, "en", confident_only=True)),
    (UNKNOWN, {"*": HOLD}, ENGLISH_ONLY, Plan(UNKNOWN, MODEL, "en", confident_only=True)),
    (UNKNOWN, {UNKNOWN: RULES}, ENGLISH_ONLY, Plan(UNKNOWN, RULES, None)),
    ("en", {"en": RULES}, ENGLISH_ONLY, Plan("en", RULES, None)),
])
def test_plan(language, policy, scorable, expected):
    assert plan(language, policy, scorable) == expected


def test_confident_only_raises_the_hold_lines_to_the_cards_confident_lines():
    lines = {"spam": Thresholds(0.5, 0.97), "abuse": Thresholds(0.5, 0.95)}
    assert confident_only(lines, FixedScorer.thresholds) == {
        "spam": Thresholds(0.8, 0.97), "abuse": Thresholds(0.8, 0.95)}
    # No confident line on the card: only the reject line acts. A line the operator set stays.
    assert confident_only(lines, {"spam": {"hold": 0.5, "reject": 0.97}},
                          fixed=frozenset({"abuse"})) == {
        "spam": Thresholds(0.97, 0.97), "abuse": Thresholds(0.5, 0.95)}


def test_the_scorer_holder_says_which_languages_it_scores(scorer):
    assert scoring.ScorerHolder(scorer).languages() == {"en"}
    assert scoring.ScorerHolder(None).languages() == {"en"}  # down, but still English's model
    assert scoring.ScorerHolder(FixedScorer(languages=("en", "id"))).languages() == BOTH
    with pytest.raises(ValueError, match="no model scores comments in 'id'"):
        scoring.ScorerHolder(scorer).score_many(["Banjir lagi."], "id")


# -- day one on Indonesian: rules only, published --------------------------------------------------

@pytest.fixture()
def site(make_app):
    """A fresh site with the shipped model and the settings a newsroom starts with."""
    return make_app().test_client()


def test_day_one_clean_indonesian_comments_are_all_published_and_never_scored(site):
    assert len(CLEAN) >= 30
    answers = [post(site, text, n) for n, text in enumerate(CLEAN, 1)]
    not_published = [(text, a["status"], a["reasons"]) for text, a in zip(CLEAN, answers)
                     if a["status"] != "published"]
    assert not_published == []
    assert {a["language"] for a in answers} == {"id"}
    assert all(a["scores"] == {"spam": None, "abuse": None} for a in answers)
    assert {tuple(a["reasons"]) for a in answers} == {("language_unscored:id",)}


def test_short_and_mixed_clean_comments_are_published(site):
    answers = [post(site, text, n) for n, text in enumerate(SHORT + MIXED, 1)]
    assert [a["status"] for a in answers] == ["published"] * len(answers)
    assert all(a["language"] == UNKNOWN for a in answers[:len(SHORT)])


def test_an_indonesian_comment_is_not_held_when_the_classifier_is_down(make_app):
    app = make_app()
    app.extensions["scorer"] = scoring.ScorerHolder(None, "artifact missing")
    client = app.test_client()
    assert post(client, CLEAN[0])["status"] == "published"
    english = post(client, ENGLISH_CLEAN[0], 2)
    assert english["status"] == "pending" and english["reasons"] == ["scorer_unavailable"]


def test_the_rules_still_hold_an_indonesian_comment(site):
    links = ("Cek https://a.example/1 dan https://b.example/2 serta https://c.example/3 "
             "untuk data banjir lengkapnya.")
    answer = post(site, links)
    assert answer["language"] == "id"
    assert answer["status"] == "pending" and "links>2" in answer["reasons"]


GAMBLING_PROMOTION = [
    "Slot gacor hari ini gampang maxwin, daftar sekarang di situs terpercaya https://gacor88.example",
    "Mau menang besar? Main di situs resmi, deposit pulsa tanpa potongan, link alternatif di profil",
    "Bosan kerja keras? Coba pola gacor kami, anti rungkad dan bonus new member 100% hari ini",
]


@pytest.mark.parametrize("text", GAMBLING_PROMOTION)
def test_day_one_gambling_promotion_is_held_by_the_default_watched_phrases(site, text):
    answer = post(site, text)
    assert answer["language"] == "id"
    assert answer["status"] == "pending"
    assert any(reason.startswith("watched_term:") for reason in answer["reasons"])


@pytest.mark.parametrize("text", [
    "Bagus kalau situs judi online diblokir, tapi bandar judinya juga harus ditangkap, jangan "
    "cuma pemainnya.",
    # "gacor": a team on form, not only a slot machine.
    "Timnas main gacor hari ini, lini tengahnya solid sekali dan pertahanannya rapat.",
])
def test_day_one_readers_talking_about_gambling_or_football_are_published(site, text):
    answer = post(site, text)
    assert answer["status"] == "published", answer["reasons"]


def test_day_one_a_betting_site_written_in_styled_letters_is_held(site):
    answer = post(site, "Sambil nonton berita, main di 𝐏𝐒𝐓𝐎𝐓𝐎𝟗𝟗 dulu, lumayan hoki hari ini")
    assert answer["status"] == "pending" and "styled_letters" in answer["reasons"]


def test_day_one_a_whatsapp_number_holds_an_indonesian_promotion(site):
    answer = post(site, "Butuh dana cepat tanpa jaminan? Pinjaman cair 5 menit, hubungi WA "
                        "0812-3456-7890 sekarang juga.")
    assert answer["language"] == "id"
    assert answer["status"] == "pending" and "phone_number" in answer["reasons"]


# -- terms per language -----------------------------------------------------------------------------

TERMS = {"MODERATION_BLOCKED_TERMS_BY_LANGUAGE": "id: bangsat, anjing; en: scumbag",
         "MODERATION_WATCHED_TERMS_BY_LANGUAGE": "id: demo"}


def test_an_indonesian_comment_with_a_blocked_indonesian_term_is_rejected(make_app):
    client = make_app(**TERMS).test_client()
    answer = post(client, "Dasar pejabat bangsat, uang rakyat dikorupsi terus tanpa rasa malu.")
    assert answer["language"] == "id"
    assert answer["status"] == "rejected" and "blocked_term:bangsat" in answer["reasons"]


def test_a_watched_term_holds_only_comments_in_its_language(make_app):
    client = make_app(**TERMS).test_client()
    indonesian = post(client, "Besok ada demo besar di depan Balai Kota, hati-hati macet ya.")
    assert indonesian["status"] == "pending" and "watched_term:demo" in indonesian["reasons"]
    english = post(client, "The demo of the new ticket machines at the station went badly.", 2)
    assert english["language"] == "en" and "watched_term:demo" not in english["reasons"]


def test_a_comment_whose_language_is_not_told_meets_every_languages_terms(make_app):
    client = make_app(**TERMS).test_client()
    answer = post(client, "Dasar anjing!")
    assert answer["language"] == UNKNOWN
    assert answer["status"] == "rejected" and "blocked_term:anjing" in answer["reasons"]


def test_the_sites_own_blocked_terms_apply_in_every_language(make_app):
    client = make_app(MODERATION_BLOCKED_TERMS="judi online").test_client()
    answer = post(client, "Mau untung besar? Main judi online di situs kami, pasti menang tiap hari.")
    assert answer["language"] == "id" and answer["status"] == "rejected"


# -- the operator's choices ---------------------------------------------------------------------------

def test_hold_holds_every_comment_in_that_language(make_app):
    client = make_app(MODERATION_LANGUAGE_POLICY="id:hold").test_client()
    answer = post(client, CLEAN[1])
    assert answer["status"] == "pending" and answer["reasons"] == ["language_hold:id"]
    assert post(client, ENGLISH_CLEAN[0], 2)["language"] == "en"


def test_model_for_a_language_without_one_is_rules_only_and_published(make_app):
    client = make_app(MODERATION_LANGUAGE_POLICY="id:model").test_client()
    answer = post(client, CLEAN[2])
    assert answer["status"] == "published" and answer["scores"]["abuse"] is None


def test_model_for_a_language_with_one_scores_with_it(make_app):
    bilingual = FixedScorer(abuse=0.6, languages=("en", "id"))
    client = make_app(SCORER=bilingual, MODERATION_LANGUAGE_POLICY="id:model",
                      MODERATION_HOLD_BUDGET="0").test_client()
    answer = post(client, CLEAN[3])
    assert answer["scores"]["abuse"] == 0.6 and answer["status"] == "pending"
    assert bilingual.scored == [CLEAN[3]]


def test_the_sites_own_indonesian_layer_scores_indonesian_once_it_learnt_it(make_app, scorer):
    from model.site_update import update_all
    from site_decisions import GUARD, decide, indonesian_site_comments

    app = make_app(MODERATION_LANGUAGE_POLICY="id:model")
    client = app.test_client()
    removed = "Dasar buzzer bayaran, pasti dibayar untuk membela proyek tanggul laut itu."
    before = post(client, removed)
    assert before["status"] == "published" and before["scores"]["abuse"] is None

    engine = app.extensions["store"].engine
    decide(engine, indonesian_site_comments(200), start=100, language="id")
    update_all(engine, scorer, GUARD)
    app.extensions["site_layers"].refresh()

    held = post(client, "Buzzer bayaran lagi yang membela anggaran trotoar, jangan percaya.", 2)
    assert held["language"] == "id" and held["status"] == "pending"
    assert held["scores"]["abuse"] > 0.5 and "abuse" in " ".join(held["reasons"])
    clean = post(client, CLEAN[4], 3)
    assert clean["status"] == "published" and clean["scores"]["abuse"] < 0.5
    english = post(client, ENGLISH_CLEAN[1], 4)
    assert english["scores"] == pytest.approx(scorer.score(ENGLISH_CLEAN[1]))

    # The operator's choice still rules: with the default (rules only) the layer is not used.
    default = make_app().test_client()
    assert post(default, "Kamu buzzer bayaran untuk proyek MRT fase dua, ketahuan.", 5)[
        "scores"]["abuse"] is None


# -- English scoring, and comments whose language is not told ------------------------------------

def test_english_comments_are_scored_by_the_english_heads_as_before(make_app, scorer):
    client = make_app().test_client()
    for n, text in enumerate(ENGLISH_CLEAN, 1):
        answer = post(client, text, n)
        assert answer["language"] == "en" and answer["status"] == "published"
        assert answer["scores"] == pytest.approx(scorer.score(text))
        assert not any(reason.startswith("language_") for reason in answer["reasons"])


def test_the_english_heads_never_score_an_indonesian_comment(make_app):
    english_model = FixedScorer(abuse=0.99)
    client = make_app(SCORER=english_model).test_client()
    answer = post(client, "Pejabat yang korup itu harus segera diadili, rakyat sudah muak.")
    assert answer["status"] == "published" and english_model.scored == []


@pytest.mark.parametrize("abuse, status", [(0.6, "published"), (0.85, "pending"),
                                           (0.96, "rejected")])
def test_unknown_comments_act_only_on_confident_scores(make_app, abuse, status):
    # The budget is off, so English comments hold at the card's uncertain line (0.5).
    client = make_app(SCORER=FixedScorer(abuse=abuse), MODERATION_HOLD_BUDGET="0").test_client()
    assert post(client, "Mantul gan")["status"] == status
    english = post(client, ENGLISH_CLEAN[0], 2)
    assert english["status"] == ("rejected" if abuse >= 0.95 else "pending")


def test_unknown_comments_count_in_the_hold_budget_as_traffic_no_uncertain_score_holds(
        make_app):
    # The budget is a share of all the traffic the English heads score; an uncertain score
    # never holds a comment whose language was not told, so it takes none of the budget.
    app = make_app(SCORER=FixedScorer(abuse=0.1))
    client = app.test_client()
    post(client, "Mantul gan")
    post(client, ENGLISH_CLEAN[0], 2)
    assert app.extensions["store"].recent_scores("fixed-1", 10) == [(0.0, 0.1), (0.0, 0.0)]


def test_akismet_and_coral_checks_follow_the_language_policy(make_app):
    english_model = FixedScorer(abuse=0.99)
    app = make_app(SCORER=english_model)
    with app.test_request_context():
        indonesian = assess(CLEAN[4])
        english = assess(ENGLISH_CLEAN[1])
    assert indonesian.scores is None and indonesian.decision.status == "published"
    assert english.decision.status == "rejected" and english_model.scored == [ENGLISH_CLEAN[1]]


def test_judge_scores_each_language_once_per_group(make_app):
    english_model = FixedScorer()
    app = make_app(SCORER=english_model)
    texts = [ENGLISH_CLEAN[0], CLEAN[0], "Sip", ENGLISH_CLEAN[1]]
    judged = language_policy.judge(app, texts, partial(policy_rules, app.config))
    assert [j.plan.language for j in judged] == ["en", "id", UNKNOWN, "en"]
    assert english_model.scored == [texts[0], texts[2], texts[3]]
    assert judged[1].scored.scores is None and not judged[1].rules.scored
