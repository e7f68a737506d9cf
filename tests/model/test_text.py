"""The normaliser undoes the tricks used to dodge word filters, and keeps ordinary text readable."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.text import link_hosts, normalize, surface_signals, url_host


@pytest.mark.parametrize("raw, expected", [
    ("You are an IDIOT", "you are an idiot"),
    ("sh1t", "shit"),                                   # leetspeak
    ("id10t", "idiot"),
    ("f u c k off", "fuck off"),                        # spaced letters
    ("f.u.c.k off", "fuck off"),
    ("stuuuuupid", "stuupid"),                          # repeated letters cut to two
    ("f\u200buck", "fuck"),                             # zero-width space
    ("s\u00adcam", "scam"),                             # soft hyphen
    ("\u0440\u0430ypal", "paypal"),                     # Cyrillic р and а inside a Latin word
    ("\uff26\uff52\uff45\uff45", "free"),               # full-width letters (NFKC)
    ("\U0001d41f\U0001d42b\U0001d41e\U0001d41e", "free"),  # mathematical bold letters
    ("&quot;Great&quot; piece", "great piece"),       # HTML entities
    ("<b>bold</b> claim", "bold claim"),               # HTML tags
])
def test_deobfuscation(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("see http://example.com/x?y=1 now", "see _url_ now"),
    ("see www.example.org", "see _url_"),
    ("cheap-pills.xyz today", "_url_ today"),
    ("go to bit.ly/abc", "go to _shorturl_"),
    ("mail john.doe@example.com", "mail _email_"),
    ("call +1 (888) 555-0199 now", "call _phone_ now"),
    ("call 1-800-555-0199", "call _phone_"),
    ("hubungi WA 0812-3456-7890.", "hubungi wa _phone_"),
    # Thousands written with dots are a sum, not a phone number hidden in its last groups.
    ("naik menjadi Rp 15.000.000.000 tahun ini", "naik menjadi rp _num_ tahun ini"),
    ("@editor thanks", "_mention_ thanks"),
    ("in 2016 they spent 3.5 million", "in _num_ they spent _num_ million"),
])
def test_placeholders_replace_what_identifies_a_person_or_site(raw, expected):
    assert normalize(raw) == expected


def test_ordinary_text_is_left_readable():
    assert normalize("The mp3 player, the 2nd vote: fair!") == "the mp3 player the 2nd vote fair !"


def test_a_word_written_wholly_in_another_script_is_not_folded():
    assert normalize("\u043c\u0438\u0440") == "\u043c\u0438\u0440"  # "мир" stays Cyrillic


def test_normalize_survives_any_control_characters_and_empty_input():
    assert normalize("") == ""
    assert normalize("\x00\x01\x1f\x7f") == ""
    assert normalize("ok\x00ok") == "ok ok"


def test_surface_signals_measure_shouting_and_digits():
    caps, digits = surface_signals("FREE MONEY 100")
    assert caps == 1.0 and digits == pytest.approx(3 / 14)
    assert surface_signals("") == (0.0, 0.0)


@pytest.mark.parametrize("raw, expected", [
    ("marketglory . com/game earn", "_url_ earn"),
    ("visit cheapstuff dot com now", "visit _url_ now"),
    ("site(dot)net", "_url_"),
    ("I love it. Com is fine", "i love it com is fine"),
    ("well. net income rose", "well net income rose"),
])
def test_links_split_to_dodge_filters_are_still_links(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize("url, host", [
    ("https://www.Example.com:8080/a?b=1", "example.com"),
    ("example.com).", "example.com"),                  # the sentence's punctuation
    ("http://news.example.co.uk/story", "news.example.co.uk"),
    ("www.shop.xyz?ref=1", "shop.xyz"),
    ("  ", ""),
])
def test_url_host_keeps_the_host_alone(url, host):
    assert url_host(url) == host


@pytest.mark.parametrize("raw, hosts", [
    ("see http://example.com/x?y=1 now", ["example.com"]),
    ("marketglory . com/game earn", ["marketglory.com"]),
    ("visit cheapstuff dot com now", ["cheapstuff.com"]),
    ("go to bit.ly/abc or WWW.Reuters.com", ["bit.ly", "reuters.com"]),
    ("write to editor@example.com", []),               # an address, not a link
    ("I love it. Com is fine", []),
])
def test_link_hosts_are_the_links_normalize_sees(raw, hosts):
    assert link_hosts(raw) == hosts
    assert normalize(raw).count("url_") == len(hosts)  # _url_ or _shorturl_, one per link


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_link_hosts_never_fail_and_give_bare_hosts(raw):
    for host in link_hosts(raw):
        assert host and host == host.strip() and not set(host) & set("/?#")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_ascii_fast_patterns_agree_with_the_unicode_ones(raw):
    from model import text as t

    lowered = raw.casefold()
    assert t._TOKEN_ASCII_RE.findall(lowered) == t._TOKEN_RE.findall(lowered)
    assert t._REPEAT_ASCII_RE.sub(r"\1\1", lowered) == t._REPEAT_RE.sub(r"\1\1", lowered)
    assert t._SPACED_ASCII_RE.sub("#", lowered) == t._SPACED_RE.sub("#", lowered)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_normalize_never_fails_and_gives_single_spaced_tokens(raw):
    out = normalize(raw)
    assert out == " ".join(out.split(" ")) and "  " not in out
    assert out == out.strip() and out == out.casefold()
