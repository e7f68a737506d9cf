"""Comment text to feature matrix: the one code path for training and for serving.

``CommentVectorizer`` is a scikit-learn transformer. It normalises each comment with
:func:`model.text.normalize`, then hashes word unigrams, word bigrams and character n-grams taken
inside words (like scikit-learn's ``char_wb``) into a fixed number of columns, weights them by
TF-IDF (sublinear term frequency, smoothed IDF learnt in ``fit``), L2-normalises the word block and
the character block separately, and appends a few cheap signals (link, shortener, e-mail and phone
counts, share of capitals and digits, length).

Why hashing, computed in NumPy, rather than ``TfidfVectorizer``: the service scores each comment
inside the reader's form POST and back-fills archives in bulk. Hashing needs no vocabulary (a small
artifact, no out-of-vocabulary bookkeeping), and computing every n-gram hash of a whole batch with
array arithmetic is an order of magnitude faster than a Python analyzer called per document.
"""

from __future__ import annotations

from math import log1p

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from model import text as textmod

_U64 = np.uint64
_PRIME = 0x100000001B3                      # odd, so it has an inverse modulo 2**64
_PRIME_INV = pow(_PRIME, -1, 1 << 64)
_BIGRAM_MULT = _U64(0x9E3779B97F4A7C15)
_SALT_WORD = _U64(0x51ED270B27A9B3C1)
_SALT_BIGRAM = _U64(0x2545F4914F6CDD1D)
_SALT_CHAR = _U64(0x94D049BB133111EB)

SIGNAL_NAMES = (
    "links", "short_links", "emails", "phones", "numbers", "exclamations",
    "capitals_share", "digits_share", "log_length",
)


_SHIFT = _U64(33)
_M1 = _U64(0xFF51AFD7ED558CCD)
_M2 = _U64(0xC4CEB9FE1A85EC53)


