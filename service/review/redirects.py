"""Where a request may send the browser next: the one check for every target a request supplies
(the login form's `next`, the review pages' `back`, the comment form's permalink and Referer).

A target is judged as the browser will read it (the WHATWG URL parser), not as it was typed:
browsers drop C0 controls and spaces at either end and tabs and newlines anywhere, and read a
backslash as a slash, so `/\\t/evil.example` and `/\\\\evil.example` both lead to
`//evil.example`, another host. The normalised form is what is answered, so a redirect never
carries a control character (Werkzeug refuses a newline in a header with a 500).
"""

from __future__ import annotations

from typing import Iterable
from urllib.parse import urlsplit

# Browsers strip these from both ends of a URL: every C0 control, and the space.
_ENDS = "".join(chr(code) for code in range(0x21))
_TAB_AND_NEWLINES = {ord("\t"): None, ord("\n"): None, ord("\r"): None}
# Path segments a browser resolves away (it decodes %2e as a dot there).
_DOT_SEGMENTS = {".", "..", "%2e", "%2e%2e", ".%2e", "%2e."}


def as_browser_reads(target: str) -> str:
    """`target` as a browser's URL parser reads it, before resolving it."""
    return target.strip(_ENDS).translate(_TAB_AND_NEWLINES).replace("\\", "/")


def safe_target(target: str | None, *, within: str = "/",
                origins: Iterable[str] = ()) -> str | None:
    """`target` as the browser will read it, when that is a path of this site starting with
    `within`, or an http(s) URL on one of `origins` (`scheme://host[:port]`); else None."""
    if not target:
        return None
    cleaned = as_browser_reads(target)
    if any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in cleaned):
        return None
    try:
        parts = urlsplit(cleaned)
    except ValueError:  # an unbalanced "[" reads as a broken IPv6 host: not a place to go
        return None
    if not parts.scheme and not parts.netloc:
        # A path: only an absolute one, not "//host", and without dot segments that would
        # climb out of `within`.
        segments = {segment.lower() for segment in parts.path.split("/")}
        if cleaned.startswith("/") and not cleaned.startswith("//") \
                and parts.path.startswith(within) and not segments & _DOT_SEGMENTS:
            return cleaned
        return None
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    if parts.scheme.lower() in {"http", "https"} and origin in {o.lower() for o in origins}:
        return cleaned
    return None
