"""Which language a comment is written in, offline: py3langid's model (BSD, shipped inside its
wheel; nothing is downloaded), restricted to the languages this site's readers write in.

`Identifier.identify(text)` answers an ISO 639-1 code, or "unknown" when the comment is too short
to tell ("Mantap!", "lol") or the model is not sure of any one language (a comment that mixes
Indonesian and English, a language outside the candidates). Guessing there would be worse than
abstaining: a short Indonesian comment guessed as English gets the English heads' verdict.

Speed. Identification runs for every comment in intake, so it must cost little next to scoring
(bench/language_id.py: target 50 µs at the median). py3langid's own `classify` spends most of
its time in a dozen NumPy calls on tiny arrays, with the model's float16 table gathered across
its 140 columns. We keep its tokenizer (the byte DFA), its model and its arithmetic, and only
do the glue in fewer, cheaper steps: the candidates' columns as one contiguous float32 table,
counts weighted through a lookup, and the softmax over the few candidates in plain Python.
`tests/decisions/test_language.py` checks that the answers equal the package's own.

Inside a request, though, the model's cost is its memory, not its arithmetic: a 39 MB byte
automaton and a weight row per n-gram, cold after the request's own work, made identification
take 160-260 µs there against 40-100 µs in a warm loop (bench/README.md, "Language
identification"). So a comment that is plainly English, pure ASCII with English function words
making a quarter of its words and not one function word of the other candidate languages, is
answered "en" from two small word sets, and the model reads only the rest. On the bench's sets
(1,000 ucc-dev comments, Indonesian, Portuguese, mixed, and 3,000 Indonesian YouTube comments)
that answer never differs from the model's, and 70% of the English news comments take it.
"""

from __future__ import annotations

import array
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

UNKNOWN = "unknown"

# Fewer letters than this and the language is not told: a few characters carry too few of the
# model's features, and whole-word interjections ("Sip", "Ok", "wkwk") are shared across languages.
MIN_LETTERS = 20
# The softmax probability the best language must reach. Measured in bench/language_id.py: below
# it are most of the wrong answers on short comments and the comments that mix two languages.
MIN_CONFIDENCE = 0.75
# Only the start of a long comment is read: a few hundred bytes settle the language, and the
# cost stays flat however long the comment (the model's n-grams are at most four bytes).
MAX_BYTES = 400

# What the review page calls the languages a Jakarta news site is likely to see.
NAMES = {
    "en": "English", "id": "Indonesian", "ms": "Malay", "jv": "Javanese", "zh": "Chinese",
    "ja": "Japanese", "ko": "Korean", "ar": "Arabic", "tl": "Tagalog", "nl": "Dutch",
    "de": "German", "fr": "French", "es": "Spanish", "pt": "Portuguese", "vi": "Vietnamese",
    "th": "Thai", "hi": "Hindi", "ru": "Russian", "it": "Italian", "tr": "Turkish",
    UNKNOWN: "not identified",
}

_LETTER = re.compile(r"[^\W\d_]")
_ASCII_WORD = re.compile(r"[a-z']+")
# What makes a comment plainly English: at least this many of its words, and this share of them,
# are English function words.
PLAIN_MIN_WORDS, PLAIN_MIN_HITS, PLAIN_MIN_SHARE = 8, 4, 0.25
_ENGLISH_FUNCTION_WORDS = frozenset("""
    the and is are was were be been of to in that it for on with as this have has had not but they
    you he she we his her their them what which who would could should will there if or an at by
    from about than so do does did just more when your our my its can also no
""".split())
# The most frequent function words of the other default candidates written in Latin letters
# (Indonesian and its colloquial forms, Javanese, Tagalog, German, French, Spanish, Dutch,
# Portuguese, the last without its accents: only ASCII comments are asked; Malay shares
# Indonesian's). One of them in a comment and the model decides.
_OTHER_FUNCTION_WORDS = frozenset("""
    yang dan di ini itu tidak dengan untuk ada dari akan juga saya kita sudah bisa karena atau
    pada kami mereka harus lebih sangat jangan apa ya nya aja gak enggak ga udah sih kok
    ora aku kowe iki kuwi karo lan sing wis arep
    ang ng mga sa ay si hindi ito naman lang po ko niya
    der die das und ist nicht ich sie es zu den mit von auf dem ein eine sich auch
    le la les et est une des du pas que qui je ce dans pour sur avec
    el los las y es que de en un una por para con se lo como
    het een en niet van ik dat op te zijn ook maar voor
    o os e nao um uma com para mais muito isso esta voce
""".split()) - _ENGLISH_FUNCTION_WORDS
# Each half of a comment must be this long for the halves to be compared: shorter halves disagree
# by chance.
_HALF_BYTES = 30
_SHARE = [0.0] + [math.log1p(n) / n for n in range(1, MAX_BYTES + 1)]


def name(code: str | None) -> str:
    """A language code as a moderator reads it: "Indonesian (id)"; None for comments stored before
    languages were identified."""
    if code is None:
        return "not identified (stored before languages were)"
    if code == UNKNOWN:
        return NAMES[UNKNOWN]
    return f"{NAMES[code]} ({code})" if code in NAMES else code


def model_languages() -> tuple[str, ...]:
    """Every language py3langid's model knows."""
    return tuple(_model().labels)


@lru_cache(maxsize=1)
def _model():
    # Imported and read here, once per process: the model takes about 1.5 s and 100 MB to load,
    # and every app built in this process (tests build hundreds) shares it.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@dataclass(frozen=True)
