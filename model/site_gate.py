"""The site layer's gate: the site's own decisions decide; the public corpora only guard.

Per label (``judge``), in order:

1. **Enough to learn from**: at least ``site_layer.MIN_EACH`` decisions of each class.
2. **Better on this site's decisions.** Every decision is scored by a layer that never saw it
   (``FOLDS``-fold cross-validation, a duplicate cluster never split across folds), and by the
   general model alone. A paired bootstrap over the decisions (``REPS`` resamples, each class
   resampled on its own so both stay present) gives the gain in ROC AUC with an interval; the
   layer passes only when the interval's lower end (``CONFIDENCE``) is above zero. A point
   comparison on a few rows would promote noise as often as not.
3. **Not worse than the layer serving now**, on the decisions made after it was trained (it never
   saw them): when there are enough of them, the candidate's gain over it may not be negative.
4. **No collapse on the public corpora**: on each fixed held-out split that holds both classes of
   the label, the general model with the layer may lose at most ``MAX_CORPUS_DROP`` ROC AUC
   against the general model alone. The site may disagree with tweets; it may not turn the model
   upside down (deliberately wrong decisions would).

Each step's outcome is a sentence, for the command line and the models page.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from model import site_layer
from model.pipeline import LABELS

FOLDS = 5
REPS = 1000
CONFIDENCE = 0.90          # one-sided: the lower end is the 10th percentile of the gains
MAX_CORPUS_DROP = 0.03
MIN_RECENT_EACH = 5


def auc(y, p) -> float:
    return float(roc_auc_score(y, p))


class _ResampledAuc:
    """ROC AUC of fixed scores on bootstrap resamples, without sorting each resample: the
    scores are ranked once (ties grouped), and a resample is its count of each row. The
    bootstrap computes thousands of these; sorting 5,000 scores each time took seconds."""

    def __init__(self, y: np.ndarray, p: np.ndarray) -> None:
        values, self.group = np.unique(p, return_inverse=True)
        self.groups = values.size
        self.pos = y == 1

    def auc(self, counts: np.ndarray) -> float:
        """Mann-Whitney with mid-ranks: each resampled positive beats the negatives below its
        score and half of those tied with it."""
        pos = np.bincount(self.group[self.pos], counts[self.pos], self.groups)
        neg = np.bincount(self.group[~self.pos], counts[~self.pos], self.groups)
        below = np.cumsum(neg) - neg
        return float(pos @ (below + 0.5 * neg) / (pos.sum() * neg.sum()))


def paired_bootstrap(y: np.ndarray, new: np.ndarray, old: np.ndarray, reps: int = REPS,
                     seed: int = 2026) -> dict:
    """Gain in ROC AUC of ``new`` over ``old`` on the same rows, with the bootstrap's
    (1 - CONFIDENCE) and CONFIDENCE quantiles. Each class is resampled separately."""
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    scored_new, scored_old = _ResampledAuc(y, new), _ResampledAuc(y, old)
    gains = np.empty(reps)
    for r in range(reps):
        idx = np.concatenate([rng.choice(pos, pos.size), rng.choice(neg, neg.size)])
        counts = np.bincount(idx, minlength=y.size).astype(float)
        gains[r] = scored_new.auc(counts) - scored_old.auc(counts)
    return {"gain": round(auc(y, new) - auc(y, old), 4),
            "low": round(float(np.quantile(gains, 1 - CONFIDENCE)), 4),
            "high": round(float(np.quantile(gains, CONFIDENCE)), 4),
            "new": round(auc(y, new), 4), "old": round(auc(y, old), 4)}


def fold_of(keys: list[str], folds: int = FOLDS) -> np.ndarray:
    """A fold per row, the same for rows sharing a key (a duplicate cluster), spread evenly."""
    order = {}
    for key in keys:
        order.setdefault(key, len(order))
    return np.array([order[k] % folds for k in keys])


def out_of_fold(texts: list[str], labels: np.ndarray, base: np.ndarray | None,
                folds: np.ndarray, language: str = "en", X=None,
                strength: float | str = site_layer.C,
                websites: list[str] | None = None) -> np.ndarray:
    """(n, 2) layer probabilities, each row from a layer fitted without its fold; the general
    model's score (or nan without one) where a fold had too few decisions to fit a label.
    ``X``: the texts' ``site_layer.features``, computed once for all folds (else from ``texts``
    and the authors' ``websites``); ``strength``: as in ``site_layer.fit``."""
    X = site_layer.features(texts, language, websites) if X is None else X
    out = np.array(base, dtype=float) if base is not None else np.full(labels.shape, np.nan)
    for f in range(int(folds.max()) + 1):
        test = folds == f
        if not test.any():
            continue
        train = ~test
        layer = site_layer.fit([t for t, s in zip(texts, train) if s], labels[train],
                               None if base is None else base[train], language, X=X[train],
                               strength=strength)
        held = [t for t, s in zip(texts, test) if s]
        adjusted = layer.adjust(held, None if base is None else base[test], X=X[test])
        for k, label in enumerate(LABELS):
            if label in layer.labels:
                out[test, k] = adjusted[:, k]
    return out


