"""The one text normaliser, used for training and for scoring.

``normalize(text)`` turns a raw comment into a lower-case string of space-separated tokens in which
the tricks spammers and abusers use to dodge word filters are undone, and the parts that identify a
person or a site (links, e-mail addresses, phone numbers, @mentions, numbers) are replaced by
placeholder tokens. Placeholders keep the *kind* of thing (a link, a phone number) that matters for
spam while dropping the particular value, which would only teach the model one corpus' quirks.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Placeholder tokens. They start with an underscore so that no word a reader types can collide with
# them after normalisation (underscores are otherwise folded into spaces below).
URL = "_url_"
SHORT_URL = "_shorturl_"
EMAIL = "_email_"
PHONE = "_phone_"
MENTION = "_mention_"
NUMBER = "_num_"
PLACEHOLDERS = (URL, SHORT_URL, EMAIL, PHONE, MENTION, NUMBER)

# Link shorteners hide the destination, which is why spam uses them; a known, short list.
SHORTENER_DOMAINS = (
    "bit.ly", "goo.gl", "tinyurl.com", "t.co", "ow.ly", "is.gd", "buff.ly", "adf.ly", "bit.do",
    "cutt.ly", "rebrand.ly", "shorturl.at", "tiny.cc", "rb.gy", "lnkd.in", "t.ly", "shorte.st",
    "v.gd", "s.id", "y2u.be", "youtu.be",
)

# Characters that render as nothing: used to split words invisibly ("f\u200buck").
_INVISIBLE_RE = re.compile(
    "["
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u206a\u206b\u206c"
    "\u206d\u206e\u206f\u3164\ufe00\ufe01\ufe02\ufe03\ufe0e\ufe0f\ufeff\uffa0"
    "]"
)

# Letters from other scripts that look like Latin ones. NFKC does not fold these, so "раypal" (with
# Cyrillic "р" and "а") would otherwise be a word the model has never seen.
_HOMOGLYPHS = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "ɡ": "g", "ӏ": "l", "һ": "h", "ո": "n", "ս": "u",
    "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p", "С": "c",
    "Т": "t", "Х": "x", "У": "y", "І": "i", "Ј": "j", "Ѕ": "s",
    # Greek
    "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m",
    "Ν": "n", "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
})
_HOMOGLYPH_CLASS = "[" + "".join(chr(c) for c in _HOMOGLYPHS) + "]"
_HOMOGLYPH_RE = re.compile(_HOMOGLYPH_CLASS)
_MIXED_WORD_RE = re.compile(r"\w*" + _HOMOGLYPH_CLASS + r"\w*")

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "!": "i", "|": "l", "€": "e"})

_URL_RE = re.compile(
    r"""(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>"']+"""      # scheme or www.
    r"""|\b(?:[a-z0-9-]+\.)+(?:com|net|org|info|biz|ru|xyz|top|io|co|ly|gl|be|me|us|uk|in|online|"""
    r"""site|club|shop|store|live|link|click|app|tk|ml|ga|cf|gq|cc|to|tv|de|fr|es|it|pl|cn|su)"""
    r"""\b(?:/[^\s<>"']*)?""",
    # The text is case-folded before these run.
)
# Cheap look-ahead checks: most comments have no link, digit or symbol, and a plain search is
# several times faster than the substitutions it lets us skip (scoring runs inside the form POST).
_TLD_HINT_RE = re.compile(
    r"\.(?:com|net|org|info|biz|ru|xyz|top|io|co|ly|gl|be|me|us|uk|in|online|site|club|"
    r"shop|store|live|link|click|app|tk|ml|ga|cf|gq|cc|to|tv|de|fr|es|it|pl|cn|su)\b"
)
_BANG_INSIDE_RE = re.compile(r"[a-z]![a-z]")
_LETTER_DIGIT_RE = re.compile(r"[a-z][0-9]|[0-9][a-z]")
# Links written to dodge link filters: "cheap-pills . com", "site dot com", "site(dot)net". A
# space before the dot is required ("the end. Com..." is prose), and only top-level domains that
# are not also English words.
_SPLIT_DOMAIN_RE = re.compile(
    r"\b([a-z0-9-]{2,63})(?:\s+\.\s*|\s*[(\[]dot[)\]]\s*|\s+dot\s+)"
    r"(com|net|org|info|biz|xyz|online|site|club|shop|store|ru)(?=[\s/]|$)",
    # The text is case-folded before these run.
)
_EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# Phone numbers as scam comments write them: +1 (888) 555-0199, 1-800-555-0199, 888.555.0199,
# +44 7700 900123, 0800 123 4567. A match counts only with 7 to 15 digits (see _replace_phone).
# Never the middle or the start of a longer number: with dots between thousands, as Indonesian
# and most of Europe write them, "Rp 15.000.000.000" holds "000.000.000", which is shaped like a
# phone number.
_PHONE_RE = re.compile(
    r"(?<![\w+])(?<!\d[.,])(?:\+\d[\d\s().-]{5,20}\d"
    r"|(?:\b1[\s.-]?)?\(?\b\d{3}\)?[\s.-]{0,2}\d{3}[\s.-]?\d{4}\b"
    r"|\b0\d{2,4}[\s.-]?\d{3,4}[\s.-]?\d{3,4}\b)(?![.,]\d)"
)
# Starts with the literal "@" so the regex engine can jump from one "@" to the next; whether the
# character before it allows a mention is checked in _replace_mention (a look-behind would be
# tried at every position of every comment).
_MENTION_RE = re.compile(r"@\w{1,30}")
_TAG_RE = re.compile(r"</?[a-zA-Z][^<>]{0,300}>")
# Letters split by spaces or dots: "f u c k", "f.u.c.k" (at least three letters in a row).
_SPACED_RE = re.compile(r"\b(?:[a-z][ .*_-]){2,}[a-z]\b")
_REPEAT_RE = re.compile(r"(\w)\1\1+")
# The same three patterns for pure-ASCII text (nine comments in ten), where they give the same
# result and run 25-35% faster. tests/model/test_text.py checks that they agree.
_SPACED_ASCII_RE = re.compile(_SPACED_RE.pattern, re.ASCII)
_REPEAT_ASCII_RE = re.compile(r"([a-z0-9])\1\1+")
# A letter next to a digit or symbol, inside one token: "sh1t", "fr33", "f@ck", "$ex", "sh!t".
_LEET_CANDIDATE_RE = re.compile(
    r"(?<![\w@$|!€])[a-z0-9@$|!€]*(?:[a-z][0-9@$|€]|[0-9@$|€][a-z]|[a-z]![a-z])[a-z0-9@$|!€]*"
)
_NUMBER_RE = re.compile(r"\b\d+(?:[.,]\d+)*\b")
# Tokens: placeholders, words, the punctuation that carries tone, and each emoji on its own (a
# middle finger or a vomiting face says as much as a word).
_TOKEN_RE = re.compile(r"_(?:url|shorturl|email|phone|mention|num)_|[^\W_]+|[!?$€£]"
                       r"|[\U0001F300-\U0001FAFF\u2600-\u27BF]")
