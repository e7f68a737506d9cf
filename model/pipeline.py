"""The classifier: one shared feature step, two calibrated linear heads (spam, abuse).

``TwoHeadModel`` composes a :class:`model.features.CommentVectorizer` with one logistic regression
per label and a Platt (sigmoid) calibration of each regression's score, fitted on out-of-fold
scores so that a probability of 0.9 means about nine in ten such comments carry the label.

Linear heads because they are fast (a dot product over the few hundred features a comment has),
small, transfer across corpora better than deep trees on sparse n-grams, and can say which words
pushed a score up, which moderators see.
"""

from __future__ import annotations

import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.linear_model import LogisticRegression

from model import identity
from model import text as textmod
from model.features import SIGNAL_NAMES, CommentVectorizer
from model.profanity_prior import ProfanityPrior
from model.span_lexicon import SpanLexicon

LABELS = ("spam", "abuse")
# Chosen on the evaluation splits (model/report): spam transfers better across videos without
# n-grams seen only once (mostly one commenter's channel names and typos), abuse needs them.
DEFAULT_C = {"spam": 8.0, "abuse": 1.0}
DEFAULT_MIN_DF = {"spam": 3, "abuse": 1}

# Placeholder tokens, and the signals that count the same things, in the words a moderator reads:
# the n-gram "_url_" and the signal "links" are one piece of evidence, "a link".
READABLE_PLACEHOLDERS = {
    textmod.URL: "a link", textmod.SHORT_URL: "a shortened link",
    textmod.EMAIL: "an e-mail address", textmod.PHONE: "a phone number",
    textmod.MENTION: "an @mention", textmod.NUMBER: "a number",
}


def build_vectorizer(**params) -> CommentVectorizer:
    return CommentVectorizer(**params)


