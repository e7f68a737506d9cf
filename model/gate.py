"""The promotion gate: a newly trained model replaces the current one only if it is no worse.

Two comparisons, both on rows neither model trained on, scored by both models:

- **The corpora's fixed held-out splits** (``model/dataset.py``: 20% of Davidson and of OLID by
  row id, three whole Fox News articles). Per label and per split, the candidate's ROC AUC may
  not fall more than ``MAX_DROP`` (0.03) below the current model's. Only splits holding both classes of
  a label count: no corpus holds spam out (YouTube is evaluated leave-one-video-out by
  ``model.evaluate``), so spam is judged on the recent decisions alone.
- **The most recent decisions** (``model/weighting.py``), restricted to those the current model
  never trained on: decided after the ``trained_through`` mark on its card, and with a text that
  is in no corpus' training rows. Per label, the
  candidate's ROC AUC must be at least the current model's. A label with fewer than two classes
  among them cannot be compared and does not block; the reasons say so.

``compare`` measures, ``verdict`` decides; both return plain dicts for the card.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from model.dataset import Example
from model.pipeline import LABELS

# The corpora guard against collapse, not the judge: a site whose idea of abuse differs from
# tweets must be able to teach the model (issue 16). The site's recent decisions decide.
MAX_DROP = 0.03


def _auc(y: np.ndarray, p: np.ndarray) -> float | None:
    return round(float(roc_auc_score(y, p)), 4) if len(set(y.tolist())) == 2 else None


def _side_by_side(rows: list[Example], candidate: np.ndarray, current: np.ndarray,
                  label: int) -> dict | None:
    name = LABELS[label]
    sel = np.array([getattr(e, name) is not None for e in rows], dtype=bool)
    if not sel.any():
        return None
    y = np.array([getattr(e, name) for e, s in zip(rows, sel) if s])
    new, old = _auc(y, candidate[sel, label]), _auc(y, current[sel, label])
    if new is None:
        return None
    return {"rows": int(sel.sum()), "positives": int(y.sum()), "candidate": new, "current": old}


def compare(candidate, current, held_out: list[Example], recent: list[Example]) -> dict:
    """Per-label ROC AUC of ``candidate`` and ``current`` (fitted models with predict_proba) on
    the held-out corpus rows, per source, and on the recent decisions."""
    out = {"held_out": {label: {} for label in LABELS},
           "recent": {label: None for label in LABELS}, "recent_rows": len(recent)}
    texts = [e.text for e in held_out]
    new, old = (candidate.predict_proba(texts), current.predict_proba(texts)) if texts else (None, None)
    for source in sorted({e.source.split(":")[0] for e in held_out}):
        sel = np.array([e.source.split(":")[0] == source for e in held_out])
        rows = [e for e, s in zip(held_out, sel) if s]
        for k, label in enumerate(LABELS):
            side = _side_by_side(rows, new[sel], old[sel], k)
            if side:
                out["held_out"][label][source] = side
    if recent:
        texts = [e.text for e in recent]
        new, old = candidate.predict_proba(texts), current.predict_proba(texts)
        for k, label in enumerate(LABELS):
            out["recent"][label] = _side_by_side(recent, new, old, k)
    return out


def verdict(comparison: dict, max_drop: float = MAX_DROP) -> tuple[bool, list[str]]:
    """(promote?, reasons). Reasons name every failed check, then what could not be checked."""
    failed, notes = [], []
    for label, per_source in comparison["held_out"].items():
        if not per_source:
            notes.append(f"{label}: no fixed held-out split has both classes; not compared there")
        for source, m in per_source.items():
            if m["candidate"] < m["current"] - max_drop:
                failed.append(f"{label} ROC AUC on the {source} held-out split fell from "
                              f"{m['current']:.4f} to {m['candidate']:.4f} (more than {max_drop})")
    for label, m in comparison["recent"].items():
        if m is None:
            notes.append(f"{label}: too few recent decisions of both kinds to compare")
        elif m["candidate"] < m["current"]:
            failed.append(f"{label} ROC AUC on the {m['rows']} most recent decisions is "
                          f"{m['candidate']:.4f}, below the current model's {m['current']:.4f}")
    if not failed:
        return True, ["no held-out split lost more than "
                      f"{max_drop} ROC AUC and the recent decisions are no worse"] + notes
    return False, failed + notes
