"""The scorer holder: one loaded model per app, swappable, and a failing model degrades."""

from __future__ import annotations

import logging

from service.classifier.scoring import ScorerHolder


class ExplodingScorer:
    """Stands in for a model whose artifact loaded but whose scoring breaks at run time."""

    version = "broken-1"
    thresholds = {"spam": {"hold": 0.5, "reject": 0.9}, "abuse": {"hold": 0.5, "reject": 0.9}}

    def score(self, text):
        raise RuntimeError("feature step failed")


def test_holder_scores_with_the_real_model(scorer):
    scored = ScorerHolder(scorer).score("Glad the bridge is open again.")
    assert scored.model_version == scorer.version
    assert set(scored.scores) == {"spam", "abuse"}
    assert all(0.0 <= p <= 1.0 for p in scored.scores.values())


def test_a_failing_model_degrades_to_no_scores_and_is_counted(caplog):
    holder = ScorerHolder(ExplodingScorer())
    with caplog.at_level(logging.ERROR, logger="service.classifier.scoring"):
        scored = holder.score("anything")
    assert scored.scores is None and scored.model_version == "broken-1"
    assert holder.failures == 1
    assert "scoring failed" in caplog.text


def test_swap_replaces_the_model_and_clears_the_load_error(scorer):
    holder = ScorerHolder(error="model artifact missing.joblib does not exist")
    assert holder.score("x").scores is None
    holder.swap(scorer)
    assert holder.error is None and holder.score("x").model_version == scorer.version


def test_load_error_is_kept_for_readyz(tmp_path):
    holder = ScorerHolder.load(str(tmp_path / "nothing.joblib"))
    assert holder.scorer is None and "does not exist" in holder.error
