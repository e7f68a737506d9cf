"""alt-profanity-check's linear model, read once at training time and carried inside our artifact.

``alt-profanity-check`` (MIT) ships a word TF-IDF vectorizer and five calibrated linear SVMs
trained on about 200,000 labelled comments (Wikipedia talk pages and tweets): far more abuse than
the public corpora we train on, with a vocabulary that transfers to news comments. Its own API
costs about 2 ms a comment (scikit-learn's analyzer and five calibrators); the same arithmetic on
a dict of its words costs a few microseconds, so the abuse head takes its score as one input
(``model/pipeline.py``) without giving up the intake's speed.

Version coupling: ``from_package`` reads the installed package's ``data/*.joblib`` files
(pinned in ``requirements-dev.txt``), and the artifact stores the extracted weights, so serving
never imports the package. A different version of it changes the prior only when the model is
retrained, and the card records which version it was.
"""

from __future__ import annotations

import re
from importlib import metadata

import numpy as np

PACKAGE = "alt-profanity-check"
# scikit-learn's default token pattern, which the package's vectorizer was fitted with.
_TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")


class ProfanityPrior:
    """word -> (idf, weight): the package's TF-IDF (l2-normalised, raw counts) and the mean of
    its SVMs' weights. ``score`` gives the mean SVM's raw margin, which ranks comments as the
    package's averaged probabilities do."""

    def __init__(self, weights: dict[str, tuple[float, float]], intercept: float, version: str):
        self.weights = weights
        self.intercept = intercept
        self.version = version

    @classmethod
    def from_package(cls) -> "ProfanityPrior":
        """Read the installed package's vectorizer and model (training time only)."""
        from profanity_check import profanity_check as pc

        svms = [c.estimator for c in pc.model.calibrated_classifiers_]
        coef = np.mean([s.coef_.ravel() for s in svms], axis=0)
        intercept = float(np.mean([s.intercept_[0] for s in svms]))
        idf = pc.vectorizer.idf_
        weights = {word: (float(idf[col]), float(coef[col]))
                   for word, col in pc.vectorizer.vocabulary_.items()}
        return cls(weights, intercept, metadata.version(PACKAGE))

    def without(self, words) -> "ProfanityPrior":
        """The same prior with ``words`` weighing nothing (they still count in the norm)."""
        drop = set(words)
        weights = {w: (idf, 0.0 if w in drop else c) for w, (idf, c) in self.weights.items()}
        return ProfanityPrior(weights, self.intercept, self.version)

    def score_one(self, text: str) -> float:
        counts: dict[str, int] = {}
        for token in _TOKEN_RE.findall(text.lower()):
            if token in self.weights:
                counts[token] = counts.get(token, 0) + 1
        if not counts:
            return self.intercept
        dot = norm = 0.0
        for token, n in counts.items():
            idf, w = self.weights[token]
            v = n * idf
            dot += v * w
            norm += v * v
        return dot / norm ** 0.5 + self.intercept

    def score(self, texts) -> np.ndarray:
        return np.fromiter((self.score_one(t) for t in texts), dtype=np.float64)