class TwoHeadModel(BaseEstimator):
    """Raw texts -> calibrated P(spam), P(abuse).

    Parameters
    ----------
    vectorizer : CommentVectorizer or None
        The feature step (cloned in ``fit``); None means the defaults.
    C : dict label -> float
        Inverse L2 regularisation strength of each head.
    min_df : dict label -> int
        A head only uses hashed columns that occurred in at least this many training texts.

    Attributes
    ----------
    vectorizer_ : fitted CommentVectorizer
    coef_ : ndarray of shape (n_columns, 2), float32
        Weights of each head over the vectorizer's columns (hashed n-grams, then signals).
    intercept_ : ndarray of shape (2,)
    calibration_ : ndarray of shape (2, 2)
        Per head, (slope, offset) of the sigmoid that maps a raw score to a probability.
    lexicon_ : SpanLexicon or None
        Word toxicity learnt from annotated spans (``fit(spans=...)``), None without spans.
    extra_ : ndarray of shape (2, 2)
        Per head, the weights of the two outside inputs in the sigmoid: the ``prior``'s score and
        the lexicon's highest word score. Only the abuse head uses them (zeros for spam).

    The abuse head's probability is a logistic regression, fitted on out-of-fold scores, of
    three inputs: its own linear score, ``prior`` (alt-profanity-check's model, trained on far
    more abuse than ours) and the lexicon's maximum. Each sees something the others miss: our
    n-grams know news comments, the prior knows 200,000 more, the maximum is not diluted by a
    long comment's civil words.
    """

    def __init__(self, vectorizer: CommentVectorizer | None = None, C: dict | None = None,
                 min_df: dict | None = None, prior: ProfanityPrior | None = None):
        self.vectorizer = vectorizer
        self.C = C
        self.min_df = min_df
        self.prior = prior

    # -- training ---------------------------------------------------------------------------
    def fit(self, texts, labels, weights=None, folds=None, progress=None, spans=None, site=None,
            jobs: int = 1):
        """Fit both heads.

        labels : array of shape (n, 2), 1/0 per head, -1 where a source has no opinion.
        weights : array of shape (n, 2) of sample weights per head (default 1).
        folds : array of shape (n,) of fold numbers for the out-of-fold calibration scores
            (-1: never held out). Default: five folds by position.
        progress : callable(str) or None, told about each step.
        spans : sequence of (start, end) ranges per text, or None where not annotated: the
            toxic words of annotated toxic comments, for the lexicon.
        site : bool array of shape (n,), or None: which rows are this site's moderators'
            decisions. Once there are enough of them, they decide how much the abuse head's
            outside inputs count (``_site_led``).
        jobs : how many of the heads' regressions (per label, one per fold and the final one)
            run at once, in threads: liblinear releases the GIL, and they were four fifths of
            a retraining's time. The model is the same for any number.
        """
        texts = list(texts)
        labels = np.asarray(labels)
        n = len(texts)
        weights = np.ones((n, 2)) if weights is None else np.asarray(weights, dtype=float)
        folds = np.arange(n) % 5 if folds is None else np.asarray(folds)
        say = progress or (lambda _msg: None)
        C = {**DEFAULT_C, **(self.C or {})}
        min_df = {**DEFAULT_MIN_DF, **(self.min_df or {})}

        spans = [None] * n if spans is None else list(spans)
        annotated = [i for i in range(n) if spans[i] and labels[i, 1] == 1]
        self.lexicon_ = (SpanLexicon().fit(((texts[i], spans[i]) for i in annotated),
                                           exclude=identity.TERM_SET) if annotated else None)
        self.extra_ = np.zeros((2, 2))
        say("features")
        self.vectorizer_ = clone(self.vectorizer or build_vectorizer()).fit(texts)
        X = self.vectorizer_.transform(texts)
        n_cols = X.shape[1]
        self.coef_ = np.zeros((n_cols, 2), dtype=np.float32)
        self.intercept_ = np.zeros(2)
        self.calibration_ = np.zeros((2, 2))
        self.oof_scores_ = {}
        prepared = {}
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for k, label in enumerate(LABELS):
                rows = np.flatnonzero(labels[:, k] >= 0)
                if len(set(labels[rows, k])) < 2:
                    continue
                Xk, yk, wk, fk = X[rows], labels[rows, k], weights[rows, k], folds[rows]
                if min_df[label] > 1:
                    keep = np.ones(n_cols)
                    keep[:self.vectorizer_.n_features][self.vectorizer_.df_ < min_df[label]] = 0.0
                    Xk = Xk @ sp.diags(keep, format="csr")
                fits = {f: pool.submit(_fit_head, C[label], Xk, yk, wk, fk != f)
                        for f in sorted(set(fk[fk >= 0]))}
                fits[None] = pool.submit(_fit_head, C[label], Xk, yk, wk, None)
                prepared[label] = (rows, Xk, yk, wk, fk, fits)
            for k, label in enumerate(LABELS):
                if label not in prepared:
                    # No examples of this label (a spam-only evaluation fit): the head says "no".
                    self.calibration_[k] = 0.0, -30.0
                    self.oof_scores_[label] = (np.zeros(0, dtype=int), np.zeros(0))
                    continue
                rows, Xk, yk, wk, fk, fits = prepared.pop(label)
                final = fits.pop(None)
                oof = np.full(rows.size, np.nan)
                for f, fitted in fits.items():
                    say(f"{label}: fold {f}")
                    oof[fk == f] = fitted.result().decision_function(Xk[fk == f])
                say(f"{label}: final fit")
                head = final.result()
                self.coef_[:, k] = head.coef_.ravel()
                self.intercept_[k] = head.intercept_[0]
                self._calibrate(k, label, rows, oof, yk, wk, texts, spans, labels, folds, site)
        return self

    def _calibrate(self, k, label, rows, oof, yk, wk, texts, spans, labels, folds, site):
        """The label's calibration (and the abuse head's stacking) on its out-of-fold scores."""
        held = ~np.isnan(oof)
        if not held.any():
            raise ValueError(f"{label}: no fold held out any example to calibrate on")
        inputs = oof[held, None]
        if label == "abuse" and self._has_extra():
            extra = self._extra_inputs([texts[i] for i in rows[held]],
                                       self._oof_lexicon_scores(texts, spans, labels, folds,
                                                                rows[held]))
            inputs = np.hstack([inputs, extra])
        stack_weights = wk[held]
        if inputs.shape[1] > 1 and site is not None:
            stack_weights = _site_led(stack_weights, site[rows][held], yk[held])
        platt = LogisticRegression(C=1e4).fit(inputs, yk[held], sample_weight=stack_weights)
        self.calibration_[k] = platt.coef_[0, 0], platt.intercept_[0]
        if inputs.shape[1] > 1:
            self.extra_[k] = platt.coef_[0, 1:]
        self.oof_scores_[label] = (rows[held], platt.predict_proba(inputs)[:, 1])

    # -- the abuse head's outside inputs ---------------------------------------------------------
    def _has_extra(self) -> bool:
        return self.prior is not None or getattr(self, "lexicon_", None) is not None

    def _extra_inputs(self, texts: list[str], lexicon_max: np.ndarray | None = None) -> np.ndarray:
        """(n, 2): the prior's score and the lexicon's maximum (0 for whichever is missing)."""
        out = np.zeros((len(texts), 2))
        if self.prior is not None:
            out[:, 0] = self.prior.score(texts)
        if lexicon_max is not None:
            out[:, 1] = lexicon_max
        elif getattr(self, "lexicon_", None) is not None:
            out[:, 1] = self.lexicon_.max_score(texts)
        return out

    def _oof_lexicon_scores(self, texts, spans, labels, folds, rows) -> np.ndarray | None:
        """The lexicon's maximum for ``rows``, each from a lexicon fitted without its fold, so
        that the calibration does not learn to trust words the lexicon memorised."""
        if self.lexicon_ is None:
            return None
        out = np.zeros(len(rows))
        for f in sorted(set(folds[rows]) - {-1}):
            fit_on = [(texts[i], spans[i]) for i in range(len(texts))
                      if spans[i] and labels[i, 1] == 1 and folds[i] != f]
            at = folds[rows] == f
            out[at] = SpanLexicon().fit(fit_on, exclude=identity.TERM_SET).max_score(
                [texts[i] for i in rows[at]])
        unfolded = folds[rows] == -1
        out[unfolded] = self.lexicon_.max_score([texts[i] for i in rows[unfolded]])
        return out

    # -- scoring ----------------------------------------------------------------------------
    def decision_function(self, texts) -> np.ndarray:
        """Raw linear scores, shape (n, 2)."""
        texts = list(texts)
        out = np.empty((len(texts), 2))
        vec = self.vectorizer_
        # Chunk by chunk, straight from the vectorizer's entries: no matrix is built and no
        # chunk's arrays are concatenated with the next one's.
        for a, b in vec.chunks(texts):
            rows, cols, vals, signals = vec.weighted_chunk(texts[a:b])
            part = signals @ self.coef_[vec.n_features:] + self.intercept_
            if b - a == 1:              # one comment (the form POST): a single dot product
                part[0] += vals @ self.coef_[cols]
            else:
                for k in range(2):
                    part[:, k] += np.bincount(rows, weights=vals * self.coef_[cols, k],
                                              minlength=b - a)
            out[a:b] = part
        return out

    def predict_proba(self, texts) -> np.ndarray:
        """Calibrated probabilities, shape (n, 2): column 0 spam, column 1 abuse."""
        texts = list(texts)
        # Both heads' sigmoids at once.
        slope, offset = self.calibration_[:, 0], self.calibration_[:, 1]
        z = slope * self.decision_function(texts) + offset
        if getattr(self, "extra_", None) is not None and self.extra_.any():
            z += self._extra_inputs(texts) @ self.extra_.T
        return 1.0 / (1.0 + np.exp(-z))

    # -- explanation ------------------------------------------------------------------------
    def explain(self, text: str, top: int = 5) -> dict[str, list[dict]]:
        """Per label, up to ``top`` pieces of evidence that raised its score most:
        ``{"term", "weight", "spans"}``, ``spans`` being the ``[start, end)`` character ranges
        of ``text`` the term stands at (empty for a signal such as "a link", which has none).

        Weights are in the head's log-odds. Each n-gram's contribution (its TF-IDF value times
        the head's weight) is credited to the word it lies in, or to the two-word phrase of a
        word bigram, so a moderator sees "ѕcam" as the word the comment contained. Terms made
        only of function words ("a", "are a") and bare symbols are left out: they move a score
        a little in every comment and explain none. For abuse, the words annotators of news
        comments mark as toxic (``SpanLexicon``) come first, weighted as the head weighs them.
        """
        vec = self.vectorizer_
        normed = vec.normalize_many([text])
        words = normed[0].split(" ") if normed[0] else []
        hashed = vec.hash_normalized(normed, with_terms=True)
        _, cols, vals, signals = vec.weighted_entries([text])
        value = dict(zip(cols.tolist(), vals.tolist()))
        occurrences = np.bincount(hashed.col, minlength=vec.n_features)
        located = _locate_words(text)
        extra = getattr(self, "extra_", None)
        out = {}
        for k, label in enumerate(LABELS):
            slope = float(self.calibration_[k, 0])
            credit: dict[str, float] = defaultdict(float)
            for col, term, is_bigram in zip(hashed.col.tolist(), hashed.term.tolist(),
                                            hashed.bigram.tolist()):
                share = value[col] * float(self.coef_[col, k]) / occurrences[col]
                credit[" ".join(words[term:term + 2]) if is_bigram else words[term]] += share * slope
            evidence: dict[str, dict] = {}
            for name, weight in credit.items():
                if weight > 0 and _telling(name):
                    readable = " ".join(READABLE_PLACEHOLDERS.get(w, w) for w in name.split(" "))
                    evidence[readable] = {"term": readable, "weight": weight,
                                          "spans": _spans_of(name.split(" "), located)}
            lexicon = getattr(self, "lexicon_", None)
            if label == "abuse" and lexicon is not None and extra is not None and extra[k, 1] > 0:
                for word, a, b, score in lexicon.word_scores(text):
                    if score < lexicon.threshold:
                        continue
                    entry = evidence.setdefault(word, {"term": word, "weight": 0.0, "spans": []})
                    entry["weight"] += float(extra[k, 1]) * score
                    if [a, b] not in entry["spans"]:
                        entry["spans"].append([a, b])
            for j, sname in enumerate(SIGNAL_NAMES):
                w = signals[0, j] * float(self.coef_[vec.n_features + j, k]) * slope
                if w > 0 and sname in READABLE_SIGNALS:
                    name = READABLE_SIGNALS[sname]
                    evidence.setdefault(name, {"term": name, "weight": 0.0, "spans": []})
                    evidence[name]["weight"] += w
            # Too small to have decided anything: every comment has a few of these.
            evidence = {k: e for k, e in evidence.items() if e["weight"] >= MIN_EVIDENCE}
            ranked = sorted(evidence.values(), key=lambda e: -e["weight"])[:top]
            out[label] = [{**e, "weight": round(float(e["weight"]), 4),
                           "spans": sorted(e["spans"])} for e in ranked]
        return out