def collapses(split: dict) -> bool:
    """Whether the layer loses more than ``MAX_CORPUS_DROP`` on a ``corpus_checks`` split."""
    return split["without"] - split["with_layer"] > MAX_CORPUS_DROP


def _percent(x: float) -> str:
    return f"{x:+.3f}"


def judge(label: str, y: np.ndarray, oof: np.ndarray, general: np.ndarray | None,
          recent: dict | None = None, corpora: list[dict] | None = None) -> dict:
    """The verdict on one label. ``y``, ``oof`` and ``general``: the label's decisions, the
    candidate's out-of-fold scores and the general model's scores (None for a language without
    one: then the layer is compared with chance, AUC 0.5). ``recent``: ``{"y", "candidate",
    "current"}`` on decisions the serving layer never saw, or None. ``corpora``: per held-out
    split, ``{"source", "with_layer", "without"}`` ROC AUCs."""
    reasons: list[str] = []
    flagged, kept = int((y == 1).sum()), int((y == 0).sum())
    result = {"label": label, "decisions": int(y.size), "flagged": flagged, "promote": False}
    if min(flagged, kept) < site_layer.MIN_EACH:
        reasons.append(f"{label}: only {flagged} removed and {kept} kept among the decisions; "
                       f"the layer needs {site_layer.MIN_EACH} of each to learn from")
        return {**result, "reasons": reasons}
    valid = ~np.isnan(oof)
    old = general if general is not None else np.full(y.size, 0.5)
    site = paired_bootstrap(y[valid], oof[valid], old[valid])
    result["site"] = site
    against = "the general model" if general is not None else "chance"
    words = (f"{label}: on {int(valid.sum())} of this site's decisions, each scored by a layer "
             f"that never saw it, ROC AUC {site['old']:.3f} -> {site['new']:.3f} "
             f"({_percent(site['gain'])} against {against}; "
             f"{int(CONFIDENCE * 100)}% sure it is at least {_percent(site['low'])})")
    passed = site["low"] > 0
    reasons.append(words + ("" if passed else ": not clearly better, so not promoted"))
    if recent is not None and min(int(recent["y"].sum()), int((recent["y"] == 0).sum())) \
            >= MIN_RECENT_EACH:
        versus = paired_bootstrap(recent["y"], recent["candidate"], recent["current"])
        result["versus_current"] = versus
        which = (f"the {recent['y'].size} decisions made since the serving layer was trained"
                 if recent.get("what") != "newest" else
                 f"the newest {recent['y'].size} decisions, against {against}")
        if versus["gain"] < 0:
            passed = False
            reasons.append(f"{label}: on {which}, what serves now ranks them better "
                           f"({versus['old']:.3f} against {versus['new']:.3f}): it stays")
        else:
            reasons.append(f"{label}: on {which}, {versus['old']:.3f} -> {versus['new']:.3f}")
    for split in corpora or []:
        drop = split["without"] - split["with_layer"]
        if collapses(split):
            passed = False
            reasons.append(f"{label}: on the public {split['source']} held-out comments the layer "
                           f"would lose {drop:.3f} ROC AUC ({split['without']:.3f} -> "
                           f"{split['with_layer']:.3f}), more than the {MAX_CORPUS_DROP} allowed: "
                           f"the decisions turn the model against what it knew")
    result["corpora"] = corpora or []
    if corpora and passed:
        worst = max(corpora, key=lambda s: s["without"] - s["with_layer"])
        reasons.append(f"{label}: the public corpora stay within {MAX_CORPUS_DROP} "
                       f"(largest change {worst['with_layer'] - worst['without']:+.3f}, "
                       f"{worst['source']})")
    result["promote"] = passed
    return {**result, "reasons": reasons}


def corpus_checks(layer: "site_layer.SiteLayer", label: str, held_out: list, general,
                  X=None) -> list[dict]:
    """Per held-out corpus split with both classes of ``label``: ROC AUC of the general model
    with and without ``layer``. ``general``: the general model's (n, 2) probabilities for
    ``held_out`` (Examples); ``X``: their text features, when already computed."""
    if label not in layer.labels or not held_out:
        return []
    k = LABELS.index(label)
    texts = [e.text for e in held_out]
    with_layer = layer.keep_only([label]).adjust(texts, general, X=X)[:, k]
    out = []
    for source in sorted({e.source.split(":")[0] for e in held_out}):
        sel = np.array([e.source.split(":")[0] == source and getattr(e, label) is not None
                        for e in held_out])
        if not sel.any():
            continue
        y = np.array([getattr(e, label) for e, s in zip(held_out, sel) if s])
        if len(set(y.tolist())) < 2:
            continue
        out.append({"source": source, "rows": int(sel.sum()),
                    "without": round(auc(y, general[sel, k]), 4),
                    "with_layer": round(auc(y, with_layer[sel]), 4)})
    return out
