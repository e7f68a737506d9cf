"""Spam and abuse scoring for reader comments. Never imports Flask: the service imports this."""

__all__ = ["ArtifactError", "Scorer"]


def __getattr__(name):
    # Lazy, so that `python -m model.train` and the feature code do not load the scorer's imports.
    if name == "Scorer":
        from model.scoring import Scorer
        return Scorer
    if name == "ArtifactError":
        from model.artifact import ArtifactError
        return ArtifactError
    raise AttributeError(name)
