"""The classifier behind a small holder, so a later change can swap it without a restart.

Views call `current()` for each request instead of keeping a reference, and `score()` turns a
failing model into `None` (logged and counted), which the policy holds for a human: a broken
artifact must not crash intake or publish unvetted text.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from flask import Flask, current_app

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scored:
    scores: dict[str, float] | None  # None: the classifier was unavailable or failed
    model_version: str | None


class ScorerHolder:
    """Holds the loaded `model.Scorer` (or the error that stopped it loading)."""

    def __init__(self, scorer=None, error: str | None = None) -> None:
        self._lock = threading.Lock()
        self._scorer = scorer
        self.error = error
        self.failures = 0  # scoring calls that raised since start; shown by /readyz

    @classmethod
    def load(cls, path: str | None) -> "ScorerHolder":
        # Imported here so `service` can be imported (and its config documented) without the
        # model package's heavy dependencies being loaded first.
        from model import ArtifactError, Scorer

        try:
            return cls(Scorer.load(path=path))
        except ArtifactError as exc:
            log.error("classifier not loaded, every comment will be held: %s", exc)
            return cls(error=str(exc))

    @property
    def scorer(self):
        return self._scorer

    def swap(self, scorer) -> None:
        with self._lock:
            self._scorer, self.error = scorer, None

    def score(self, text: str) -> Scored:
        return self.score_many([text])[0]

    def score_many(self, texts: list[str]) -> list[Scored]:
        """Scores for several comments by the same model (several times cheaper per comment
        than one at a time: see service/batching.py)."""
        scorer = self._scorer
        if scorer is None:
            return [Scored(None, None)] * len(texts)
        try:
            raw = scorer.score_many(texts)
            scored = [Scored({"spam": float(r["spam"]), "abuse": float(r["abuse"])},
                             scorer.version) for r in raw]
        except Exception:  # any failure of the model degrades to "hold for a human"
            with self._lock:
                self.failures += 1
            log.exception("scoring failed; the comments will be held for review")
            return [Scored(None, scorer.version)] * len(texts)
        return scored


def init_app(app: Flask, holder: ScorerHolder | None = None) -> None:
    app.extensions["scorer"] = holder or ScorerHolder.load(app.config["MODERATION_MODEL_PATH"])


def current() -> ScorerHolder:
    return current_app.extensions["scorer"]