# Signals a moderator can check, named in plain words. Length and the share of digits say
# something to the model but nothing a moderator could point at, so they are never evidence.
READABLE_SIGNALS = {
    "links": "a link", "short_links": "a shortened link", "emails": "an e-mail address",
    "phones": "a phone number", "exclamations": "exclamation marks",
    "capitals_share": "written in capitals",
}
MIN_EVIDENCE = 0.5      # log-odds: below it, a term moved the score too little to show
_RAW_TOKEN_RE = re.compile(r"\S+")
_SYMBOLS = set("!?$€£")


def _telling(term: str) -> bool:
    """A term with at least one word that is neither a function word nor a bare symbol."""
    return any(w not in ENGLISH_STOP_WORDS and not set(w) <= _SYMBOLS
               and (w.startswith("_") or len(w) > 1) for w in term.split(" "))


def _locate_words(text: str) -> list[tuple[list[str], int, int]]:
    """Each whitespace-separated piece of ``text`` with its normalised words and its character
    range (trimmed of punctuation around it): how normalised evidence is found in the raw text."""
    out = []
    for match in _RAW_TOKEN_RE.finditer(text):
        piece = match.group()
        lead = len(piece) - len(piece.lstrip("\"'([{<*_"))
        trail = len(piece) - len(piece.rstrip("\"'.,;:!?)]}>*_"))
        start, end = match.start() + lead, match.end() - trail
        if end <= start:
            start, end = match.start(), match.end()
        out.append((textmod.normalize(piece).split(), start, end))
    return out