class Guess:
    language: str          # an ISO 639-1 code, or UNKNOWN
    confidence: float      # the model's probability for its best language (0 when too short)
    best: str | None       # the model's best language, even when not confident enough to say it


class Identifier:
    """The model restricted to `candidates` (ISO 639-1 codes it knows; empty: all of them).
    `shortcut`: answer plainly English comments without the model (`plainly_english`)."""

    def __init__(self, candidates: tuple[str, ...] = (), *, min_letters: int = MIN_LETTERS,
                 min_confidence: float = MIN_CONFIDENCE, shortcut: bool = True) -> None:
        model = _model()
        known = model.labels
        unknown = sorted(set(candidates) - set(known))
        if unknown:
            raise ValueError(f"py3langid does not know the language code(s) {', '.join(unknown)}")
        columns = [i for i, code in enumerate(model.nb_classes)
                   if not candidates or code in candidates]
        # One column per language (the model lists a few twice under two scripts: keep the first).
        seen: dict[str, int] = {}
        for i in columns:
            seen.setdefault(model.nb_classes[i], i)
        columns = list(seen.values())
        self.languages = tuple(model.nb_classes[i] for i in columns)
        # The shared model is never restricted itself (`set_languages`): each identifier takes
        # its own copy of its candidates' columns.
        self._table = np.ascontiguousarray(model.nb_ptc[:, columns], dtype=np.float32)
        self._prior = np.ascontiguousarray(model.nb_pc[columns], dtype=np.float32)
        # Machine-integer arrays, not the package's lists of Python ints: a list holds a pointer
        # to an int object somewhere else in memory, so each byte of a comment cost two more
        # cache misses, and inside a request the model's memory is cold (17-28% of the call
        # there, bench/README.md "Language identification").
        self._nextmove = model.tk_nextmove
        self._output = array.array("i", model.tk_output)
        self._rowbase = array.array("q", (row << 8 for row in model.tk_row))  # each state's row
        self.min_letters, self.min_confidence = min_letters, min_confidence
        self.shortcut = shortcut and "en" in self.languages

    def guess(self, text: str) -> Guess:
        if self.shortcut and plainly_english(text):
            return Guess("en", 1.0, "en")
        letters = len(_LETTER.findall(text, 0, 4 * self.min_letters))
        if letters < self.min_letters:
            return Guess(UNKNOWN, 0.0, None)
        best, confidence, halves = self._classify(text)
        if best is None or confidence < self.min_confidence or len(set(halves)) > 1:
            return Guess(UNKNOWN, confidence, best)
        return Guess(best, confidence, best)

    def identify(self, text: str) -> str:
        return self.guess(text).language

    def _classify(self, text: str) -> tuple[str | None, float, tuple[str, ...]]:
        """py3langid's `classify` with norm_probs (same features, weights and temperature): the
        best language and its probability; and the best language of each half of the comment,
        when both halves are long enough to tell (the mixed-language check)."""
        if text.isupper():
            text = text.lower()
        data = unicodedata.normalize("NFC", text).encode("utf-8", "surrogatepass")[:MAX_BYTES]
        nextmove, rowbase, output = self._nextmove, self._rowbase, self._output
        features: list[int] = []
        append = features.append
        state = 0
        middle = _middle(data)
        for byte in data[:middle]:
            state = nextmove[rowbase[state] + byte]
            feature = output[state]
            if feature >= 0:
                append(feature)
        split = len(features)
        for byte in data[middle:]:
            state = nextmove[rowbase[state] + byte]
            feature = output[state]
            if feature >= 0:
                append(feature)
        if not features:
            return None, 0.0, ()
        # The model weighs a feature seen n times by log(1 + n); spread over its n occurrences
        # that is log(1 + n) / n each, so each half's sum is its share of the whole.
        counts = Counter(features)
        weights = np.array([_SHARE[counts[f]] for f in features], dtype=np.float32)
        rows = self._table.take(np.array(features, dtype=np.intp), axis=0)
        first = weights[:split] @ rows[:split]
        second = weights[split:] @ rows[split:]
        scores = ((first + second + self._prior) * (1.0 / math.sqrt(len(data)))).tolist()
        top = max(scores)
        best = scores.index(top)
        halves = ()
        if min(middle, len(data) - middle) >= _HALF_BYTES:
            halves = (self.languages[int((first + self._prior).argmax())],
                      self.languages[int((second + self._prior).argmax())])
        return self.languages[best], 1.0 / sum(math.exp(s - top) for s in scores), halves


def plainly_english(text: str) -> bool:
    """Pure ASCII, at least PLAIN_MIN_WORDS words, PLAIN_MIN_HITS and PLAIN_MIN_SHARE of them
    English function words, and none a function word of another candidate language."""
    if not text.isascii():
        return False
    words = _ASCII_WORD.findall(text.lower())
    if len(words) < PLAIN_MIN_WORDS:
        return False
    hits = 0
    for word in words:
        if word in _OTHER_FUNCTION_WORDS:
            return False
        hits += word in _ENGLISH_FUNCTION_WORDS
    return hits >= PLAIN_MIN_HITS and hits >= PLAIN_MIN_SHARE * len(words)


def _middle(data: bytes) -> int:
    """A word boundary near the middle of `data` (the middle itself when there is none)."""
    middle = len(data) // 2
    space = data.find(b" ", middle)
    return space if 0 <= space < len(data) - 1 else middle
