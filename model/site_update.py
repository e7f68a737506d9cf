"""Learn this site's moderators in seconds: ``python -m model.site_update``.

Reads the moderators' decisions from the service's own store (the database ``make serve`` uses,
or ``--database-url`` / ``MODERATION_DATABASE_URL``), fits a site layer on top of the general
model (``model/site_layer.py``), judges it (``model/site_gate.py``) and stores it in the shared
database: promoted, every host serves it at its next check; refused, it is kept with the
reasons, for the models page. Run it from a timer (docs/retraining.md, "Learning this site") or let the
service run it after every ``MODERATION_SITE_LAYER_EVERY`` decisions.

The full retraining (``python -m model.train``) still folds the decisions into the general model;
this is the fast path between two of those.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine

from model import site_gate, site_layer, site_store
from model.dataset import Example, default_data_dir, load_corpora
from model.decisions import (ENGLISH, decided_languages, engine_url, hide_password,
                             read_decisions, store_url)
from model.duplicates import text_key
from model.pipeline import LABELS
from model.text import url_host

# The public held-out rows the guard scores: enough per corpus for a 0.03 AUC guard to mean
# something, few enough to keep the update within seconds.
GUARD_ROWS_PER_SOURCE = 1500
RECENT_SHARE = 0.2
# Up to this many decisions, each of site_layer.STRENGTHS is fitted and the best chosen.
SELECT_UP_TO = 2000
# A language other than English gets a layer of its own once this many of its comments were
# decided (fewer hold too few of each class for the gate's cross-validation to say anything).
MIN_LANGUAGE_DECISIONS = 20


def latest_per_text(decisions: list[Example]) -> list[Example]:
    """The latest decision per normalised text and website domain; texts without words of their
    own each stand alone (a bare link approved says nothing about another). The same "Great
    article, thanks" approved from a reader and removed from a spammer's website are two
    decisions, not one overturning the other."""
    by_key: dict = {}
    for e in decisions:                     # oldest first: a later decision replaces an earlier
        key = (text_key(e.text) or f"#{e.comment_id}", url_host(e.website))
        by_key.pop(key, None)
        by_key[key] = e
    return list(by_key.values())


class GuardRows(list):
    """The guard's held-out rows (Examples), with the general model's scores and the layer's
    features for them kept for the last general version: the service updates the layer every
    few dozen decisions, and scoring the same 5,000 rows again each time took a fifth of an
    update."""

    def __init__(self, rows=()) -> None:
        super().__init__(rows)
        self._scored: tuple | None = None

    def scored(self, general) -> tuple[np.ndarray, object]:
        """(general-model probabilities, text features) of the rows."""
        if self._scored is None or self._scored[0] != general.version:
            texts = [e.text for e in self]
            self._scored = (general.version, general.model.predict_proba(texts),
                            site_layer.text_features(texts))
        return self._scored[1], self._scored[2]


def guard_rows(data_dir: Path | str | None) -> GuardRows:
    """The corpora's fixed held-out rows, at most GUARD_ROWS_PER_SOURCE per corpus; none without
    corpora (then the guard is not run, and the verdict says so)."""
    try:
        corpora = load_corpora(data_dir or default_data_dir())
    except (FileNotFoundError, OSError):
        return GuardRows()
    out = GuardRows()
    for corpus in corpora:
        rows = [e for e in corpus.examples if e.split == "test" and e.text]
        out += rows[:GUARD_ROWS_PER_SOURCE]
    return out


def _label_matrix(rows: list[Example]) -> np.ndarray:
    return np.array([[-1 if getattr(e, label) is None else int(getattr(e, label))
                      for label in LABELS] for e in rows], dtype=int).reshape(-1, len(LABELS))


def update(engine, general, held_out: list[Example], *, language: str = ENGLISH,
           dry_run: bool = False, now: datetime | None = None) -> dict:
    """Fit, judge and (unless ``dry_run``) store ``language``'s layer from the decisions on
    comments in it. ``general``: the general model's ``Scorer``, whose English heads the English
    layer adjusts; another language's layer is that language's own model, from its decisions
    alone (``held_out``, the English corpora, does not apply to it). Returns the verdict as a
    plain dict."""
    started = time.perf_counter()
    on_general = language == ENGLISH
    decisions = latest_per_text(read_decisions(engine, language))
    texts = [e.text for e in decisions]
    websites = [e.website for e in decisions]
    labels = _label_matrix(decisions)
    base = None
    if on_general:
        base = general.model.predict_proba(texts) if texts else np.zeros((0, len(LABELS)))
    result = {"language": language, "decisions": len(decisions), "labels": {},
              "general_version": general.version if on_general else None, "promoted": False,
              "stored": None}
    if not texts:
        result["reasons"] = [f"no moderator decisions on {_language(language)} comments yet"]
        result["seconds"] = round(time.perf_counter() - started, 2)
        return result
    folds = site_gate.fold_of([text_key(t) or f"#{i}" for i, t in enumerate(texts)])
    X = site_layer.features(texts, language, websites)
    fitted = {strength: (site_gate.out_of_fold(texts, labels, base, folds, language, X=X,
                                               strength=strength),
                         site_layer.fit(texts, labels, base, language, X=X, strength=strength))
              for strength in _strengths(on_general, len(decisions))}
    serving = site_store.current(engine, language)
    held_base = held_X = None
    if on_general and held_out and any(layer.labels for _oof, layer in fitted.values()):
        if not isinstance(held_out, GuardRows):
            held_out = GuardRows(held_out)
        held_base, held_X = held_out.scored(general)
    candidate = site_layer.SiteLayer(language)
    passed, reasons = [], []
    for k, label in enumerate(LABELS):
        rows = labels[:, k] >= 0
        strength, corpora, words = _choose(label, labels[rows, k], fitted, rows, k,
                                           held_out, held_base, held_X)
        oof, layer = fitted[strength]
        if label in layer.labels:
            candidate.labels[label] = layer.labels[label]
        recent = _recent(decisions, X, rows, labels[:, k], oof[:, k], base, k, serving)
        verdict = site_gate.judge(label, labels[rows, k], oof[rows, k],
                                  None if base is None else base[rows, k], recent, corpora)
        verdict["strength"] = strength
        verdict["reasons"] += words
        if label in candidate.labels and held_X is None:
            verdict["reasons"].append(
                f"{label}: no public corpora found, so the guard against collapse was not run"
                if on_general else
                f"{label}: {_language(language)} has no general model to guard: the layer is "
                f"this site's own model of it, judged on its decisions alone")
        result["labels"][label] = verdict
        reasons += verdict["reasons"]
        if verdict["promote"]:
            passed.append(label)
    layer = candidate.keep_only(passed)
    result["promoted"] = bool(passed)
    result["promoted_labels"] = passed
    result["reasons"] = reasons
    result["seconds"] = round(time.perf_counter() - started, 2)
    layer.card = {"labels": passed, "seconds": result["seconds"]}
    if not dry_run:
        stored = site_store.save(
            engine, layer if passed else candidate, promote=bool(passed),
            general_version=result["general_version"],
            trained_through=max(e.decided_at for e in decisions), decisions=len(decisions),
            card={k: v for k, v in result.items() if k != "stored"}, now=now)
        result["stored"] = stored.version
    return result


def _strengths(on_general: bool, decisions: int) -> tuple:
    """The strengths tried: all of them on top of the general model while the decisions are
    few enough to fit each in seconds (and where the choice matters most: with more decisions,
    the decisions outweigh the regularisation anyway); one otherwise."""
    if not on_general:
        return (site_layer.ALONE,)
    return site_layer.STRENGTHS if decisions <= SELECT_UP_TO else (site_layer.C,)


def _choose(label, y, fitted, rows, k, held_out, held_base, held_X):
    """The strength whose layer ranks this site's decisions best out of fold, among those the
    public corpora's guard lets through (on a tie, the one listed first: closer to the general
    model); the first when none is, so that the gate's verdict says why. Returns it, its corpus
    checks and, when there was a choice, a sentence on it."""
    first, passing = None, []
    for order, (strength, (oof, layer)) in enumerate(fitted.items()):
        if label not in layer.labels:
            continue
        corpora = (site_gate.corpus_checks(layer, label, held_out, held_base, held_X)
                   if held_X is not None else [])
        first = first or (strength, corpora)
        if any(map(site_gate.collapses, corpora)):
            continue
        scores = oof[rows, k]
        valid = ~np.isnan(scores)
        auc = site_gate.auc(y[valid], scores[valid]) if len(set(y[valid].tolist())) > 1 else 0.0
        passing.append((auc, -order, strength, corpora))
    if not passing:
        strength, corpora = first or (next(iter(fitted)), [])
        return strength, corpora, []
    auc, _order, strength, corpora = max(passing)
    words = []
    if len(fitted) > 1:
        words.append(f"{label}: of the layers tried ({', '.join(map(_strength, fitted))}), "
                     f"{_strength(strength)} ranks this site's decisions best out of fold "
                     f"({auc:.3f})" + (" within the corpus guard" if corpora else ""))
    return strength, corpora, words


def _strength(strength) -> str:
    return ("without the general model" if strength == site_layer.ALONE
            else f"C = {strength:g}")


def languages_to_learn(engine) -> list[str]:
    """English, and every other language with enough decisions for a layer to learn from."""
    return [ENGLISH] + sorted(language for language, n in decided_languages(engine).items()
                              if language != ENGLISH and n >= MIN_LANGUAGE_DECISIONS)


def update_all(engine, general, held_out: list[Example], *, languages: list[str] | None = None,
               dry_run: bool = False, now: datetime | None = None) -> list[dict]:
    """``update`` for each of ``languages`` (default: ``languages_to_learn``)."""
    return [update(engine, general, held_out, language=language, dry_run=dry_run, now=now)
            for language in (languages or languages_to_learn(engine))]


def _language(code: str) -> str:
    return "English" if code == ENGLISH else f"'{code}'"


def _recent(decisions, X, rows, y, candidate, base, k, serving) -> dict | None:
    """The time-ordered check: the decisions the serving model never saw, with the candidate's
    out-of-fold scores and the serving model's. Those made since the serving layer was trained;
    without a layer (or too few of those), the newest ``RECENT_SHARE`` of all, against the
    general model. Older decisions that were wrong (a poisoned batch, a moderator who misread
    the rules) cannot then promote a layer that does worse on what moderators decide now."""
    def both_classes(mask):
        return min(int((y[mask] == 1).sum()), int((y[mask] == 0).sum())) >= \
            site_gate.MIN_RECENT_EACH
    if serving is not None and serving[1].trained_through is not None:
        new = rows & np.array([e.decided_at > serving[1].trained_through for e in decisions])
        if both_classes(new):
            # The decisions' features (``X``) serve an older layer too: a format-1 layer has
            # no weight on the context block that format 2 added.
            recent = [e.text for e, s in zip(decisions, new) if s]
            return {"y": y[new], "candidate": candidate[new], "what": "since the serving layer",
                    "current": serving[0].adjust(recent, None if base is None else base[new],
                                                 X=X[new])[:, k]}
    newest = np.zeros(len(decisions), dtype=bool)
    newest[-max(1, int(RECENT_SHARE * len(decisions))):] = True      # oldest first
    newest &= rows
    if not both_classes(newest):
        return None
    # Without a general model (another language), what serves before any layer is chance.
    current = base[newest, k] if base is not None else np.full(int(newest.sum()), 0.5)
    return {"y": y[newest], "candidate": candidate[newest], "current": current,
            "what": "newest"}


def describe(result: dict, url: str | None = None) -> str:
    lines = []
    if url:
        lines.append(f"read {result['decisions']} decided {_language(result['language'])} "
                     f"comments from {url}")
    lines += [f"  {r}" for r in result["reasons"]]
    if result["promoted"]:
        what = ("adjusts" if result["language"] == ENGLISH else
                f"is the {_language(result['language'])} model of")
        lines.append(f"promoted {result['stored'] or '(dry run)'}: the site layer now {what} "
                     f"{' and '.join(result['promoted_labels'])} on every host at its next check")
    else:
        lines.append("not promoted: the serving model is unchanged"
                     + (f" (kept as {result['stored']} for the record)" if result["stored"] else ""))
    lines.append(f"took {result['seconds']} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("MODERATION_DATABASE_URL"),
                        help="the service's store (default: MODERATION_DATABASE_URL, else the "
                             "SQLite file `make serve` uses)")
    parser.add_argument("--model", default=os.environ.get("MODERATION_MODEL_PATH"),
                        help="the general model (default: the service's, MODERATION_MODEL_PATH)")
    parser.add_argument("--data", type=Path, default=None,
                        help="the public corpora whose held-out rows guard against collapse "
                             "(default ../shared/data)")
    parser.add_argument("--dry-run", action="store_true", help="judge, but store nothing")
    parser.add_argument("--language", action="append", default=None,
                        help="learn only this language's layer (ISO 639-1 code; repeat for "
                             "several). Default: English, and every other language with at "
                             f"least {MIN_LANGUAGE_DECISIONS} decided comments")
    parser.add_argument("--switch-off", action="store_true",
                        help="retire the current layer (English's, or --language's): the "
                             "general model alone serves again")
    args = parser.parse_args(argv)

    from model import Scorer

    url = store_url(args.database_url, os.environ.get("MODERATION_INSTANCE_PATH"))
    engine = create_engine(engine_url(url))
    try:
        if args.switch_off:
            for language in args.language or [ENGLISH]:
                retired = site_store.switch_off(engine, language)
                print(f"{hide_password(url)}: " + (
                    f"{_language(language)} site layer switched off at each host's next check"
                    if retired else f"no {_language(language)} site layer was on"))
            return 0
        general = Scorer.load(args.model)
        languages = args.language or languages_to_learn(engine)
        # The public corpora guard the English layer only: read them only for it.
        guard = guard_rows(args.data) if ENGLISH in languages else []
        results = update_all(engine, general, guard, languages=languages, dry_run=args.dry_run)
    finally:
        engine.dispose()
    print("\n".join(describe(result, hide_password(url)) for result in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