_TOKEN_ASCII_RE = re.compile(r"_(?:url|shorturl|email|phone|mention|num)_|[a-z0-9]+|[!?$]")


def _replace_url(match: re.Match) -> str:
    url = match.group(0).lower()
    host = re.sub(r"^(?:[a-z]+://)?(?:www\.)?", "", url).split("/", 1)[0]
    return f" {SHORT_URL} " if host in SHORTENER_DOMAINS else f" {URL} "


def _replace_mention(match: re.Match) -> str:
    start = match.start()
    before = match.string[start - 1] if start else " "
    return match.group(0) if before.isalnum() or before in "_@" else f" {MENTION} "


def _has_email_shape(text: str) -> bool:
    """An "@" with a name character before it: "@editor" alone is a mention, not an address."""
    at = text.find("@")
    while at != -1:
        if at and (text[at - 1].isalnum() or text[at - 1] in "._+-"):
            return True
        at = text.find("@", at + 1)
    return False


def _replace_phone(match: re.Match) -> str:
    digits = sum(c.isdigit() for c in match.group(0))
    return f" {PHONE} " if 7 <= digits <= 15 else match.group(0)


def _undo_leet(match: re.Match) -> str:
    token = match.group(0)
    # "great!!" is emphasis and "trump2020" or "covid19" a name with a number: keep trailing
    # "!", "|" and runs of two or more digits as they are.
    core = token.rstrip("!|")
    digits = len(core) - len(core.rstrip("0123456789"))
    if digits >= 2 and sum(c.isalpha() for c in core[:-digits]) >= 3:
        core = core[:-digits]
    tail = token[len(core):]
    letters = sum(c.isalpha() for c in core)
    # Only tokens that are mostly letters: "sh1t" and "fr33" yes, "mp3" or "2nd" no.
    if letters < 3 or letters <= len(core) - letters:
        return token
    return core.translate(_LEET) + tail


def _join_spaced(match: re.Match) -> str:
    return re.sub(r"[ .*_-]", "", match.group(0))


def _fold_word(match: re.Match) -> str:
    word = match.group(0)
    # Only words that mix scripts: a word written wholly in Cyrillic or Greek is left alone.
    if any("a" <= c <= "z" or "A" <= c <= "Z" for c in word):
        return word.translate(_HOMOGLYPHS)
    return word


def _digit_count(text: str) -> int:
    return len(text.encode("ascii", "ignore").translate(None, _NOT_DIGIT))


def _folded(text: str) -> tuple[str, bool]:
    """``normalize``'s first steps, which ``link_hosts`` shares: HTML entities decoded, NFKC,
    invisible characters removed, mixed-script homoglyphs folded, case folded. Also whether the
    text (entities decoded) was pure ASCII."""
    if "&" in text:
        text = html.unescape(text)
    ascii_only = text.isascii()
    if not ascii_only:
        text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", text))
        if _HOMOGLYPH_RE.search(text):
            text = _MIXED_WORD_RE.sub(_fold_word, text)
    return text.casefold(), ascii_only


