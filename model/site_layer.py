"""The site layer: a small model of this site's moderators, on top of the general model.

The general model learns from public corpora in minutes; a site's own idea of spam and abuse
arrives a decision at a time. The layer learns it in seconds: per label, a logistic regression
on the comment's words and character n-grams, hashed (``HashingVectorizer``: nothing is fitted,
so 100 decisions give features as good as 100,000 would), with the general model's own logit as
a fixed offset. The layer adds the evidence of the site's words to the general model's score;
it cannot dilute that score, and with few decisions its answer is the general model's.

Chosen with ``bench/learning_curve.py`` on ucc-dev (Globe and Mail comments, 1,000 of one half
decided): a layer that re-learnt the general score's weight gained +0.028 ROC AUC on the other
half but lost 0.048 on the Fox News held-out articles, because it diluted the general model on
comments unlike the site's; with the score as an offset and C = 0.5, the gain on the site stays
close and the Fox loss stays inside the gate's 0.03. Re-learning the abuse head's stacking
weights (prior, lexicon) from the decisions overfitted and lost to the general model.

Beside the words, the layer sees a few context tokens (``model.context``): whether the author
filled the form's website field, that website's domain and the domains the comment links to. The
normaliser hides all three from the general model; a site's spam gives itself away by them.

For a language the general model has not learnt there is no general score: the layer is then
the site's own model of that language, from the same n-grams (they work across languages) and,
where a word list of the language ships, the list's columns (``features``,
``model.language_lexicon``): 1,000 decisions see most abusive words once or never, the list
knows them before the first.

The layer is stored as plain arrays (``to_bytes``: ``numpy.savez``, read back with
``allow_pickle=False``), so loading one from the shared database executes nothing.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from scipy.optimize import minimize

from model.context import context_tokens
from model import language_lexicon
from model.pipeline import LABELS
from model.text import normalize

N_FEATURES = 2 ** 18
# Regularisation: on top of the general model, strong (0.3 gained less on ucc-dev, 1 lost more
# on Fox); alone, for a language the general model has not learnt, weaker (2-8 beat 0.5 on
# ToLD-Br).
C = 0.5
C_ALONE = 2.0
# How far the site's decisions may move the general model, chosen per label by the site's own
# decisions (model.site_update, while they are few enough to fit each choice in seconds): a
# general model that ranks this site's comments well is kept close (C = 0.5); one that knows
# nothing of the site's kind of spam lets the decisions speak (2, 8), or is left out (ALONE).
# Measured on YouTube spam with an uninformative general score, 100 decisions: ROC AUC 0.816,
# 0.917, 0.954 and 0.982 in that order; on ucc-dev abuse the guard keeps 0.5.
ALONE = "alone"
STRENGTHS = (C, 2.0, 8.0, ALONE)
# Below this many decisions of each class, a label has nothing the layer could learn from.
MIN_EACH = 5
# A language without a general model has no card of thresholds. Its own layer holds a comment
# when the site's moderators would more likely remove it than keep it, and rejects nothing by
# itself: a model learnt from a few hundred decisions sends comments to a person, not away.
HOLD_ALONE = 0.5
# Format 2 added the context tokens' block of columns after the words' and characters', and, for
# a language whose word list ships, the list's columns after those. A format-1 layer has no
# weight there and its columns mean what they did, so it still loads and scores as it did; a
# host still on format 1 refuses a format-2 layer when loading it (logged, and the layer serving
# before goes on serving) instead of failing on every comment.
FORMAT = 2
READABLE_FORMATS = (1, 2)

_WORDS = HashingVectorizer(analyzer="word", ngram_range=(1, 2), n_features=N_FEATURES,
                           alternate_sign=False, norm="l2", token_pattern=r"(?u)\b\w+\b",
                           lowercase=False)
_CHARS = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=N_FEATURES,
                           alternate_sign=False, norm="l2", lowercase=False)
# Context tokens are present or not, whatever the text's length: counted 0/1 and not normalised,
# so a filled website field weighs the same under a long comment as under a short one.
_CONTEXT = HashingVectorizer(analyzer="word", token_pattern=r"\S+", n_features=N_FEATURES,
                             alternate_sign=False, binary=True, norm=None, lowercase=False)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def text_features(texts: list[str], websites: list[str] | None = None) -> sp.csr_matrix:
    """Hashed words (1-2) and character n-grams (2-5) of the normalised text, then the context
    tokens of the raw text and the author's website (``websites``: one per text, ``""`` for
    none; None: none given): the same code for training and scoring. The context tokens have a
    block of their own, last, rather than joining the words: no bigram spans a comment's last
    word and its website, and a format-1 layer's columns keep their meaning."""
    norm = [normalize(t) for t in texts]
    if websites is None:
        websites = [""] * len(texts)
    elif len(websites) != len(texts):
        raise ValueError(f"{len(websites)} websites for {len(texts)} texts")
    context = [" ".join(context_tokens(t, w)) for t, w in zip(texts, websites)]
    return sp.hstack([_WORDS.transform(norm), _CHARS.transform(norm), _CONTEXT.transform(context)],
                     format="csr")


