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
from urllib.parse import urlsplit

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

_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_HOST = re.compile(r"^[^\W_][\w.-]*\.[^\W\d_]{2,}\.?(:\d{1,5})?$|^localhost(:\d{1,5})?$")
# The article and parent ids' rules, stated as they are in service/openapi.json (a test checks the
# two agree). ASCII only: `\w` would also take Arabic-Indic digits and accented letters.
POST_ID_PATTERN = "^[A-Za-z0-9_.-]{1,64}$"
PARENT_PATTERN = "^[0-9]{0,11}$"
_POST_ID = re.compile(POST_ID_PATTERN)
_PARENT = re.compile(PARENT_PATTERN)


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
    """A reader's website as an http(s) URL. Anything else (javascript:, data:, mailto:) is
    refused: the URL is shown as a link under the comment."""
    if not raw:
        return "", None
    # Readers type "example.com"; WordPress's esc_url adds the scheme the same way.
    url = raw if "://" in raw else f"http://{raw}"
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" reads as a broken IPv6 host
        return raw, "url_invalid"
    if parts.scheme.lower() not in {"http", "https"} or not _HOST.match(parts.netloc) \
            or any(ch.isspace() for ch in url):
        return raw, "url_invalid"
    return url, None


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
    author = fields.get("author", "").strip()
    email = fields.get("email", "").strip()
    url, url_error = _clean_url(fields.get("url", "").strip())
    post_id = fields.get("comment_post_ID", "").strip()
    parent_id, parent_ok = _parent(fields.get("comment_parent", "").strip())

    errors: list[FieldError] = []
    if not shows_anything(text):
        errors.append(FieldError("comment", "comment_required"))
    elif len(text) > MAX_COMMENT:
        errors.append(FieldError("comment", "comment_too_long"))
    if not shows_anything(author):
        errors.append(FieldError("author", "author_required"))
    elif len(author) > MAX_AUTHOR:
        errors.append(FieldError("author", "author_too_long"))
    if not email:
        errors.append(FieldError("email", "email_required"))
    elif len(email) > MAX_EMAIL:
        errors.append(FieldError("email", "email_too_long"))
    elif not _EMAIL.match(email):
        errors.append(FieldError("email", "email_invalid"))
    if len(url) > MAX_URL:
        errors.append(FieldError("url", "url_too_long"))
    elif url_error:
        errors.append(FieldError("url", url_error))
    if not _POST_ID.fullmatch(post_id):
        errors.append(FieldError("comment_post_ID", "post_invalid"))
    if not parent_ok:
        errors.append(FieldError("comment_parent", "parent_invalid"))
    if errors:
        return None, errors
    return Submission(post_id, parent_id, author, email, url, text,
                      fields.get("permalink", "").strip()), []
