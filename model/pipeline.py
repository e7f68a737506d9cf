"""The classifier: one shared feature step, two calibrated linear heads (spam, abuse).

``TwoHeadModel`` composes a :class:`model.features.CommentVectorizer` with one logistic regression
per label and a Platt (sigmoid) calibration of each regression's score, fitted on out-of-fold
scores so that a probability of 0.9 means about nine in ten such comments carry the label.

Linear heads because they are fast (a dot product over the few hundred features a comment has),
small, transfer across corpora better than deep trees on sparse n-grams, and can say which words
pushed a score up, which moderators see.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LogisticRegression

from model import text as textmod
from model.features import SIGNAL_NAMES, CommentVectorizer

LABELS = ("spam", "abuse")
# Chosen on the evaluation splits (model/report): spam transfers better across videos without
# n-grams seen only once (mostly one commenter's channel names and typos), abuse needs them.
DEFAULT_C = {"spam": 8.0, "abuse": 1.0}
DEFAULT_MIN_DF = {"spam": 3, "abuse": 1}

READABLE_PLACEHOLDERS = {
    textmod.URL: "(link)", textmod.SHORT_URL: "(shortened link)", textmod.EMAIL: "(e-mail address)",
    textmod.PHONE: "(phone number)", textmod.MENTION: "(@mention)", textmod.NUMBER: "(number)",
}
_READABLE_SIGNALS = {
    "links": "(links)", "short_links": "(shortened links)", "emails": "(e-mail addresses)",
    "phones": "(phone numbers)", "numbers": "(numbers)", "exclamations": "(exclamation marks)",
    "capitals_share": "(capital letters)", "digits_share": "(digits)", "log_length": "(length)",
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
    """

    def __init__(self, vectorizer: CommentVectorizer | None = None, C: dict | None = None,
                 min_df: dict | None = None):
        self.vectorizer = vectorizer
        self.C = C
        self.min_df = min_df

    # -- training ---------------------------------------------------------------------------
    def fit(self, texts, labels, weights=None, folds=None, progress=None):
        """Fit both heads.

        labels : array of shape (n, 2), 1/0 per head, -1 where a source has no opinion.
        weights : array of shape (n, 2) of sample weights per head (default 1).
        folds : array of shape (n,) of fold numbers for the out-of-fold calibration scores
            (-1: never held out). Default: five folds by position.
        progress : callable(str) or None, told about each step.
        """
        texts = list(texts)
        labels = np.asarray(labels)
        n = len(texts)
        weights = np.ones((n, 2)) if weights is None else np.asarray(weights, dtype=float)
        folds = np.arange(n) % 5 if folds is None else np.asarray(folds)
        say = progress or (lambda _msg: None)
        C = {**DEFAULT_C, **(self.C or {})}
        min_df = {**DEFAULT_MIN_DF, **(self.min_df or {})}

        say("features")
        self.vectorizer_ = clone(self.vectorizer or build_vectorizer()).fit(texts)
        X = self.vectorizer_.transform(texts)
        n_cols = X.shape[1]
        self.coef_ = np.zeros((n_cols, 2), dtype=np.float32)
        self.intercept_ = np.zeros(2)
        self.calibration_ = np.zeros((2, 2))
        self.oof_scores_ = {}
        for k, label in enumerate(LABELS):
            rows = np.flatnonzero(labels[:, k] >= 0)
            if len(set(labels[rows, k])) < 2:
                # No examples of this label (a spam-only evaluation fit): the head says "no".
                self.calibration_[k] = 0.0, -30.0
                self.oof_scores_[label] = (rows[:0], np.zeros(0))
                continue
            Xk, yk, wk, fk = X[rows], labels[rows, k], weights[rows, k], folds[rows]
            if min_df[label] > 1:
                keep = np.ones(n_cols)
                keep[:self.vectorizer_.n_features][self.vectorizer_.df_ < min_df[label]] = 0.0
                Xk = Xk @ sp.diags(keep, format="csr")
            oof = np.full(rows.size, np.nan)
            for f in sorted(set(fk[fk >= 0])):
                say(f"{label}: fold {f}")
                train = fk != f
                head = _head(C[label]).fit(Xk[train], yk[train], sample_weight=wk[train])
                oof[fk == f] = head.decision_function(Xk[fk == f])
            say(f"{label}: final fit")
            head = _head(C[label]).fit(Xk, yk, sample_weight=wk)
            self.coef_[:, k] = head.coef_.ravel()
            self.intercept_[k] = head.intercept_[0]
            held = ~np.isnan(oof)
            if not held.any():
                raise ValueError(f"{label}: no fold held out any example to calibrate on")
            platt = LogisticRegression(C=1e4).fit(oof[held, None], yk[held],
                                                  sample_weight=wk[held])
            self.calibration_[k] = platt.coef_[0, 0], platt.intercept_[0]
            self.oof_scores_[label] = (rows[held], self._calibrate(oof[held], k))
        return self

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
        # Both heads' sigmoids at once: the same arithmetic as ``_calibrate``, element by element.
        slope, offset = self.calibration_[:, 0], self.calibration_[:, 1]
        return 1.0 / (1.0 + np.exp(-(slope * self.decision_function(texts) + offset)))

    def _calibrate(self, d: np.ndarray, k: int) -> np.ndarray:
        slope, offset = self.calibration_[k]
        return 1.0 / (1.0 + np.exp(-(slope * d + offset)))

    # -- explanation ------------------------------------------------------------------------
    def explain(self, text: str, top: int = 5) -> dict[str, list[dict]]:
        """Per label, the words and phrases of ``text`` that raised its score most.

        Each n-gram's contribution (its TF-IDF value times the head's weight) is credited to the
        word it lies in (character n-grams and the word itself) or to the two-word phrase (word
        bigrams), so a moderator sees "ѕcam" as the word the comment contained, not "cam ".
        """
        vec = self.vectorizer_
        normed = vec.normalize_many([text])
        words = normed[0].split(" ") if normed[0] else []
        hashed = vec.hash_normalized(normed, with_terms=True)
        _, cols, vals, signals = vec.weighted_entries([text])
        value = dict(zip(cols.tolist(), vals.tolist()))
        occurrences = np.bincount(hashed.col, minlength=vec.n_features)
        out = {}
        for k, label in enumerate(LABELS):
            credit: dict[str, float] = defaultdict(float)
            for col, term, is_bigram in zip(hashed.col.tolist(), hashed.term.tolist(),
                                            hashed.bigram.tolist()):
                share = value[col] * float(self.coef_[col, k]) / occurrences[col]
                name = " ".join(words[term:term + 2]) if is_bigram else words[term]
                credit[" ".join(READABLE_PLACEHOLDERS.get(w, w) for w in name.split(" "))] += share
            for j, sname in enumerate(SIGNAL_NAMES):
                w = signals[0, j] * float(self.coef_[vec.n_features + j, k])
                if w:
                    credit[_READABLE_SIGNALS[sname]] += w
            ranked = sorted(((t, w) for t, w in credit.items() if w > 0), key=lambda tw: -tw[1])
            out[label] = [{"term": t, "weight": round(float(w), 4)} for t, w in ranked[:top]]
        return out


def _head(C: float) -> LogisticRegression:
    # liblinear: exact, fast on sparse text of this size, deterministic.
    return LogisticRegression(C=C, solver="liblinear", max_iter=1000)
