"""Reading and validating a posted comment, in the WordPress form's field names.

Pure functions of the posted fields: the intake view decodes the request body, calls
`validate`, and shows the errors it gets back. Each error carries the reader-facing message (the
news site's own wording) and a machine code for JSON clients.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Mapping

from service.articles.records import MAX_SECTION, MAX_TITLE, one_line

MAX_COMMENT = 10_000
MAX_AUTHOR = 245
MAX_EMAIL = 100
MAX_URL = 200

# The messages the site's comment form already shows its readers.
MESSAGES = {
    "comment_required": "Please enter your comment!",
    "author_required": "Please enter your name here",
    "email_required": "Please enter your email address here",
    "email_invalid": "You have entered an incorrect email address!",
    "comment_too_long": f"Your comment is too long: {MAX_COMMENT:,} characters at most, please.",
    "author_too_long": f"Your name is too long: {MAX_AUTHOR} characters at most, please.",
    "email_too_long": f"Your email address is too long: {MAX_EMAIL} characters at most.",
    "url_too_long": f"Your website address is too long: {MAX_URL} characters at most.",
    "url_invalid": "Please enter a website address starting with http:// or https://, "
                   "or leave it empty.",
    "post_invalid": "This comment form is not attached to an article; please reload the "
                    "article and try again.",
    "parent_invalid": "The comment you are replying to is no longer available.",
}

# The fields' rules as regular expressions written alike in Python's `re` and in ECMA-262, the
# dialect JSON Schema uses, so that service/openapi.json states them verbatim (a test checks the
# two agree). Hence no \s, \w or \d (Unicode in Python, ASCII in JavaScript) and no \U or \Z:
# only explicit ranges and \xHH / \uHHHH escapes. Non-ASCII ranges stop at the surrogates
# (\ud7ff, resuming at \ue000) so that a character outside the BMP is matched the same way by
# engines that see it as one code point and by JavaScript, which sees two UTF-16 units.

# What str.strip() removes and str.isspace() calls space.
SPACE = ("\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029"
         "\\u202f\\u205f\\u3000")
# Characters that draw nothing: space, controls, format characters (zero-width, bidi, soft
# hyphen, BOM), blank glyphs, and the combining marks used to pad "empty" text. `shows_anything`
# is the full rule (every combining mark); this is the part a description can state briefly.
INVISIBLE = (SPACE + "\\x00-\\x1f\\x7f-\\x9f\\xad\\u0300-\\u036f\\u0600-\\u0605\\u061c\\u06dd"
             "\\u070f\\u0890\\u0891\\u08e2\\u115f\\u1160\\u180e\\u200b-\\u200f\\u202a-\\u202e"
             "\\u2060-\\u2064\\u2066-\\u206f\\u20d0-\\u20f0\\u2800\\u3164\\ufe00-\\ufe0f"
             "\\ufe20-\\ufe2f\\ufeff\\uffa0\\ufff9-\\ufffb")
# Text with no NUL (PostgreSQL cannot store one; service.web.input_guard refuses it everywhere).
TEXT_PATTERN = "^[^\\x00]*$"
# Text with at least one character that shows, and no NUL.
VISIBLE_PATTERN = f"^[^\\x00]*[^{INVISIBLE}][^\\x00]*$"
# Only space (the honeypot, which people leave empty).
BLANK_PATTERN = f"^[{SPACE}]*$"
# An address with one @ and a dotted domain, as typed: space around it is trimmed.
EMAIL_PATTERN = (f"^[{SPACE}]*[^@{SPACE}\\x00]+@[^@.{SPACE}\\x00]+(\\.[^@.{SPACE}\\x00]+)+"
                 f"[{SPACE}]*$")
# A website: http(s), or no scheme (http:// is then added, as WordPress's esc_url does), a host
# name with a dot and a top-level domain of letters (or punycode, xn--...) or localhost, an
# optional port, then anything but space. No user name, no IP literal, no other scheme: the
# address is shown as a link under the comment. Host names may be written in Latin (accents
# included), Greek or Cyrillic letters; other scripts in their punycode form. (Every extra script
# is a large range that schemathesis's generator enumerates character by character.)
_LETTERS = "A-Za-z\\u00c0-\\u00d6\\u00d8-\\u00f6\\u00f8-\\u024f\\u0370-\\u03ff\\u0400-\\u052f"
_HOST = (f"(?:[0-9{_LETTERS}][0-9{_LETTERS}_.-]*\\.(?:[{_LETTERS}]{{2,}}|xn--[A-Za-z0-9-]+)\\.?"
         f"|localhost)(?::[0-9]{{1,5}})?(?:[/?#][^{SPACE}\\x00]*)?")
_SCHEME = "[Hh][Tt][Tt][Pp][Ss]?://"
# With a scheme (at most MAX_URL characters), or without (at most MAX_URL less the "http://"
# added, so the stored address is never longer than MAX_URL); or empty.
URL_PATTERN = f"^[{SPACE}]*{_SCHEME}{_HOST}[{SPACE}]*$"
BARE_URL_PATTERN = f"^[{SPACE}]*(?:{_HOST})?[{SPACE}]*$"
# The article and parent ids, space around them trimmed. ASCII only: `\w` would also take
# Arabic-Indic digits and accented letters.
POST_ID_PATTERN = f"^[{SPACE}]*[A-Za-z0-9_.-]{{1,64}}[{SPACE}]*$"
PARENT_PATTERN = f"^[{SPACE}]*[0-9]{{0,11}}[{SPACE}]*$"
# The largest ids a JSON client may send as numbers: a parent id has at most 11 digits, and an
# article id sent as a number stays within what every JSON reader holds exactly (2**53 - 1).
MAX_PARENT_NUMBER = 99_999_999_999
MAX_POST_ID_NUMBER = 2**53 - 1
_EMAIL = re.compile(EMAIL_PATTERN)
_URL = re.compile(URL_PATTERN)
_BARE_URL = re.compile(BARE_URL_PATTERN)
_POST_ID = re.compile(POST_ID_PATTERN)
_PARENT = re.compile(PARENT_PATTERN)
BARE_URL_MAX = MAX_URL - len("http://")


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str

    @property
    def message(self) -> str:
        return MESSAGES[self.code]

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class Submission:
    post_id: str
    parent_id: int | None
    author: str
    email: str
    url: str
    text: str
    permalink: str
    title: str | None = None  # the article's, when the form sends it (`article_title`)
    section: str | None = None  # likewise (`article_section`)


def clean_text(raw: str) -> str:
    """Browsers send textarea line breaks as CRLF; count and store them as one character."""
    return raw.replace("\r\n", "\n").replace("\r", "\n").strip()


# Unicode categories that draw nothing on their own: format characters (zero-width spaces and
# joiners, bidi marks, tags), controls, separators, and combining marks with no base.
_NOTHING_TO_SEE = {"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"}
# Letters and symbols that fonts draw as blank space (Hangul fillers, the Mongolian vowel
# separator, the braille blank): favourites for posting an "empty" comment.
_BLANK_GLYPHS = frozenset("\u115f\u1160\u180e\u3164\uffa0\u2800")


def shows_anything(text: str) -> bool:
    """Whether `text` has at least one character a reader would see."""
    return any(not ch.isspace() and ch not in _BLANK_GLYPHS
               and unicodedata.category(ch) not in _NOTHING_TO_SEE for ch in text)


def _clean_url(raw: str) -> tuple[str, str | None]:
    """A reader's website as an http(s) URL (URL_PATTERN or BARE_URL_PATTERN, the rule the
    description states). Anything else (javascript:, data:, mailto:) is refused: the URL is
    shown as a link under the comment. The length is that of the value as sent."""
    url = raw.strip()
    if _URL.fullmatch(raw):
        return url, "url_too_long" if len(raw) > MAX_URL else None
    if _BARE_URL.fullmatch(raw):
        if len(raw) > BARE_URL_MAX:
            return url, "url_too_long"
        # Readers type "example.com"; WordPress's esc_url adds the scheme the same way.
        return (f"http://{url}" if url else ""), None
    return url, "url_invalid"


def _parent(raw: str) -> tuple[int | None, bool]:
    if raw in {"", "0"}:
        return None, True
    if _PARENT.fullmatch(raw):  # not "٣" or "²"
        return int(raw), True
    return None, False


def validate(fields: Mapping[str, str]) -> tuple[Submission | None, list[FieldError]]:
    """Check the posted fields (extra ones are ignored). Returns the clean submission, or None and
    every error found, in the order the form shows its fields."""
    text = clean_text(fields.get("comment", ""))
    # Lengths are those of the value as sent, as the description's maxLength counts them (the
    # comment's excepted: a browser's textarea counts a line break as one character).
    raw_author, raw_email = fields.get("author", ""), fields.get("email", "")
    author, email = raw_author.strip(), raw_email.strip()
    url, url_error = _clean_url(fields.get("url", ""))
    post_id = fields.get("comment_post_ID", "").strip()
    parent_id, parent_ok = _parent(fields.get("comment_parent", "").strip())

    errors: list[FieldError] = []
    if not shows_anything(text):
        errors.append(FieldError("comment", "comment_required"))
    elif len(text) > MAX_COMMENT:
        errors.append(FieldError("comment", "comment_too_long"))
    if not shows_anything(author):
        errors.append(FieldError("author", "author_required"))
    elif len(raw_author) > MAX_AUTHOR:
        errors.append(FieldError("author", "author_too_long"))
    if not email:
        errors.append(FieldError("email", "email_required"))
    elif len(raw_email) > MAX_EMAIL:
        errors.append(FieldError("email", "email_too_long"))
    elif not _EMAIL.fullmatch(raw_email):
        errors.append(FieldError("email", "email_invalid"))
    if url_error:
        errors.append(FieldError("url", url_error))
    if not _POST_ID.fullmatch(post_id):
        errors.append(FieldError("comment_post_ID", "post_invalid"))
    if not parent_ok:
        errors.append(FieldError("comment_parent", "parent_invalid"))
    if errors:
        return None, errors
    # What the form says of its article is never the reader's mistake: kept as one line, cut
    # to length, and used only where the service knows nothing better (service.articles.records).
    return Submission(post_id, parent_id, author, email, url, text,
                      fields.get("permalink", "").strip(),
                      one_line(fields.get("article_title", ""), MAX_TITLE) or None,
                      one_line(fields.get("article_section", ""), MAX_SECTION) or None), []
