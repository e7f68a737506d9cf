"""Property-based tests (hypothesis) of the text normaliser, the form validation and the intake:
arbitrary Unicode, control characters, very long tokens, nested HTML, invalid UTF-8 bytes and
deep JSON get a clear 4xx, never a 5xx, and nothing a reader sent is stored altered.

What each function promises, and so what is checked:
- `model.text.normalize`: a lower-case string of tokens separated by single spaces, tags and
  invisible characters gone. It does not promise idempotence: three of its rules look across
  token boundaries on purpose (spaced-out letters "f u c k", numbers, split links "site dot com"),
  so its own output can contain a new match. On output without single letters, digits or "dot"
  it must be a fixed point: nothing else it does may change text it already produced.
- `service.intake.submission.clean_text`: idempotent. `validate`: never raises; a valid submission
  validates again to itself (a fixed point), within the documented limits.
- intake: every answer below 500; 4xx answers carry an error code and a message; a comment it
  accepts is stored exactly as the reader wrote it (after trimming and CRLF -> LF).
"""

from __future__ import annotations

import json
import string
import unicodedata
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from model.text import normalize
from service import MAX_BODY_BYTES
from service.intake.submission import (MAX_AUTHOR, MAX_COMMENT, MAX_EMAIL, MAX_URL, MESSAGES,
                                       clean_text, shows_anything, validate)

from comment_helpers import good_form
from hardening_helpers import stored_comments

PROPERTY = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
HTTP = settings(PROPERTY, max_examples=60)

# -- what readers (and attackers) type --------------------------------------------------------------

# Any code point at all, lone surrogates, controls and unassigned ones included.
any_char = st.characters(codec=None, categories=None)
any_text = st.text(any_char, max_size=300)
# Characters a request can carry as text (UTF-8 encodable, no NUL, which intake refuses).
sendable_char = st.characters(codec="utf-8", exclude_characters="\x00")
control_chars = st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp"]), min_size=1,
                        max_size=50)
# One token of up to 12,000 characters: a letter repeated, or a run of leetspeak and links.
long_tokens = st.one_of(
    st.builds(lambda c, n: c * n, sendable_char, st.integers(1000, 12_000)),
    st.text(string.ascii_letters + string.digits + "@$|!.-_/:", min_size=1000,
            max_size=12_000))


def _tag(inner: st.SearchStrategy) -> st.SearchStrategy:
    name = st.sampled_from(["b", "i", "a", "div", "script", "p", "img", "x-y"])
    attrs = st.sampled_from(["", ' href="http://x.example"', " onclick='alert(1)'",
                             ' style="a>b"', " <"])
    return st.builds(lambda n, a, body: f"<{n}{a}>{body}</{n}>", name, attrs, inner)


nested_html = st.recursive(st.text(sendable_char, max_size=20),
                           lambda inner: st.one_of(_tag(inner),
                                                   st.lists(inner, max_size=3).map("".join)),
                           max_leaves=40)
deep_html = st.integers(50, 2000).map(lambda n: "<b>" * n + "x" + "</b>" * n)
reader_text = st.one_of(any_text, control_chars, long_tokens, nested_html, deep_html,
                        st.text(sendable_char, max_size=2000))
sendable_text = reader_text.filter(
    lambda t: "\x00" not in t and not any(0xD800 <= ord(c) <= 0xDFFF for c in t))


# -- the normaliser ---------------------------------------------------------------------------------