def _links_joined(text: str) -> str:
    """Links split to dodge filters joined again, and e-mail addresses replaced (their domain is
    no link): what the link pattern then runs on, in ``normalize`` and ``link_hosts`` alike."""
    if " ." in text or "dot" in text:
        text = _SPLIT_DOMAIN_RE.sub(r"\1.\2", text)
    if "@" in text and _has_email_shape(text):
        text = _EMAIL_RE.sub(f" {EMAIL} ", text)
    return text


def _may_have_link(text: str) -> bool:
    return "://" in text or "www." in text or bool(_TLD_HINT_RE.search(text))


_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*://")
_HOST_END_RE = re.compile(r"[/?#\\\s]")


def url_host(url: str) -> str:
    """The lower-case host of a link or of a typed web address, without scheme, user name,
    port, path, ``www.`` or the punctuation a sentence put after it:
    ``"https://www.Example.com:8080/a?b"`` and ``"example.com)."`` give ``"example.com"``;
    ``""`` when there is none."""
    host = _HOST_END_RE.split(_SCHEME_RE.sub("", url.strip().casefold()), maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].strip(".,;:!?()[]{}*")
    return host[4:] if host.startswith("www.") else host


def link_hosts(text: str) -> list[str]:
    """The hosts (``url_host``) of the links in a raw comment, in order: the links ``normalize``
    turns into ``_url_`` or ``_shorturl_``, found by the same steps and pattern."""
    text = _links_joined(_folded(text)[0])
    if not _may_have_link(text):
        return []
    return [host for host in map(url_host, _URL_RE.findall(text)) if host]


def normalize(text: str) -> str:
    """Return the normalised token string of one comment.

    Steps, in order: HTML entities decoded; Unicode NFKC (full-width and styled letters become
    plain ones); invisible characters removed; mixed-script homoglyphs folded to Latin; case
    folded; links (also ones split to dodge filters), e-mail addresses, phone numbers and
    @mentions replaced by placeholders; HTML tags dropped; leetspeak undone in mostly-letter
    tokens; spaced-out letters joined; runs of three or more repeated characters cut to two;
    numbers replaced by a placeholder; what remains split into word tokens, emoji and the
    punctuation that carries tone (``! ? $``).

    Each costly substitution sits behind a cheap test of whether it can apply at all: scoring
    runs inside the reader's form POST, and most comments have no link, digit or trick in them.
    """
    text, ascii_only = _folded(text)
    digits = _digit_count(text)
    text = _links_joined(text)
    if _may_have_link(text):
        text = _URL_RE.sub(_replace_url, text)
    if digits >= 7:
        text = _PHONE_RE.sub(_replace_phone, text)
    if "@" in text:
        text = _MENTION_RE.sub(_replace_mention, text)
    if "<" in text:
        text = _TAG_RE.sub(" ", text)
    if ("@" in text or "$" in text or "|" in text or "€" in text
            or ("!" in text and _BANG_INSIDE_RE.search(text))
            or (digits and _LETTER_DIGIT_RE.search(text))):
        text = _LEET_CANDIDATE_RE.sub(_undo_leet, text)
    if ascii_only:
        spaced, repeat, token = _SPACED_ASCII_RE, _REPEAT_ASCII_RE, _TOKEN_ASCII_RE
    else:
        spaced, repeat, token = _SPACED_RE, _REPEAT_RE, _TOKEN_RE
    text = spaced.sub(_join_spaced, text)
    text = repeat.sub(r"\1\1", text)
    if digits:
        text = _NUMBER_RE.sub(f" {NUMBER} ", text)
    return " ".join(token.findall(text))


def has_phone_number(text: str) -> bool:
    """Whether `normalize` reads a phone number in `text`: 7 to 15 digits written as one number,
    not inside a link or an e-mail address ("Rp 15.000.000" and "2024-2025" are not). The policy's
    contact rule asks this of every comment, so a text with fewer than seven digits costs a
    byte count and nothing more."""
    if _digit_count(text if text.isascii() else unicodedata.normalize("NFKC", text)) < 7:
        return False
    return PHONE in normalize(text).split(" ")


_UPPER = bytes(range(65, 91))
_LOWER = bytes(range(97, 123))
_DIGITS = b"0123456789"
_ALL = bytes(range(256))
_NOT_UPPER = bytes(set(_ALL) - set(_UPPER))
_NOT_LETTER = bytes(set(_ALL) - set(_UPPER) - set(_LOWER))
_NOT_DIGIT = bytes(set(_ALL) - set(_DIGITS))


def surface_signals(text: str) -> tuple[float, float]:
    """Share of capitals among letters, and of digits among characters, in the raw text.

    Shouting and digit-heavy text are typical of spam, and both are lost once the text is
    case-folded and numbers become placeholders. Counted on the ASCII letters and digits only:
    ``bytes.translate`` does it in C, a hundred times faster than testing each character.
    """
    raw = text.encode("ascii", "ignore")
    letters = len(raw.translate(None, _NOT_LETTER))
    return (
        len(raw.translate(None, _NOT_UPPER)) / letters if letters else 0.0,
        len(raw.translate(None, _NOT_DIGIT)) / len(text) if text else 0.0,
    )