def features(texts: list[str], language: str,
             websites: list[str] | None = None) -> sp.csr_matrix:
    """``text_features`` (with the authors' ``websites``), and after them a language's abuse-list
    columns when one ships (``model.language_lexicon``; English has none: its layer sits on the
    general model). A layer stored before the columns existed has no weight on them and scores
    as it did."""
    X = text_features(texts, websites)
    extra = language_lexicon.columns(texts, language)
    return X if extra is None else sp.hstack([X, extra], format="csr")


def _fit_with_offset(X: sp.csr_matrix, y: np.ndarray, offset: np.ndarray,
                     weights: np.ndarray | None, C: float) -> tuple[np.ndarray, np.ndarray, float]:
    """L2-regularised logistic regression with a fixed per-row offset (scikit-learn has none),
    over the columns that occur in the decisions only, the others staying 0.

    Newton-CG with Hessian-vector products: on 5,000 decisions (100,000 columns) it converged in
    0.5 s where L-BFGS-B took 3.3 s, most of it L-BFGS-B's own bookkeeping per iteration, and
    to a lower loss."""
    columns = np.unique(X.indices)
    Xa = X[:, columns].tocsr()
    XaT = Xa.T.tocsr()
    sign = 2.0 * y - 1.0
    w = np.ones(y.size) if weights is None else np.asarray(weights, dtype=float)

    def loss(theta):
        margin = -sign * (offset + Xa @ theta[:-1] + theta[-1])
        grad_rows = -sign * w / (1.0 + np.exp(-margin))
        value = float(w @ np.logaddexp(0.0, margin)) + 0.5 * theta[:-1] @ theta[:-1] / C
        return value, np.concatenate([XaT @ grad_rows + theta[:-1] / C, [grad_rows.sum()]])

    def hessian_times(theta, v):
        p = 1.0 / (1.0 + np.exp(-(offset + Xa @ theta[:-1] + theta[-1])))
        u = w * p * (1.0 - p) * (Xa @ v[:-1] + v[-1])
        return np.concatenate([XaT @ u + v[:-1] / C, [u.sum()]])

    found = minimize(loss, np.zeros(columns.size + 1), jac=True, hessp=hessian_times,
                     method="Newton-CG", options={"maxiter": 100})
    return columns.astype(np.int64), found.x[:-1], float(found.x[-1])


@dataclass
class LabelLayer:
    """One label's fitted regression, kept sparse: only n-grams seen in decisions have weights."""

    index: np.ndarray          # int64 column numbers of the non-zero text weights
    weight: np.ndarray         # float32, same length
    base_weight: float         # on logit(general score): 1 (an offset), or 0 without one
    intercept: float

    @classmethod
    def fit(cls, X: sp.csr_matrix, y: np.ndarray, weights: np.ndarray | None = None,
            base: np.ndarray | None = None, strength: float | str = C) -> "LabelLayer":
        """``strength``: C on top of ``base``, or ALONE (also what a missing ``base`` means):
        then the same regression with a zero offset and C_ALONE (liblinear took seconds per fit
        here, on 2 x 2**18 columns of which a few thousand occur)."""
        on_base = base is not None and strength != ALONE
        offset = _logit(base) if on_base else np.zeros(y.size)
        index, coef, intercept = _fit_with_offset(X, y, offset, weights,
                                                  strength if on_base else C_ALONE)
        keep = coef != 0
        return cls(index[keep], coef[keep].astype(np.float32), 1.0 if on_base else 0.0,
                   intercept)

    def decision(self, X_text: sp.csr_matrix, base: np.ndarray | None) -> np.ndarray:
        z = np.asarray(X_text[:, self.index] @ self.weight, dtype=float).ravel() + self.intercept
        if base is not None and self.base_weight:
            z += self.base_weight * _logit(base)
        return z


