"""Which words make a comment toxic, learnt from the character spans annotators marked.

The toxic-spans corpus (``../shared/data/toxic-spans``) marks, in each toxic news comment, the
words that made it toxic. ``SpanLexicon`` learns, per word, how often it lies inside a marked
span when it occurs in a toxic comment (smoothed towards a low prior, so a word seen twice is
not taken at its word). Two uses:

- **Evidence a moderator can check.** ``spans`` returns the character ranges of the words above
  a threshold: what the review page highlights, and what the SemEval 2021 Task 5 metric measures
  (``bench/explanations.py``). Function words ("a", "are") are almost never marked, so they never
  show up as evidence.
- **One input of the abuse head** (``model/pipeline.py``): the highest word score of a comment.
  A bag of words averages one insult into a long, civil comment; the maximum does not.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

# A word, with an inner apostrophe ("don't"); offsets are into the text as the reader wrote it.
WORD_RE = re.compile(r"\w+(?:['’]\w+)?")
# Smoothing: a word seen n times in toxic comments, k of them inside a span, scores
# (k + ALPHA * PRIOR) / (n + ALPHA). Chosen on half of the train file, scored on the other half.
ALPHA = 2.0
PRIOR = 0.05
# Words scoring below this are dropped from the artifact: they never become evidence and add
# nothing to a maximum that real insults (0.5-0.9) decide.
KEEP_ABOVE = 0.1
# The span threshold: a word at or above it is marked toxic. Chosen like ALPHA (0.3 and 0.4 were
# best, within 0.005 of each other; bench/README.md).
SPAN_THRESHOLD = 0.3


def words(text: str):
    """(lower-case word, start, end) for each word of ``text``."""
    return [(m.group(0).lower(), m.start(), m.end()) for m in WORD_RE.finditer(text)]


class SpanLexicon:
    def __init__(self, scores: dict[str, float] | None = None, threshold: float = SPAN_THRESHOLD):
        self.scores = scores or {}
        self.threshold = threshold

    def fit(self, rows, exclude=frozenset()) -> "SpanLexicon":
        """``rows``: (text, spans) of toxic comments, spans a sequence of (start, end) ranges.
        ``exclude``: words never to score (the names of groups: ``model/identity.py``)."""
        inside: Counter = Counter()
        seen: Counter = Counter()
        for text, spans in rows:
            marked = np.zeros(len(text) + 1, dtype=bool)
            for a, b in spans:
                marked[a:b] = True
            for word, a, b in words(text):
                seen[word] += 1
                inside[word] += bool(marked[a:b].any())
        scores = {w: (inside[w] + ALPHA * PRIOR) / (n + ALPHA) for w, n in seen.items()}
        self.scores = {w: round(s, 4) for w, s in scores.items()
                       if s >= KEEP_ABOVE and w not in exclude}
        return self

    def word_scores(self, text: str):
        """(word, start, end, score) for each word of ``text`` the lexicon knows."""
        get = self.scores.get
        return [(w, a, b, s) for w, a, b in words(text) if (s := get(w)) is not None]

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character ranges of the words at or above the threshold, in order."""
        return [(a, b) for _, a, b, s in self.word_scores(text) if s >= self.threshold]

    def max_score(self, texts) -> np.ndarray:
        get = self.scores.get
        return np.fromiter(
            (max((get(m.group(0).lower(), 0.0) for m in WORD_RE.finditer(t)), default=0.0)
             for t in texts), dtype=np.float64)