def _spans_of(term_words: list[str], located) -> list[list[int]]:
    """Where the raw text says ``term_words`` (one word, or a phrase over consecutive pieces)."""
    spans = []
    n = len(term_words)
    for i, (words, start, end) in enumerate(located):
        if n == 1 and term_words[0] in words:
            spans.append([start, end])
        elif n == 2:
            if " ".join(term_words) in " ".join(words):
                spans.append([start, end])
            elif i + 1 < len(located) and words and located[i + 1][0] \
                    and words[-1] == term_words[0] and located[i + 1][0][0] == term_words[1]:
                spans.append([start, located[i + 1][2]])
    return spans


# How many of the site's decisions (of both kinds) it takes before they lead the abuse head's
# calibration, and the share of its weight they then carry.
SITE_LEADS_AFTER = 20
SITE_SHARE = 0.8


def _site_led(weights: np.ndarray, site: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Calibration weights in which the site's decisions carry SITE_SHARE, once there are
    SITE_LEADS_AFTER of them with both labels.

    The prior and the lexicon judge words, not this site: where its moderators keep approving
    what they call abuse (a sports site's banter, a quoted slur in a story about it), only the
    calibration can learn to trust them less, and a calibration fitted mostly on the corpora
    never would. The decisions' own share of the training weight stays as ``model/train.py``
    caps it; this is only about how the three inputs are weighed against each other."""
    if site.sum() < SITE_LEADS_AFTER or len(set(y[site].tolist())) < 2:
        return weights
    out = weights.astype(float).copy()
    corpus_total, site_total = out[~site].sum(), out[site].sum()
    if corpus_total == 0 or site_total == 0:
        return out
    out[site] *= SITE_SHARE / site_total
    out[~site] *= (1 - SITE_SHARE) / corpus_total
    return out * len(out)


def _fit_head(C: float, X, y, w, train) -> LogisticRegression:
    """One head's regression on the rows ``train`` selects (all of them when None); the rows are
    taken here, in the worker thread, so only the fits running hold a copy."""
    if train is None:
        return _head(C).fit(X, y, sample_weight=w)
    return _head(C).fit(X[train], y[train], sample_weight=w[train])


def _head(C: float) -> LogisticRegression:
    # liblinear: exact, fast on sparse text of this size, deterministic.
    return LogisticRegression(C=C, solver="liblinear", max_iter=1000)