@dataclass
class SiteLayer:
    """Per label, a ``LabelLayer`` or nothing (that label keeps the general model's score)."""

    language: str = "en"
    labels: dict[str, LabelLayer] = field(default_factory=dict)
    card: dict = field(default_factory=dict)

    @property
    def uses_general_model(self) -> bool:
        return self.language == "en"

    def adjust(self, texts: list[str], base: np.ndarray | None,
               X: sp.csr_matrix | None = None,
               websites: list[str] | None = None) -> np.ndarray:
        """Probabilities (n, 2), spam then abuse: the layer's where it has a label, the general
        model's (``base``) elsewhere, and 0 where neither has one. ``X``: the texts'
        ``features``, when the caller already has them; else ``websites``, the authors'
        website fields, go into them."""
        n = len(texts)
        out = np.array(base, dtype=float) if base is not None else np.zeros((n, len(LABELS)))
        if not self.labels or not n:
            return out
        X = features(texts, self.language, websites) if X is None else X
        for k, label in enumerate(LABELS):
            layer = self.labels.get(label)
            if layer is None:
                continue
            general = out[:, k] if (base is not None and self.uses_general_model) else None
            out[:, k] = 1.0 / (1.0 + np.exp(-layer.decision(X, general)))
        return out

    def thresholds(self) -> dict:
        """For a layer without a general model: a card's thresholds, per label it learnt (a
        label it did not learn scores 0 and holds nothing)."""
        return {label: {"hold": HOLD_ALONE, "reject": 1.0} for label in LABELS}

    def keep_only(self, labels) -> "SiteLayer":
        """The same layer with only ``labels`` (those the gate let through)."""
        return SiteLayer(self.language, {k: v for k, v in self.labels.items() if k in labels},
                         self.card)

    # -- storage: arrays and JSON, never a pickle ------------------------------------------------
    def to_bytes(self) -> bytes:
        arrays = {"format": np.array([FORMAT])}
        meta = {"language": self.language, "labels": {}, "card": self.card}
        for label, layer in self.labels.items():
            arrays[f"{label}_index"] = layer.index
            arrays[f"{label}_weight"] = layer.weight
            meta["labels"][label] = {"base_weight": layer.base_weight,
                                     "intercept": layer.intercept}
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "SiteLayer":
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            stored = int(npz["format"][0])
            if stored not in READABLE_FORMATS:
                raise ValueError(f"site layer format {stored} is not one of {READABLE_FORMATS}")
            meta = json.loads(npz["meta"].tobytes().decode("utf-8"))
            labels = {label: LabelLayer(npz[f"{label}_index"], npz[f"{label}_weight"],
                                        m["base_weight"], m["intercept"])
                      for label, m in meta["labels"].items()}
        return cls(meta["language"], labels, meta.get("card") or {})


def fit(texts: list[str], labels: np.ndarray, base: np.ndarray | None, language: str = "en",
        weights: np.ndarray | None = None, X: sp.csr_matrix | None = None,
        strength: float | str = C, websites: list[str] | None = None) -> SiteLayer:
    """A layer for every label with at least ``MIN_EACH`` decisions of each class.

    labels : (n, 2) of 1/0, -1 where a decision says nothing about that label.
    base : (n, 2) general-model probabilities, or None (a language without a general model).
    strength : one of ``STRENGTHS``, for every label.
    websites : the authors' website fields, one per text (with ``X``, already in it).
    """
    labels = np.asarray(labels)
    X_text = features(texts, language, websites) if X is None else X
    out = SiteLayer(language)
    for k, label in enumerate(LABELS):
        rows = np.flatnonzero(labels[:, k] >= 0)
        y = labels[rows, k]
        if min(int((y == 1).sum()), int((y == 0).sum())) < MIN_EACH:
            continue
        general = base[rows, k] if base is not None else None
        out.labels[label] = LabelLayer.fit(X_text[rows], y,
                                           None if weights is None else weights[rows], general,
                                           strength)
    return out
