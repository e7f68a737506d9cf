"""Exact and near duplicates among comments, so one spam wave counts as one example.

Two comments are *exact* duplicates when their normalised texts (``model.text.normalize``: case,
homoglyphs, leetspeak, links and numbers folded into placeholders) are equal: "Win at
www.a.biz" and "WIN at www.b.biz" are the same comment with another link, which is how a wave
is pasted.

*Near* duplicates are found with MinHash over word 3-shingles (single words for texts of fewer
than three): each text gets ``N_HASHES`` minima of random linear hashes of its shingles; two texts
agree on one minimum with probability equal to the Jaccard similarity of their shingle sets.
Locality-sensitive hashing over ``BANDS`` bands of ``ROWS`` minima proposes pairs that agree on a
whole band (likely above ~0.7 similarity), and a proposed pair is joined only when its estimated
similarity reaches ``NEAR``. Clusters are the connected components of the joined pairs. This
finds a wave whose copies differ by a word or two ("Earn $500 a day" / "Earn $700 a week"),
costs one pass over the texts, and needs no pairwise comparison of all texts.

A text with nothing left after normalisation but placeholders and punctuation ("www.a.biz",
"....." or ";-)") has *no key*: two bare links or two smileys are not the same comment, and
folding them together let three approved links stand for 56 YouTube spam rows. Such texts are
duplicates of nothing, exact or near.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict

import numpy as np

from model.text import PLACEHOLDERS, normalize

N_HASHES = 32
BANDS, ROWS = 8, 4             # BANDS * ROWS == N_HASHES
NEAR = 0.75                   # estimated Jaccard similarity of shingles at which texts are joined
_PRIME = (1 << 31) - 1        # Mersenne prime; hashes and coefficients below it keep a*h+b in uint64
_rng = np.random.default_rng(20261124)   # fixed: signatures must not change between runs
_A = _rng.integers(1, _PRIME, N_HASHES, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, N_HASHES, dtype=np.uint64)


_WORDISH = re.compile(r"[^\W_]")   # a letter or digit: a token a reader wrote, not punctuation


def text_key(text: str) -> str | None:
    """The normalised text: equal keys are exact duplicates. None when the text has no word of its
    own, only placeholders and punctuation (see the module docstring)."""
    key = normalize(text)
    said = any(token not in PLACEHOLDERS and _WORDISH.search(token) for token in key.split())
    return key if said else None


def _shingles(key: str) -> set[str]:
    words = key.split(" ")
    if len(words) < 3:
        return {key}
    return {" ".join(words[i:i + 3]) for i in range(len(words) - 2)}


def signature(key: str) -> np.ndarray:
    """The MinHash signature (``N_HASHES`` uint64) of a normalised text."""
    hashes = np.fromiter(
        (int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big") % _PRIME
         for s in _shingles(key)), dtype=np.uint64)
    return ((_A[:, None] * hashes[None, :] + _B[:, None]) % _PRIME).min(axis=1)


def clusters(keys: list[str | None]) -> list[int]:
    """A cluster number per text key: equal numbers are exact or near duplicates; a None key
    (``text_key``: no words) is a cluster of its own."""
    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        parent[root(i)] = root(j)

    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key is None:
            continue
        if key in first:
            join(i, first[key])
        else:
            first[key] = i
    unique = list(first.values())
    signatures = {i: signature(keys[i]) for i in unique}
    for band in range(BANDS):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        for i in unique:
            buckets[signatures[i][band * ROWS:(band + 1) * ROWS].tobytes()].append(i)
        for members in buckets.values():
            for j in members[1:]:
                if root(j) != root(members[0]) and \
                        np.mean(signatures[j] == signatures[members[0]]) >= NEAR:
                    join(j, members[0])
    return [root(i) for i in range(len(keys))]