def _mix(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: spreads similar inputs over all bits (in place)."""
    h ^= h >> _SHIFT
    h *= _M1
    h ^= h >> _SHIFT
    h *= _M2
    h ^= h >> _SHIFT
    return h


def _bigram_hash(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The hash of each word pair (first[i], second[i]), from the two words' own hashes."""
    return (first * _BIGRAM_MULT + second) ^ _SALT_BIGRAM


_POW = np.ones(1, dtype=np.uint64)
_INV = np.ones(1, dtype=np.uint64)


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """P**k and P**-k modulo 2**64 for k < n (uint64 arithmetic wraps, which is the modulus).

    Cached and grown by doubling: scoring one comment at a time must not recompute them.
    """
    global _POW, _INV
    if _POW.size < n:
        size = max(n, 2 * _POW.size, 4096)
        pw = np.full(size, _U64(_PRIME), dtype=np.uint64)
        pw[0] = 1
        inv = np.full(size, _U64(_PRIME_INV), dtype=np.uint64)
        inv[0] = 1
        _POW, _INV = np.cumprod(pw, dtype=np.uint64), np.cumprod(inv, dtype=np.uint64)
    return _POW[:n], _INV[:n]


class _Hashed:
    """Every hashed feature occurrence of a batch of normalised texts.

    Attributes (one entry per occurrence): ``doc`` (row) and ``col`` (column); ``word_hash``,
    one per word, before mixing (what word bigrams are hashed from). With
    ``with_terms`` also ``term`` (index of the word it belongs to, counted over the batch; for a
    bigram, its first word) and ``bigram`` (bool), which only explanations need.
    """

    # Below this many characters the n-gram lengths are handled as one (start, length) grid:
    # a few array operations instead of a loop of them, which is what one comment costs most.
    GRID_MAX = 4096

    def __init__(self, normed: list[str], half: int, char_range: tuple[int, int],
                 word_bigrams: bool, with_terms: bool = False):
        single = len(normed) == 1
        joined = " " + " \x00 ".join(normed) + " "
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        length = codes.size
        # Normalised text holds only word characters, "!?$€£" and single spaces; documents are
        # joined by " \x00 ". So the code points <= 32 are exactly the word boundaries.
        boundary = codes <= 32
        doc_at = None if single else np.cumsum(codes == 0)
        # prefix[k] = sum_{j<k} codes[j] * P**j, so the hash of codes[a:b] is
        # (prefix[b] - prefix[a]) * P**-a: one subtraction and one product per substring.
        pw, inv = _powers(length)
        prefix = np.zeros(length + 1, dtype=np.uint64)
        np.cumsum(codes * pw, out=prefix[1:])
        bcount = np.zeros(length + 1, dtype=np.int32)
        np.cumsum(boundary, out=bcount[1:])

        edges = np.flatnonzero(boundary[:-1] != boundary[1:]) + 1
        starts, ends = edges[0::2], edges[1::2]          # words alternate with boundary runs
        word_hash = (prefix[ends] - prefix[starts]) * inv[starts]
        n_words = starts.size
        word_doc = None if single else doc_at[starts]
        hashes = [word_hash ^ _SALT_WORD]
        bigram_first = np.zeros(0, dtype=np.int64)
        if word_bigrams and n_words > 1:
            bigram_first = (np.arange(n_words - 1) if single
                            else np.flatnonzero(word_doc[:-1] == word_doc[1:]))
            hashes.append(_bigram_hash(word_hash[bigram_first], word_hash[bigram_first + 1]))

        # Character n-grams inside one space-padded word: no boundary strictly inside, and not
        # made of boundaries alone (the padding around a document separator).
        lo, hi = char_range
        if length <= self.GRID_MAX:
            ns = np.arange(lo, hi + 1)
            first = np.arange(max(length - lo + 1, 0))[:, None]
            end = np.minimum(first + ns, length)
            ok = ((first + ns <= length) & (bcount[end - 1] == bcount[first + 1])
                  & (bcount[end] - bcount[first] < ns))
            at, which = np.nonzero(ok)
            n_of = ns[which]
            hashes.append(((prefix[at + n_of] - prefix[at]) * inv[at])
                          ^ (_SALT_CHAR + n_of.astype(np.uint64)))
            char_at = at
        else:
            char_at = []
            for n in range(lo, min(hi, length) + 1):
                m = length - n + 1
                # Slices rather than index arrays: views, no gathers, on long batches.
                ok = (bcount[n - 1:length] == bcount[1:m + 1]) & (bcount[n:] - bcount[:m] < n)
                at = np.flatnonzero(ok)
                hashes.append(((prefix[n:] - prefix[:m]) * inv[:m])[ok] ^ (_SALT_CHAR + _U64(n)))
                char_at.append(at)
            char_at = np.concatenate(char_at) if char_at else np.zeros(0, dtype=np.int64)

        mixed = _mix(np.concatenate(hashes)) & _U64(half - 1)
        n_wordish = n_words + bigram_first.size
        mixed[n_wordish:] |= _U64(half)                  # character n-grams: the upper half
        self.col = mixed.view(np.int64)                  # a view: every value is < 2**63
        self.word_hash = word_hash
        if single:
            self.doc = np.zeros(mixed.size, dtype=np.int64)
        else:
            self.doc = np.concatenate([word_doc, word_doc[bigram_first], doc_at[char_at]])
        if with_terms:
            # The word a character n-gram belongs to; one starting on the padding space belongs
            # to the word after it.
            word_of = np.cumsum(np.isin(np.arange(length), starts)) - 1 + boundary
            self.term = np.concatenate([np.arange(n_words), bigram_first, word_of[char_at]])
            self.bigram = np.zeros(mixed.size, dtype=bool)
            self.bigram[n_words:n_wordish] = True


def _chunks(texts: list[str], chars: int = 32768, docs: int = 4096):
    """Split a batch into runs of about ``chars`` characters and at most ``docs`` texts.

    The hashing works on arrays as long as the batch's text; kept near the CPU cache's size they
    run several times faster than one array of a million characters, which spills to memory.
    At most 4096 texts, so that (row, column) keys fit in 32 bits and sort twice as fast.
    """
    a, size = 0, 0
    for i, t in enumerate(texts):
        size += len(t) + 3
        if size >= chars or i + 1 - a >= docs:
            yield a, i + 1
            a, size = i + 1, 0
    if a < len(texts) or not texts:
        yield a, len(texts)


class CommentVectorizer(TransformerMixin, BaseEstimator):
    """Raw comment texts -> sparse TF-IDF matrix of hashed n-grams plus cheap spam signals.

    Parameters
    ----------
    n_features : int, power of two
        Hashed columns; half for word uni/bigrams, half for character n-grams.
    char_ngrams : (min_n, max_n)
        Lengths of character n-grams, taken inside space-padded words.
    word_bigrams : bool
        Also hash pairs of adjacent words.

    Attributes
    ----------
    idf_ : ndarray of shape (n_features,)
        Smoothed inverse document frequency per hashed column, learnt by ``fit``.
    df_ : ndarray of shape (n_features,)
        Number of training texts each hashed column occurred in.

    ``transform`` returns a CSR matrix of shape (n_texts, n_features + len(SIGNAL_NAMES)).
    """

    def __init__(self, n_features: int = 2 ** 20, char_ngrams: tuple[int, int] = (3, 5),
                 word_bigrams: bool = True):
        self.n_features = n_features
        self.char_ngrams = char_ngrams
        self.word_bigrams = word_bigrams

    # -- scikit-learn API ---------------------------------------------------------------------
    def fit(self, texts, y=None):
        texts = list(texts)
        df = np.zeros(self.n_features, dtype=np.int64)
        for a, b in self.chunks(texts):
            df += np.bincount(self._counts(texts[a:b])[1], minlength=self.n_features)
        n = len(texts)
        self.df_ = df.astype(np.uint32)
        self.idf_ = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float64)
        return self

    def transform(self, texts):
        texts = list(texts)
        rows, cols, vals, signals = self.weighted_entries(texts)
        hashed = sp.csr_matrix((vals, (rows, cols)), shape=(len(texts), self.n_features))
        return sp.hstack([hashed, sp.csr_matrix(signals)], format="csr")

    def get_feature_names_out(self, input_features=None):
        return np.array([f"hash{i}" for i in range(self.n_features)]
                        + [f"signal_{s}" for s in SIGNAL_NAMES], dtype=object)

    # -- steps ----------------------------------------------------------------------------------
    def normalize_many(self, texts: list[str]) -> list[str]:
        # A batch from an archive repeats itself (spam waves, "+1", "Great article"):
        # normalise each distinct text once.
        seen: dict[str, str] = {}
        return [seen[t] if t in seen else seen.setdefault(t, textmod.normalize(t)) for t in texts]

    def hash_normalized(self, normed: list[str], with_terms: bool = False) -> _Hashed:
        if self.n_features & (self.n_features - 1) or self.n_features < 4:
            raise ValueError("n_features must be a power of two >= 4")
        return _Hashed(normed, self.n_features // 2, tuple(self.char_ngrams), self.word_bigrams,
                       with_terms)

    def _counts(self, texts: list[str]):
        """Distinct (row, column) pairs with their term counts, and the normalised texts."""
        normed = self.normalize_many(texts)
        small = len(texts) <= self.SMALL_BATCH and self.n_features <= 2 ** 31  # int32 columns
        words = self._words_of(normed) if small else None
        if words is not None:
            cols_of = [self._columns_from_words(w) for w in words]
            doc = None if len(texts) == 1 else np.repeat(np.arange(len(texts)),
                                                         [c.size for c in cols_of])
            col = np.concatenate(cols_of).astype(np.int64)
        else:
            hashed = self.hash_normalized(normed)
            doc, col = (None if len(texts) == 1 else hashed.doc), hashed.col
        if doc is None:
            cols, counts = np.unique(col, return_counts=True)
            return np.zeros(cols.size, dtype=np.int64), cols, counts, normed
        keys = doc * self.n_features + col
        if len(texts) * self.n_features <= 2 ** 32:
            keys = keys.astype(np.uint32)
        keys, counts = np.unique(keys, return_counts=True)
        keys = keys.astype(np.int64)
        shift = self.n_features.bit_length() - 1          # n_features is a power of two
        return keys >> shift, keys & (self.n_features - 1), counts, normed

    # -- a few comments at a time: each word hashed once ---------------------------------------
    # The service scores one form POST, or the few that arrive together. There the fixed cost of
    # _Hashed's thirty-odd array operations is most of the work, not the text. A word's own
    # columns (its unigram and its character n-grams, which never cross a space) do not depend
    # on its neighbours, so they are hashed once per distinct word, by _Hashed itself, and kept;
    # only the word pairs are hashed per comment. The columns are the same as hashing the batch
    # whole (tests/model/test_features.py compares the two on the shared corpora).
    SMALL_BATCH = 32
    WORDS_KEPT = 20_000  # distinct words remembered (about 7 MB); then the memory starts afresh

    @staticmethod
    def _words_of(normed: list[str]) -> list[list[str]] | None:
        """Each text's words, or None if a text is not the single-spaced, control-free string
        ``normalize`` makes: then only hashing the batch whole is known to be right."""
        words = []
        for text in normed:
            if not text:
                words.append([])
                continue
            split = text.split(" ")
            if "" in split or not text.isprintable():
                return None
            words.append(split)
        return words

    def _columns_from_words(self, words: list[str]) -> np.ndarray:
        """Every column occurrence of one text, from its words (in no particular order)."""
        known = self._remembered_words()
        parts, hashes = [], []
        for word in words:
            entry = known.get(word)
            if entry is None:
                if len(known) >= self.WORDS_KEPT:
                    known.clear()
                hashed = self.hash_normalized([word])
                entry = known[word] = (hashed.col.astype(np.int32), hashed.word_hash[0])
            parts.append(entry[0])
            hashes.append(entry[1])
        if self.word_bigrams and len(hashes) > 1:
            word_hash = np.array(hashes, dtype=np.uint64)
            pairs = _mix(_bigram_hash(word_hash[:-1], word_hash[1:]))
            parts.append((pairs & _U64(self.n_features // 2 - 1)).astype(np.int32))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)

    def _remembered_words(self) -> dict[str, tuple[np.ndarray, np.uint64]]:
        # Kept with the hashing parameters they were made with: after set_params they are stale.
        params = (self.n_features, tuple(self.char_ngrams))
        memory = self.__dict__.get("_word_columns")
        if memory is None or memory[0] != params:
            memory = self.__dict__["_word_columns"] = (params, {})
        return memory[1]

    def __getstate__(self):
        # The remembered words are a cache, not part of the fitted model: never pickled.
        state = super().__getstate__()
        state.pop("_word_columns", None)
        return state

    def weighted_entries(self, texts: list[str]):
        """The TF-IDF entries of ``texts`` as COO arrays, and the dense signal columns.

        Returns ``rows, cols, values, signals`` where ``signals`` has shape
        (len(texts), len(SIGNAL_NAMES)). ``transform`` packs these into a CSR matrix; the scorer
        uses them directly, which saves SciPy's fixed cost when it scores one comment at a time.
        """
        runs = list(self.chunks(texts))
        parts = [self.weighted_chunk(texts[a:b]) for a, b in runs]
        if len(parts) == 1:
            return parts[0]
        offsets = [a for a, _ in runs]
        return (np.concatenate([p[0] + off for p, off in zip(parts, offsets)]),
                np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts]),
                np.vstack([p[3] for p in parts]))

    def chunks(self, texts: list[str]):
        """``(start, stop)`` runs of ``texts`` that ``weighted_chunk`` handles well."""
        return _chunks(texts, docs=max(1, 2 ** 32 // self.n_features))

    def weighted_chunk(self, texts: list[str]):
        rows, cols, counts, normed = self._counts(texts)
        # Sublinear TF: a word said ten times is not ten times the evidence.
        vals = (1.0 + np.log(counts)) * self.idf_[cols]
        key = rows * 2 + (cols >= self.n_features // 2)
        norms = np.sqrt(np.bincount(key, weights=vals * vals, minlength=2 * len(texts)))
        norms[norms == 0] = 1.0                  # a block with no known n-gram stays all zero
        vals /= norms[key]
        return rows, cols, vals, self._signals(texts, normed)

    def _signals(self, texts: list[str], normed: list[str]) -> np.ndarray:
        return np.array([_signal_row(raw, norm) for raw, norm in zip(texts, normed)],
                        dtype=np.float64).reshape(len(texts), len(SIGNAL_NAMES))


def _signal_row(raw: str, normed: str) -> tuple[float, ...]:
    """SIGNAL_NAMES for one comment. Placeholders are whole tokens, so ``str.count`` finds them."""
    caps, digits = textmod.surface_signals(raw)
    return (
        log1p(normed.count(textmod.URL)), log1p(normed.count(textmod.SHORT_URL)),
        log1p(normed.count(textmod.EMAIL)), log1p(normed.count(textmod.PHONE)),
        # A few numbers are normal in news comments; many are a price list.
        log1p(min(normed.count(textmod.NUMBER), 5)), log1p(normed.count("!")),
        caps, digits, log1p(normed.count(" ") + 1 if normed else 0) / 5.0,
    )