@PROPERTY
@given(reader_text)
def test_normalize_never_raises_and_gives_single_spaced_lowercase_tokens(text):
    out = normalize(text)
    assert isinstance(out, str)
    assert out == " ".join(token for token in out.split(" ") if token)
    assert not any(unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp", "Cs"} for c in out)
    assert "<" not in out and ">" not in out
    assert out == out.lower()


def _crosses_tokens(normalised: str) -> bool:
    """Output that one of the three cross-token rules may read differently a second time."""
    tokens = normalised.split()
    return any(len(t) == 1 for t in tokens) or "dot" in tokens \
        or any(c.isdigit() for c in normalised)


@PROPERTY
@given(st.one_of(reader_text, st.lists(st.sampled_from(
    ["free", "money", "sh1t", "f u c k", "&lt;b&gt;", "www.x.com", "a@b.org", "@ann", "süß",
     "ﬁne", "раypal", "😀", "!!", "soooo", "dot", "com", "+1 888 555 0199"]), max_size=10)
    .map(" ".join)))
def test_normalize_is_a_fixed_point_on_its_own_output(text):
    once = normalize(text)
    assume(not _crosses_tokens(once))
    assert normalize(once) == once


# -- validation -------------------------------------------------------------------------------------

fields_strategy = st.fixed_dictionaries(
    {},
    optional={
        "comment": st.one_of(reader_text, st.just("A fine comment.")),
        "author": st.one_of(reader_text, st.just("Ann")),
        "email": st.one_of(reader_text, st.emails(), st.just("ann@example.org")),
        "url": st.one_of(reader_text, st.just("example.org"), st.just("https://x.example/p")),
        "comment_post_ID": st.one_of(reader_text, st.from_regex(r"\A[\w.-]{1,64}\Z")),
        "comment_parent": st.one_of(reader_text, st.just("0"), st.integers(0, 10**13).map(str),
                                    st.sampled_from(["٣", "²", "-1", "1e3"])),
        "permalink": reader_text,
    })


@PROPERTY
@given(reader_text)
def test_clean_text_is_idempotent(text):
    assert clean_text(clean_text(text)) == clean_text(text)


@PROPERTY
@given(fields_strategy)
def test_validate_never_raises_and_a_valid_submission_is_a_fixed_point(fields):
    submission, errors = validate(fields)
    if submission is None:
        assert errors and all(e.code in MESSAGES and e.message for e in errors)
        return
    assert errors == []
    assert 0 < len(submission.text) <= MAX_COMMENT and 0 < len(submission.author) <= MAX_AUTHOR
    assert len(submission.email) <= MAX_EMAIL and len(submission.url) <= MAX_URL
    assert submission.parent_id is None or submission.parent_id > 0
    again = {"comment": submission.text, "author": submission.author,
             "email": submission.email, "url": submission.url,
             "comment_post_ID": submission.post_id,
             "comment_parent": str(submission.parent_id or 0),
             "permalink": submission.permalink}
    assert validate(again) == (submission, [])


# -- intake over HTTP -------------------------------------------------------------------------------

EXPECTED = {201, 303, 400, 409, 413, 415}


def _assert_clear(response) -> None:
    assert response.status_code in EXPECTED, response.get_data(as_text=True)[:500]
    if response.status_code >= 400 and response.is_json:
        error = response.get_json()["error"]
        assert error["code"] and error["message"]


@pytest.fixture
def intake_app(make_app):
    # Publish everything and accept numbers as they come: only the answers are under test.
    return make_app(MODERATION_SPAM_HOLD="1", MODERATION_SPAM_REJECT="1",
                    MODERATION_ABUSE_HOLD="1", MODERATION_ABUSE_REJECT="1",
                    MODERATION_DUPLICATE_WINDOW_SECONDS="0")


@HTTP
@given(fields=fields_strategy.filter(lambda f: all(
    "\x00" not in v and not any(0xD800 <= ord(c) <= 0xDFFF for c in v) for v in f.values())),
    as_json=st.booleans())
def test_form_fields_of_any_text_get_a_clear_answer(intake_app, fields, as_json):
    headers = {"Accept": "application/json"} if as_json else {}
    response = intake_app.test_client().post("/comments", data=urlencode(fields),
                                             content_type="application/x-www-form-urlencoded",
                                             headers=headers)
    _assert_clear(response)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), any_text),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(any_text, inner, max_size=4)),
    max_leaves=20)


@HTTP
@given(body=st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(list(good_form()) + ["email_confirm", "x"]), json_values)))
def test_json_of_any_shape_gets_a_clear_answer(intake_app, body):
    try:
        payload = json.dumps(body, ensure_ascii=True)
    except (ValueError, RecursionError):  # not representable as JSON at all
        return
    _assert_clear(intake_app.test_client().post(
        "/api/comments", data=payload, content_type="application/json"))


