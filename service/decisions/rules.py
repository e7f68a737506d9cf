"""Pure checks on a comment's text: link counting, phone numbers, styled letters, whole-word term
matching.

No Flask, no database: `policy.decide` composes these, and tests call them directly.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from model.duplicates import text_key
from model.text import PLACEHOLDERS, has_phone_number

# The model's own reading of a phone number (model.text), so that the rule and the spam head's
# "a phone number" evidence never disagree on what one is.
__all__ = ["REPEAT_MIN_WORDS", "count_links", "has_phone_number", "has_styled_letters",
           "matched_terms", "repeat_key"]

# A link is anything a reader could click or paste: a scheme URL, a bare www. host, or an HTML
# anchor. Counting `<a href` separately would count the same link twice when its text is a URL,
# so an anchor's href is what is counted.
_LINK = re.compile(r"""(?:https?://|ftp://|\bwww\.)[^\s<>"']+""", re.IGNORECASE)


def count_links(text: str) -> int:
    """Number of URLs in `text` (scheme or www. prefixed, inside or outside HTML anchors)."""
    return len(_LINK.findall(text))


# Letters and digits drawn in another typeface: mathematical bold, italic, script and
# double-struck (U+1D400-1D7FF), circled and squared letters, small capitals, keycap digits
# ("9️⃣"). Not fullwidth forms or circled digits, which Chinese and Japanese write every day.
# Promoters write a site's name in them so that word filters and the classifier (whose
# normaliser folds them back to plain letters) read past it: in the hand-labelled Indonesian
# YouTube comments of bench/judol.py, 66% of the distinct gambling promotions use three or more,
# against 0.2% of the other comments and none of ucc-dev's news comments.
_STYLED = re.compile(
    "[\U0001D400-\U0001D7FF\u24B6-\u24E9\U0001F130-\U0001F189"
    "\u1D00-\u1D22\u0299\u029C\u0262\u026A\u0274\u0280\u028F]|\\d\uFE0F?\u20E3")
STYLED_MIN = 3


def has_styled_letters(text: str) -> bool:
    """Whether `text` writes at least STYLED_MIN letters or digits in a styled typeface
    ("𝐏𝐒𝐓𝐎𝐓𝐎𝟗𝟗", "ᴅᴀꜰᴛᴀʀ", "9️⃣9️⃣"). A pure-ASCII text has none, and costs one check."""
    if text.isascii():
        return False
    found = 0
    for _ in _STYLED.finditer(text):
        found += 1
        if found >= STYLED_MIN:
            return True
    return False


@lru_cache(maxsize=64)
def _term_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation for all terms. Whole words: a term must not be flanked by a letter or
    digit, so "ass" does not match "class" (WordPress matches substrings and holds "WordPress"
    for "press"). Phrases tolerate any run of whitespace or punctuation between their words."""
    parts = []
    for term in terms:
        words = re.findall(r"\w+", term)
        if words:
            parts.append(r"[\W_]+".join(re.escape(word) for word in words))
    if not parts:
        return None
    # Longest first, so a phrase wins over one of its own words.
    parts.sort(key=len, reverse=True)
    return re.compile(r"(?<![^\W_])(?:" + "|".join(parts) + r")(?![^\W_])", re.IGNORECASE)


def matched_terms(text: str, terms: tuple[str, ...]) -> list[str]:
    """The terms from `terms` found in `text` as whole words, each once, in the terms' own spelling
    (lower-cased), in order of first appearance."""
    pattern = _term_pattern(tuple(terms))
    if pattern is None:
        return []
    found: list[str] = []
    for match in pattern.finditer(text):
        canonical = " ".join(re.findall(r"\w+", match.group(0))).casefold()
        if canonical not in found:
            found.append(canonical)
    return found


# Fewer words than this and equal texts say nothing of a campaign: many readers write "Thanks for
# the article" or "Well said" in the same words.
REPEAT_MIN_WORDS = 6
_WORD = re.compile(r"\w\w")


def repeat_key(text: str) -> str | None:
    """What finds copies of a comment (`comments.text_key`): the SHA-256 of its normalised text,
    in which case, look-alike letters, links and numbers are folded, so "Win at www.a.biz" and
    "WIN at www.b.biz" are one text pasted twice. None for a text of fewer than REPEAT_MIN_WORDS
    words of its own (placeholders and symbols do not count)."""
    key = text_key(text)
    if key is None:
        return None
    words = sum(1 for token in key.split(" ")
                if token not in PLACEHOLDERS and _WORD.search(token))
    return hashlib.sha256(key.encode()).hexdigest() if words >= REPEAT_MIN_WORDS else None
