"""Serving the site layer: every host follows the current layer in the shared database.

``model.site_update`` (a timer, or this service after every ``MODERATION_SITE_LAYER_EVERY``
decisions) stores a promoted layer as the current row of ``site_layers``. Each worker looks at
which row is current at most every ``MODERATION_MODEL_CHECK_SECONDS`` (one indexed query), and
when it changed, loads and checks the new one (sha256, arrays only) *before* replacing its
reference, as the general model's hot swap does: a request in flight finishes on what it took.
A layer that fails to load is logged, and the one serving before goes on serving.

The layer adjusts the general model's scores; comments keep the general model's version in
``model_version`` (the hold budget learns its lines per general version), and the layer that
scored is in the logs and on the models page.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Callable

import numpy as np

log = logging.getLogger(__name__)


class SiteLayers:
    def __init__(self, engine, check_seconds: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.check_seconds = check_seconds
        self._clock = clock
        self._next_check = 0.0               # the first request looks at once
        self._lock = threading.Lock()
        self._layers: dict = {}              # language -> (id, SiteLayer)
        self.error: str | None = None

    def refresh_if_due(self) -> None:
        if self._clock() < self._next_check or not self._lock.acquire(blocking=False):
            return
        try:
            self._next_check = self._clock() + self.check_seconds
            self.refresh()
        finally:
            self._lock.release()

    def refresh(self) -> None:
        from model import site_store

        try:
            wanted = site_store.current_ids(self.engine)
        except Exception as exc:  # an unreadable table keeps what is serving
            self.error = f"site layers not read: {exc}"
            log.warning("%s", self.error)
            return
        error = None
        layers = dict(self._layers)
        for language in set(layers) - set(wanted):
            del layers[language]                 # switched off: the general model alone
        for language, layer_id in wanted.items():
            if layers.get(language, (None,))[0] == layer_id:
                continue
            try:
                layer, _stored = site_store.load(self.engine, layer_id)
            except Exception as exc:
                error = f"site layer {layer_id} not loaded: {exc}"
                log.error("%s; still serving %s", error, layers.get(language, (None,))[0])
                continue
            layers[language] = (layer_id, layer)
            log.info("site layer %s now serving %s", layer_id, language)
        self._layers = layers                    # one assignment: readers see old or new
        self.error = error

    def serving(self, language: str = "en") -> str | None:
        found = self._layers.get(language)
        return None if found is None else f"site-{found[0]}"

    def languages(self) -> set[str]:
        return set(self._layers)

    def own_languages(self) -> frozenset[str]:
        """The languages whose layer is their own model (no general model under it)."""
        return frozenset(language for language, (_id, layer) in self._layers.items()
                         if not layer.uses_general_model)

    def score_alone(self, texts: list[str], language: str,
                    websites: list[str] | None = None) -> list | None:
        """``service.classifier.scoring.Scored`` results by ``language``'s own layer, with its
        thresholds; None when it has none or it failed (the caller falls back to the rules).
        ``websites``: the authors' website fields, one per text (the layer learnt from them)."""
        from service.classifier.scoring import Scored

        found = self._layers.get(language)
        if found is None or found[1].uses_general_model:
            return None
        layer_id, layer = found
        try:
            probabilities = layer.adjust(list(texts), None, websites=websites)
        except Exception:
            log.exception("site layer site-%s failed; %s comments go by the rules", layer_id,
                          language)
            return None
        card = layer.thresholds()
        return [Scored({"spam": float(p[0]), "abuse": float(p[1])}, f"site-{layer_id}", card)
                for p in probabilities]

    def adjust(self, texts: list[str], scores: list[dict], language: str = "en",
               websites: list[str] | None = None) -> list[dict]:
        """The general model's scores, adjusted by the language's current layer if there is
        one (unchanged otherwise). ``websites``: as in ``score_alone``."""
        found = self._layers.get(language)
        if found is None or not texts:
            return scores
        base = np.array([[s["spam"], s["abuse"]] for s in scores])
        adjusted = found[1].adjust(list(texts), base, websites=websites)
        return [{"spam": float(a[0]), "abuse": float(a[1])} for a in adjusted]

    def adjust_scored(self, texts: list[str], scored: list, language: str = "en",
                      websites: list[str] | None = None) -> list:
        """``service.classifier.scoring.Scored`` results, adjusted where the general model gave
        scores. Only English has a general model for a layer to adjust. ``websites``: as in
        ``score_alone``."""
        if language != "en" or self._layers.get("en") is None:
            return scored
        at = [i for i, s in enumerate(scored) if s.scores is not None]
        if not at:
            return scored
        try:
            adjusted = self.adjust([texts[i] for i in at], [scored[i].scores for i in at],
                                   websites=None if websites is None else
                                   [websites[i] for i in at])
        except Exception:  # a layer that fails leaves the general model's scores
            log.exception("site layer failed; the general model's scores stand")
            return scored
        out = list(scored)
        for i, scores in zip(at, adjusted):
            out[i] = replace(scored[i], scores=scores)
        return out


class AutoUpdate:
    """Updates the site layer in a background thread once ``every`` decisions were made since
    the last layer was judged. One update at a time per worker; two hosts that start one at the
    same moment each store a verdict, and the later promoted layer serves (harmless, if
    wasteful)."""

    def __init__(self, app, every: int) -> None:
        self.app = app
        self.every = every
        self._running = threading.Lock()
        self._guard = None
        self.last: dict | None = None        # the last verdict this worker produced

    def decisions_since_last_layer(self, engine) -> int:
        from sqlalchemy import text

        with engine.connect() as conn:
            since = conn.execute(text("SELECT MAX(created_at) FROM site_layers")).scalar()
            query = ("SELECT COUNT(*) FROM comments WHERE decided_by IS NOT NULL "
                     "AND status IN ('published', 'rejected')")
            if since is None:
                return conn.execute(text(query)).scalar()
            return conn.execute(text(query + " AND decided_at > :since"),
                                {"since": since}).scalar()

    def after_decisions(self) -> bool:
        """Called after moderators decide; True when an update was started."""
        if self.every <= 0 or self._running.locked():
            return False
        engine = self.app.extensions["store"].engine
        try:
            if self.decisions_since_last_layer(engine) < self.every:
                return False
        except Exception:
            log.exception("site layer: could not count new decisions")
            return False
        if not self._running.acquire(blocking=False):
            return False
        threading.Thread(target=self._run, name="site-layer-update", daemon=True).start()
        return True

    def _run(self) -> None:
        from model.site_update import describe, guard_rows, update_all

        try:
            scorer = self.app.extensions["scorer"].scorer
            if scorer is None:
                return
            if self._guard is None:
                self._guard = guard_rows(self.app.config["MODERATION_CORPORA_PATH"] or None)
            results = update_all(self.app.extensions["store"].engine, scorer, self._guard)
            self.last = results[0]           # English's, the layer on the general model
            for result in results:
                log.info("site layer update:\n%s", describe(result))
            self.app.extensions["site_layers"].refresh()
        except Exception:
            log.exception("site layer update failed; the serving layer stays")
        finally:
            self._running.release()


def init_app(app) -> None:
    app.extensions["site_layers"] = SiteLayers(app.extensions["store"].engine,
                                               app.config["MODERATION_MODEL_CHECK_SECONDS"])
    app.extensions["site_layer_update"] = AutoUpdate(app, app.config["MODERATION_SITE_LAYER_EVERY"])
