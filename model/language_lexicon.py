"""Abuse word lists for languages the general model has not learnt, as site-layer columns.

A layer of its own language learns from its moderators' decisions alone, and 1,000 decisions see
most abusive words once or never. A published word list knows them before any decision: on
ToLD-Br (Portuguese tweets, bench/README.md "A language learnt from decisions alone") the
Portuguese list's hit count alone ranks the tweets at ROC AUC 0.75, as well as a layer learnt from
1,000 decisions, and the two together reach 0.80.

The lists ship in ``model/lexicons/<language>.txt`` (sources, licences and what was left out:
``model/lexicons/README.md``); a language without one gets no columns. The columns are learnt
like the n-grams, from the decisions: how far this site's moderators agree with a list is theirs
to say (the Portuguese list has "comer", to eat; Indonesian comments swear with "anjing", dog).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.utils import murmurhash3_32

from model.text import PLACEHOLDERS, normalize

LEXICONS = Path(__file__).resolve().parent / "lexicons"
# Columns per hit entry: few, as the lists are a few hundred entries each.
N_ENTRY_FEATURES = 2 ** 10
N_COLUMNS = 2 + N_ENTRY_FEATURES

_REPEATS = re.compile(r"(.)\1+")


def fold(token: str) -> str:
    """A token as lists and readers both write it: accents dropped ("desgraçado" and
    "desgracado"), doubled letters single ("porraa", "anjiing"). ``normalize`` has already undone
    leetspeak and cut longer runs to two."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", token)
                   if not unicodedata.combining(c))
    return _REPEATS.sub(r"\1", bare)


class Lexicon:
    """One language's entries, single words and phrases, folded as comments are."""

    def __init__(self, entries) -> None:
        self.words: set[str] = set()
        self.phrases: set[tuple[str, ...]] = set()
        for entry in entries:
            tokens = tuple(fold(t) for t in normalize(entry).split())
            if any(t in PLACEHOLDERS for t in tokens):
                continue        # "xhamster.com" would otherwise hit every link
            if len(tokens) == 1:
                self.words.add(tokens[0])
            elif tokens:
                self.phrases.add(tokens)
        self.longest = max((len(p) for p in self.phrases), default=1)

    def hits(self, text: str) -> list[str]:
        """The entries ``text`` contains, once per occurrence (phrases joined by "_")."""
        tokens = [fold(t) for t in normalize(text).split()]
        found = []
        for i, token in enumerate(tokens):
            if token in self.words:
                found.append(token)
            for n in range(2, min(self.longest, len(tokens) - i) + 1):
                if tuple(tokens[i:i + n]) in self.phrases:
                    found.append("_".join(tokens[i:i + n]))
        return found


@lru_cache(maxsize=None)
def for_language(language: str) -> Lexicon | None:
    """The shipped list of ``language`` (an ISO 639-1 code), or None."""
    if not re.fullmatch(r"[a-z]{2,3}", language or ""):
        return None
    path = LEXICONS / f"{language}.txt"
    if not path.is_file():
        return None
    return Lexicon(line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                   if line.strip() and not line.startswith("#"))


def columns(texts: list[str], language: str) -> sp.csr_matrix | None:
    """(n, N_COLUMNS) for a language with a list, else None: whether the comment hits it, log(1 +
    its hits), then the entries it hits, hashed. In prototypes on ToLD-Br (3 shuffles, 1,000
    decisions) the first two lifted ROC AUC from 0.733 to 0.803 and the entries to 0.808; a fixed
    prior weight on the count instead of a learnt one gained nothing once the columns were there
    (learnt from 100 decisions already)."""
    lexicon = for_language(language)
    if lexicon is None:
        return None
    data, indices, indptr = [], [], [0]
    for text in texts:
        hits = lexicon.hits(text)
        if hits:
            # Built by hand, not with a HashingVectorizer: its per-call overhead (0.2 ms) would
            # double what the columns cost a comment scored inside the reader's form POST.
            buckets = np.array([2 + murmurhash3_32(h, positive=True) % N_ENTRY_FEATURES
                                for h in hits])
            entry_columns, counts = np.unique(buckets, return_counts=True)
            indices += [0, 1, *entry_columns.tolist()]
            data += [1.0, float(np.log1p(len(hits))), *(counts / np.linalg.norm(counts)).tolist()]
        indptr.append(len(indices))
    return sp.csr_matrix((np.array(data, dtype=float), np.array(indices, dtype=np.int32), indptr),
                         shape=(len(texts), N_COLUMNS))
