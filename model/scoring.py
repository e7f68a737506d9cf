"""The scoring API used by the service and the scripts: ``from model import Scorer``."""

from __future__ import annotations

from pathlib import Path

from model import artifact
from model.pipeline import LABELS


class Scorer:
    """A verified, loaded model and its card.

    >>> scorer = Scorer.load()                    # the shipped current version
    >>> scorer.score("Great reporting, thanks")   # {"spam": 0.01, "abuse": 0.02}
    """

    def __init__(self, model, card: dict, path: Path):
        self.model = model
        self.card = card
        self.path = Path(path)

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Scorer":
        """Load an artifact: a ``.joblib`` file, an artifact directory (its CURRENT version), or
        None for the shipped current version. Raises ``ArtifactError`` when it cannot be trusted."""
        resolved = artifact.resolve(path)
        model, card = artifact.load(resolved)
        return cls(model, card, resolved)

    @property
    def version(self) -> str:
        """The artifact's name, e.g. ``moderation-20261124-163000``; stored with each comment."""
        return self.path.stem

    @property
    def thresholds(self) -> dict[str, dict[str, float]]:
        """Suggested ``hold`` and ``reject`` probabilities per label, from the card."""
        return self.card["thresholds"]

    def score(self, text: str) -> dict[str, float]:
        """``{"spam": p, "abuse": p}`` for one comment."""
        return self.score_many([text])[0]

    def score_many(self, texts) -> list[dict[str, float]]:
        """Scores for many comments, in order; much faster per comment than ``score``."""
        texts = list(texts)
        if not texts:
            return []
        proba = self.model.predict_proba(texts)
        return [dict(zip(LABELS, map(float, row))) for row in proba]

    def explain(self, text: str, top: int = 5) -> dict[str, list[dict]]:
        """Per label, up to ``top`` ``{"term", "weight"}`` that pushed the score up most."""
        return self.model.explain(text, top=top)
