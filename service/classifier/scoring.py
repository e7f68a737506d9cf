"""The classifier behind a small holder that swaps in a newly promoted model without a restart.

Views call `current()` for each request instead of keeping a reference, and `score()` turns a
failing model into `None` (logged and counted), which the policy holds for a human: a broken
artifact must not crash intake or publish unvetted text.

Hot swap. `model.promote` (or `model.train --promote`, or the models page) moves the model
store's pointer: the artifact directory's `CURRENT` file, or the `model_pointer` row of the
database store that every host shares (`model/model_store.py`). Each gunicorn worker on each host
has its own holder, and each notices on its own: `current()` reads the pointer at most every
`MODERATION_MODEL_CHECK_SECONDS` (one stat, or one small SELECT), and when it changed, fetches,
loads and verifies the named version *first* and only then replaces the reference. A
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
from typing import Callable

from flask import Flask, current_app

from model.model_store import names_artifact_file

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


class ScorerHolder:
    """Holds the loaded `model.Scorer` (or the error that stopped it loading), and follows the
    artifact directory's pointer when given one (`directory`); without one it never swaps."""

    def __init__(self, scorer=None, error: str | None = None, *, store=None,
                 check_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()  # the reference and the counters
        self._reload_lock = threading.Lock()  # one check or load at a time in this worker
        self._scorer = scorer
        self.error = error
        self.failures = 0  # scoring calls that raised since start; shown by /readyz
        self.reload_error: str | None = None  # why the pointer's version is not the one serving
        self.store = store  # a model.model_store store, or None: pinned, never swapped
        self.check_seconds = check_seconds
        self._clock = clock
        self._next_check = clock() + check_seconds
        self._seen = self._signature() if store is not None else None

    @classmethod
    def load(cls, path: str | None, check_seconds: float = 5.0) -> "ScorerHolder":
        """The artifact MODERATION_MODEL_PATH names: one file (pinned), or a directory whose
        pointer is followed."""
        from model.model_store import DirectoryStore, artifacts_dir, names_artifact_file

        if not names_artifact_file(path):
            return cls.follow(DirectoryStore(artifacts_dir(path)), check_seconds)
        holder = cls(check_seconds=check_seconds)
        holder._load_first(lambda: path)
        return holder

    @classmethod
    def follow(cls, store, check_seconds: float = 5.0,
               clock: Callable[[], float] = time.monotonic) -> "ScorerHolder":
        """Serve the store's current version and follow its pointer."""
        # The pointer is looked at before the load: if it moves during the load, the next check
        # sees a signature it has not seen and follows it.
        holder = cls(store=store, check_seconds=check_seconds, clock=clock)
        holder._load_first(lambda: store.fetch(store.current()))
        return holder

    def _load_first(self, locate: Callable[[], object]) -> None:
        # Imported here so `service` can be imported (and its config documented) without the
        # model package's heavy dependencies being loaded first.
        from model import Scorer

        try:
            self.swap(Scorer.load(path=locate()))
        except Exception as exc:  # an unusable artifact or an unreachable store: hold everything
            log.error("classifier not loaded, every comment will be held: %s", exc)
            self.error = str(exc)

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
        than one at a time: see service/intake/batching.py), all in `language`, one of
        `languages()`: a comment is never scored by a model for another language."""
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
        if self.store is None or self._clock() < self._next_check:
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
        if self.store is None:
            return Reload(self.version, self.version, False,
                          "MODERATION_MODEL_PATH names one artifact file, so that version is "
                          "pinned; name the artifact directory to follow its CURRENT pointer")
        with self._reload_lock:
            self._next_check = self._clock() + self.check_seconds
            return self._follow(force=True)

    def _signature(self):
        """The store's pointer signature; on a failure to read it, a value that differs from
        every signature, so the next check reads the pointer again."""
        try:
            return self.store.signature()
        except Exception as exc:
            log.warning("model store %s not readable: %s", self.store, exc)
            return _UNREAD

    def _follow(self, force: bool) -> Reload:
        from model import Scorer

        before = self.version
        signature = self._signature()
        if signature is _UNREAD:
            # The store is unreachable (a database restarting): keep serving what is loaded.
            return Reload(before, before, False, f"the model store ({self.store}) could not be "
                                                 "read; still serving the version loaded")
        if signature == self._seen and not force:
            return Reload(before, before, False, self.reload_error)
        self._seen = signature
        stem = None
        try:
            stem = self.store.current()
            if stem == before:
                self.reload_error = None
                return Reload(before, before, False)
            # Load and verify completely before the swap; until then requests use `before`.
            scorer = Scorer.load(self.store.fetch(stem))
        except Exception as exc:  # a bad new version must never take the serving one down
            self.reload_error = f"{stem or 'the pointer'} not loaded: {exc}"
            log.error("classifier %s not loaded, still serving %s: %s", stem, before, exc)
            return Reload(before, before, False, self.reload_error)
        self.swap(scorer)
        self.reload_error = None
        log.info("classifier switched from %s to %s (pid %d)", before, stem, os.getpid())
        return Reload(stem, before, True)


_UNREAD = object()


def model_store(app: Flask):
    """The model store the settings name (`MODERATION_MODEL_STORE`): the artifact directory, or
    the service's own database, whose engine it shares. With a pinned artifact file, that file's
    directory, read for the models page only."""
    from model.database_store import DatabaseStore
    from model.model_store import DirectoryStore, artifacts_dir, cache_dir, store_kind

    path = app.config["MODERATION_MODEL_PATH"]
    kind = store_kind(app.config["MODERATION_MODEL_STORE"], app.config["MODERATION_DATABASE_URL"])
    if kind == "directory" or names_artifact_file(path):
        return DirectoryStore(artifacts_dir(path))
    return DatabaseStore(app.extensions["store"].engine, cache=cache_dir(app.instance_path),
                         seed=artifacts_dir(path))


def init_app(app: Flask, holder: ScorerHolder | None = None) -> None:
    """A holder handed in (tests preload one scorer per session) stays as it is; otherwise the
    configured store's current version is loaded and its pointer followed (a pinned artifact
    file is loaded and never swapped)."""
    store = app.extensions["model_store"] = model_store(app)
    if holder is None:
        path, seconds = app.config["MODERATION_MODEL_PATH"], app.config["MODERATION_MODEL_CHECK_SECONDS"]
        holder = ScorerHolder.load(path, seconds) if names_artifact_file(path) \
            else ScorerHolder.follow(store, seconds)
    app.extensions["scorer"] = holder


def current() -> ScorerHolder:
    holder = current_app.extensions["scorer"]
    holder.refresh_if_due()
    return holder
