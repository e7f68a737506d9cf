"""The decision policy as a table: scores + text + history -> status and reasons. No HTTP."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.decisions.policy import History, Rules, Thresholds, decide
from service.decisions.rules import count_links, matched_terms

RULES = Rules(
    thresholds={"spam": Thresholds(hold=0.5, reject=0.97),
                "abuse": Thresholds(hold=0.6, reject=0.9)},
    max_links=2,
    blocked_terms=("buy followers", "slur"),
    watched_terms=("lawsuit", "press"),
    trusted_after=3,
    trusted_hold_boost=0.15,
)
CLEAN = {"spam": 0.01, "abuse": 0.02}
NEW = History(approved_count=0)
TRUSTED = History(approved_count=3)


@pytest.mark.parametrize("scores, text, history, status, reasons", [
    # Clean text from a newcomer is published with no reasons.
    (CLEAN, "Glad the bridge is open again.", NEW, "published", []),
    # Score thresholds, per label: at the hold value holds, at the reject value rejects.
    ({"spam": 0.5, "abuse": 0.0}, "hi", NEW, "pending", ["spam_score>=0.5"]),
    ({"spam": 0.4999, "abuse": 0.0}, "hi", NEW, "published", []),
    ({"spam": 0.97, "abuse": 0.0}, "hi", NEW, "rejected", ["spam_score>=0.97"]),
    ({"spam": 0.0, "abuse": 0.6}, "hi", NEW, "pending", ["abuse_score>=0.6"]),
    ({"spam": 0.0, "abuse": 0.95}, "hi", NEW, "rejected", ["abuse_score>=0.9"]),
    # Both labels fire: the stronger wins, both are recorded.
    ({"spam": 0.99, "abuse": 0.7}, "hi", NEW, "rejected",
     ["spam_score>=0.97", "abuse_score>=0.6"]),
    # More than max_links holds; exactly max_links does not.
    (CLEAN, "see http://a.example and www.b.example", NEW, "published", []),
    (CLEAN, "http://a.example http://b.example https://c.example", NEW, "pending", ["links>2"]),
    # Blocked terms reject, watched terms hold: whole words, any case, phrases across spacing.
    (CLEAN, "Want to BUY   followers cheap?", NEW, "rejected", ["blocked_term:buy followers"]),
    (CLEAN, "A lawsuit was filed.", NEW, "pending", ["watched_term:lawsuit"]),
    (CLEAN, "WordPress users, and the express train", NEW, "published", []),  # not substrings
    (CLEAN, "The press was there; a lawsuit too.", NEW, "pending",
     ["watched_term:press", "watched_term:lawsuit"]),
    # A blocked term rejects even a trusted commenter with clean scores.
    (CLEAN, "what a slur", TRUSTED, "rejected", ["trusted:approved>=3", "blocked_term:slur"]),
    # Trust raises the hold thresholds (0.5 -> 0.65) and waives the link rule...
    ({"spam": 0.6, "abuse": 0.0}, "hi", TRUSTED, "published", ["trusted:approved>=3"]),
    ({"spam": 0.7, "abuse": 0.0}, "hi", TRUSTED, "pending",
     ["trusted:approved>=3", "spam_score>=0.65"]),
    (CLEAN, "http://a.x http://b.x http://c.x", TRUSTED, "published", ["trusted:approved>=3"]),
    # ...but never the reject thresholds or watched terms.
    ({"spam": 0.98, "abuse": 0.0}, "hi", TRUSTED, "rejected",
     ["trusted:approved>=3", "spam_score>=0.97"]),
    (CLEAN, "lawsuit", TRUSTED, "pending", ["trusted:approved>=3", "watched_term:lawsuit"]),
    # Two approved comments are not yet three.
    ({"spam": 0.6, "abuse": 0.0}, "hi", History(2), "pending", ["spam_score>=0.5"]),
    # No scores (classifier down): held for a human, never published unvetted.
    (None, "Glad the bridge is open again.", NEW, "pending", ["scorer_unavailable"]),
])
def test_policy_table(scores, text, history, status, reasons):
    decision = decide(scores, text, history, RULES)
    assert decision.status == status
    assert list(decision.reasons) == reasons
    assert decision.policy_status == status


def test_log_only_publishes_everything_but_records_what_the_policy_chose():
    rules = Rules(thresholds=RULES.thresholds, blocked_terms=("slur",), log_only=True)
    decision = decide({"spam": 0.99, "abuse": 0.0}, "slur", NEW, rules)
    assert decision.status == "published"
    assert decision.policy_status == "rejected"
    assert decision.reasons == ("blocked_term:slur", "spam_score>=0.97", "log_only")


@pytest.mark.parametrize("scores, text, history, policy_status", [
    (CLEAN, "Glad the bridge is open again.", TRUSTED, "pending"),  # trust does not skip it
    ({"spam": 0.99, "abuse": 0.0}, "hi", NEW, "rejected"),  # the policy still rejects spam
])
def test_a_premoderated_article_holds_every_comment_it_would_publish(scores, text, history,
                                                                    policy_status):
    premoderated = Rules(thresholds=RULES.thresholds, premoderated=True)
    decision = decide(scores, text, history, premoderated)
    assert decision.status == policy_status
    assert "article_premoderated" in decision.reasons


def test_log_only_mode_still_holds_a_premoderated_articles_comments():
    # A moderator's choice for one article, not the policy's verdict: held, never rejected.
    rules = Rules(thresholds=RULES.thresholds, log_only=True, premoderated=True)
    decision = decide({"spam": 0.99, "abuse": 0.0}, "hi", NEW, rules)
    assert (decision.status, decision.policy_status) == ("pending", "rejected")
    assert decision.reasons == ("article_premoderated", "spam_score>=0.97")


def test_trust_can_be_disabled():
    rules = Rules(thresholds=RULES.thresholds, trusted_after=0)
    decision = decide({"spam": 0.6, "abuse": 0.0}, "hi", History(100), rules)
    assert decision.status == "pending" and not decision.trusted


def test_trusted_hold_threshold_never_passes_the_reject_threshold():
    rules = Rules(thresholds={"spam": Thresholds(0.9, 0.95), "abuse": Thresholds(0.9, 0.95)},
                  trusted_hold_boost=0.5)
    decision = decide({"spam": 0.95, "abuse": 0.0}, "hi", TRUSTED, rules)
    assert decision.status == "rejected"


def test_thresholds_must_be_ordered():
    with pytest.raises(ValueError):
        Thresholds(hold=0.9, reject=0.5)


@pytest.mark.parametrize("text, links", [
    ("no links here", 0),
    ("http://a.example", 1),
    ('<a href="https://a.example/x?y=1">click</a> and www.b.example', 2),
    ("email me at someone@www.example? no: www.example.org/page", 2),
    ("HTTPS://SHOUTY.EXAMPLE ftp://files.example", 2),
])
def test_count_links(text, links):
    assert count_links(text) == links


def test_matched_terms_are_whole_words_and_unicode_aware():
    assert matched_terms("Ärger über die Brücke", ("brücke",)) == ["brücke"]
    assert matched_terms("Brückenbau", ("brücke",)) == []
    assert matched_terms("free-money now", ("free money",)) == ["free money"]
    assert matched_terms("anything", ()) == []


scores = st.fixed_dictionaries({"spam": st.floats(0, 1), "abuse": st.floats(0, 1)})


@given(scores=scores, approved=st.integers(0, 10), text=st.text(max_size=200))
def test_policy_is_total_and_rejects_above_reject_thresholds(scores, approved, text):
    decision = decide(scores, text, History(approved), RULES)
    assert decision.status in {"published", "pending", "rejected"}
    if scores["spam"] >= 0.97 or scores["abuse"] >= 0.9:
        assert decision.status == "rejected"
    if decision.status != "published":
        assert decision.reasons  # a hold or rejection always says why


def test_the_third_copy_of_a_text_is_held_and_the_first_two_are_not():
    rules = Rules(thresholds=RULES.thresholds, repeat_limit=3)
    text = "Earn $500 a day from home, details at www.a.biz"
    assert decide(CLEAN, text, History(copies=0), rules).status == "published"
    assert decide(CLEAN, text, History(copies=1), rules).status == "published"
    third = decide(CLEAN, text, History(copies=2), rules)
    assert (third.status, third.reasons) == ("pending", ("repeated>=3",))
    # Trusted or not: a reader's own comment is not pasted under three articles.
    assert decide(CLEAN, text, History(approved_count=3, copies=2), rules).status == "pending"
    # Off (the limit 0) holds nothing.
    assert decide(CLEAN, text, History(copies=50), RULES).status == "published"


PHONE_RULES = Rules(thresholds=RULES.thresholds, hold_phone_numbers=True)


@pytest.mark.parametrize("text", [
    "Butuh dana cepat tanpa jaminan? Hubungi WA 0812-3456-7890 sekarang",
    "Printer offline? Call support +1 (888) 555-0199, open 24/7",
    "Her number is 416 555 0123, go tell her what you think",
])
def test_a_phone_number_holds_a_comment(text):
    decision = decide(CLEAN, text, NEW, PHONE_RULES)
    assert (decision.status, decision.reasons) == ("pending", ("phone_number",))


@pytest.mark.parametrize("text", [
    "Anggaran naik dari Rp 15.000.000.000 menjadi Rp 21.500.000.000 tahun ini.",
    "The 2024-2025 budget was 1,250,000 dollars over 12 months.",
    "The full report: https://www.example.gov/reports/2026/0812345678901.pdf",
    "Call 112 if you see it happen.",
])
def test_sums_years_and_numbers_inside_links_are_not_phone_numbers(text):
    assert decide(CLEAN, text, NEW, PHONE_RULES).status == "published"


def test_the_phone_rule_spares_trusted_commenters_and_can_be_switched_off():
    text = "Questions about the recall? The council line is 020 7946 0958."
    assert decide(CLEAN, text, TRUSTED, PHONE_RULES).status == "published"
    assert decide(CLEAN, text, NEW, RULES).status == "published"  # hold_phone_numbers=False


STYLED_RULES = Rules(thresholds=RULES.thresholds, hold_styled_letters=True)


@pytest.mark.parametrize("text", [
    "Main santai, hasil mantap! 𝐏𝐒𝐓𝐎𝐓𝐎𝟗𝟗 emang beda",
    "Sambil nonton, coba ➡️ 9️⃣9️⃣9️⃣ deh, lumayan hoki",
    "ᴅᴀꜰᴛᴀʀ sekarang, bonus tiap hari",
])
def test_a_site_name_in_styled_letters_holds_a_comment(text):
    decision = decide(CLEAN, text, NEW, STYLED_RULES)
    assert (decision.status, decision.reasons) == ("pending", ("styled_letters",))


@pytest.mark.parametrize("text", [
    "Café, déjà vu, naïve: accents are ordinary letters.",
    "区议会的决定：①公开预算，②听取居民意见，③下月投票。",   # circled digits, as Chinese lists
    "ＯＫ、来週の会議で決めましょう。",                       # fullwidth letters, as Japanese writes
    "Mantap 👍👍👍 setuju banget!",
])
def test_accents_emoji_and_cjk_forms_are_not_styled_letters(text):
    assert decide(CLEAN, text, NEW, STYLED_RULES).status == "published"


def test_the_styled_letters_rule_spares_trusted_commenters_and_can_be_switched_off():
    text = "Selamat pagi 𝓙𝓪𝓴𝓪𝓻𝓽𝓪!"
    assert decide(CLEAN, text, TRUSTED, STYLED_RULES).status == "published"
    assert decide(CLEAN, text, NEW, RULES).status == "published"