@HTTP
@given(depth=st.integers(1, 32_000))  # 64,000 bytes: under the 64 KiB body limit
def test_deeply_nested_json_gets_400(intake_app, depth):
    response = intake_app.test_client().post(
        "/api/comments", data="[" * depth + "]" * depth, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


@HTTP
@given(body=st.binary(max_size=3000),
       content_type=st.sampled_from(["application/x-www-form-urlencoded", "application/json",
                                     "multipart/form-data; boundary=xyz", "text/plain"]))
def test_raw_bytes_get_a_clear_answer(intake_app, body, content_type):
    response = intake_app.test_client().post("/api/comments", data=body,
                                             content_type=content_type)
    _assert_clear(response)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        # Bytes that are not UTF-8 never become a comment.
        assert response.status_code != 201


@HTTP
@given(prefix=st.text(sendable_char, max_size=50), bad=st.sampled_from(
    [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x80"]))
def test_invalid_utf8_inside_a_field_gets_400(intake_app, prefix, bad):
    fields = good_form()
    body = urlencode(fields).encode() + b"&comment=" + \
        urlencode({"": prefix})[1:].encode() + urlencode({"": bad})[1:].encode()
    json_body = b'{"comment": "' + prefix.encode("utf-8").replace(b"\\", b"").replace(
        b'"', b"") + bad + b'", "author": "Ann", "email": "a@example.org", ' \
        b'"comment_post_ID": "demo"}'
    client = intake_app.test_client()
    for data, content_type in ((body, "application/x-www-form-urlencoded"),
                               (json_body, "application/json")):
        response = client.post("/api/comments", data=data, content_type=content_type)
        assert response.status_code == 400, (data, response.get_data(as_text=True))
        assert response.get_json()["error"]["code"] == "bad_request"


@HTTP
@given(text=sendable_text)
def test_an_accepted_comment_is_stored_exactly_as_written(intake_app, text):
    form = good_form(comment=text, author="Prop")
    response = intake_app.test_client().post("/api/comments", json=form)
    _assert_clear(response)
    if response.status_code == 201:
        stored = {c.id: c.text for c in stored_comments(
            intake_app.config["MODERATION_DATABASE_URL"])}
        assert stored[response.get_json()["id"]] == clean_text(text)
    elif response.status_code == 413:
        # Within 10,000 characters but not within the 64 KiB body: characters outside the BMP
        # take 12 bytes each as JSON escapes (found by this property: 5,452 of U+10000).
        assert len(intake_app.json.dumps(form).encode()) > MAX_BODY_BYTES
    else:
        # Refused: nothing a reader would see (empty, or only invisible characters), or too long.
        assert not shows_anything(clean_text(text)) or len(clean_text(text)) > MAX_COMMENT


# -- what these properties found, kept as plain examples --------------------------------------------

@pytest.mark.parametrize("body, headers, code", [
    ({"url": "http://[x"}, {}, "url_invalid"),  # urlsplit raised ValueError: was a 500
    ({"url": "["}, {}, "url_invalid"),
    ({"comment_parent": "٣"}, {}, "parent_invalid"),  # an Arabic-Indic digit named comment 3
    ({"comment": "x\ud800y"}, {}, "bad_request"),  # a lone surrogate: was a 500 on insert
    ({"author": "\udfff"}, {}, "bad_request"),
])
def test_found_by_the_properties_json(intake_app, body, headers, code):
    response = intake_app.test_client().post("/api/comments", json=good_form(**body),
                                             headers=headers)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == code


def test_found_by_the_properties_few_characters_many_bytes(intake_app):
    # 5,452 characters are within the comment limit, but as JSON escapes (12 bytes each) they
    # pass the 64 KiB body limit: the answer is 413, as JSON, not a 400 about the text.
    response = intake_app.test_client().post(
        "/api/comments", json=good_form(comment="\U00010000" * 5452, author="Prop"))
    assert response.status_code == 413 and response.is_json


@pytest.mark.parametrize("body, headers", [
    ({"permalink": "http://[x"}, {}),  # was a 500 choosing where to send the reader
    ({}, {"Referer": "http://[x/"}),
])
def test_found_by_the_properties_return_address(intake_app, body, headers):
    response = intake_app.test_client().post("/comments", data=good_form(**body),
                                             headers=headers)
    assert response.status_code == 303 and response.headers["Location"].startswith("/#comment-")
