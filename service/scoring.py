"""The classifier behind a small holder that swaps in a newly promoted model without a restart.

Views call `current()` for each request instead of keeping a reference, and `score()` turns a
failing model into `None` (logged and counted), which the policy holds for a human: a broken
artifact must not crash intake or publish unvetted text.

Hot swap. `model.promote` (or `model.train --promote`) rewrites the artifact directory's
`CURRENT` pointer atomically. Each gunicorn worker has its own holder, and each notices on its
own: `current()` stats the pointer at most every `MODERATION_MODEL_CHECK_SECONDS`, and when it
changed, loads and verifies the named version *first* and only then replaces the reference. A
request that already took the old scorer finishes on it (nothing is mutated in place); the next
one gets the new. A version that fails to load is logged and the old one keeps serving, and the
same pointer is not retried until it changes again or a moderator asks
(`POST /admin/model/reload`, `reload_now()`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from flask import Flask, current_app

from service.model_registry import POINTER, artifacts_dir, names_artifact_file

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scored:
    scores: dict[str, float] | None  # None: the classifier was unavailable or failed
    model_version: str | None
    # The card's thresholds of the very model that scored, so a swap between scoring and
    # deciding cannot pair one version's scores with another's thresholds.
    thresholds: dict | None = None


@dataclass(frozen=True)
class Reload:
    """What a reload did: the version serving afterwards, whether it changed, and why not."""

    version: str | None
    previous: str | None
    changed: bool
    error: str | None = None


def watched_directory(model_path: str | None) -> Path | None:
    """The artifact directory whose `CURRENT` pointer to follow, or None when the setting names
    one artifact file: that version is pinned, and nothing is swapped."""
    return None if names_artifact_file(model_path) else artifacts_dir(model_path)


def pointer_signature(directory: Path) -> tuple[int, int, int] | None:
    """Identity of the pointer file as the file system sees it; the pointer is replaced by a
    rename, so a promotion changes at least the inode. None when there is no pointer."""
    try:
        st = os.stat(directory / POINTER)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class ScorerHolder:
    """Holds the loaded `model.Scorer` (or the error that stopped it loading), and follows the
    artifact directory's pointer when given one (`directory`); without one it never swaps."""

    def __init__(self, scorer=None, error: str | None = None, *, directory: Path | None = None,
                 check_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()  # the reference and the counters
        self._reload_lock = threading.Lock()  # one check or load at a time in this worker
        self._scorer = scorer
        self.error = error
        self.failures = 0  # scoring calls that raised since start; shown by /readyz
        self.reload_error: str | None = None  # why the pointer's version is not the one serving
        self.directory = Path(directory) if directory is not None else None
        self.check_seconds = check_seconds
        self._clock = clock
        self._next_check = clock() + check_seconds
        self._seen = pointer_signature(self.directory) if self.directory is not None else None

    @classmethod
    def load(cls, path: str | None, check_seconds: float = 5.0) -> "ScorerHolder":
        # Imported here so `service` can be imported (and its config documented) without the
        # model package's heavy dependencies being loaded first.
        from model import ArtifactError, Scorer

        # The pointer is looked at before the load: if it moves during the load, the next check
        # sees a signature it has not seen and follows it.
        holder = cls(directory=watched_directory(path), check_seconds=check_seconds)
        try:
            holder.swap(Scorer.load(path=path))
        except ArtifactError as exc:
            log.error("classifier not loaded, every comment will be held: %s", exc)
            holder.error = str(exc)
        return holder

    @property
    def scorer(self):
        return self._scorer

    @property
    def version(self) -> str | None:
        return getattr(self._scorer, "version", None)

    def swap(self, scorer) -> None:
        with self._lock:
            self._scorer, self.error = scorer, None

    def languages(self) -> frozenset[str]:
        """The languages this holder has a model for (ISO 639-1 codes): what the serving model's
        card says it learnt, else English, the language of the shipped heads. English counts
        while the model is down too: its comments are then held as unscored, as before."""
        return frozenset(getattr(self._scorer, "languages", None) or ("en",))

    def score(self, text: str, language: str = "en") -> Scored:
        return self.score_many([text], language)[0]

    def score_many(self, texts: list[str], language: str = "en") -> list[Scored]:
        """Scores for several comments by the same model (several times cheaper per comment
        than one at a time: see service/batching.py), all in `language`, one of `languages()`:
        a comment is never scored by a model for another language."""
        if language not in self.languages():
            raise ValueError(f"no model scores comments in {language!r}")
        scorer = self._scorer  # one reference for the whole call: a swap meanwhile is harmless
        if scorer is None:
            return [Scored(None, None)] * len(texts)
        thresholds = getattr(scorer, "thresholds", None)
        try:
            raw = scorer.score_many(texts)
            scored = [Scored({"spam": float(r["spam"]), "abuse": float(r["abuse"])},
                             scorer.version, thresholds) for r in raw]
        except Exception:  # any failure of the model degrades to "hold for a human"
            with self._lock:
                self.failures += 1
            log.exception("scoring failed; the comments will be held for review")
            return [Scored(None, scorer.version, thresholds)] * len(texts)
        return scored

    # -- following the pointer --------------------------------------------------------------------

    def refresh_if_due(self) -> None:
        """The per-request check: a clock comparison, and at most every `check_seconds` one stat
        of the pointer. Another thread of this worker already checking is not waited for."""
        if self.directory is None or self._clock() < self._next_check:
            return
        if not self._reload_lock.acquire(blocking=False):
            return
        try:
            self._next_check = self._clock() + self.check_seconds
            self._follow(force=False)
        finally:
            self._reload_lock.release()

    def reload_now(self) -> Reload:
        """Read the pointer now and load what it names if that is not serving yet; a version
        that failed before is tried again."""
        if self.directory is None:
            return Reload(self.version, self.version, False,
                          "MODERATION_MODEL_PATH names one artifact file, so that version is "
                          "pinned; name the artifact directory to follow its CURRENT pointer")
        with self._reload_lock:
            self._next_check = self._clock() + self.check_seconds
            return self._follow(force=True)

    def _follow(self, force: bool) -> Reload:
        from model import Scorer
        from model.artifact import current_stem

        before = self.version
        signature = pointer_signature(self.directory)
        if signature == self._seen and not force:
            return Reload(before, before, False, self.reload_error)
        self._seen = signature
        stem = None
        try:
            stem = current_stem(self.directory)
            if stem == before:
                self.reload_error = None
                return Reload(before, before, False)
            # Load and verify completely before the swap; until then requests use `before`.
            scorer = Scorer.load(self.directory / f"{stem}.joblib")
        except Exception as exc:  # a bad new version must never take the serving one down
            self.reload_error = f"{stem or 'the pointer'} not loaded: {exc}"
            log.error("classifier %s not loaded, still serving %s: %s", stem, before, exc)
            return Reload(before, before, False, self.reload_error)
        self.swap(scorer)
        self.reload_error = None
        log.info("classifier switched from %s to %s (pid %d)", before, stem, os.getpid())
        return Reload(stem, before, True)


def init_app(app: Flask, holder: ScorerHolder | None = None) -> None:
    """A holder handed in (tests preload one scorer per session) stays as it is; otherwise the
    configured artifact is loaded and its directory's pointer followed."""
    app.extensions["scorer"] = holder or ScorerHolder.load(
        app.config["MODERATION_MODEL_PATH"], app.config["MODERATION_MODEL_CHECK_SECONDS"])


def current() -> ScorerHolder:
    holder = current_app.extensions["scorer"]
    holder.refresh_if_due()
    return holder
