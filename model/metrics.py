"""Classification figures shared by training, evaluation and the benchmarks."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (average_precision_score, confusion_matrix, precision_recall_curve,
                             precision_recall_fscore_support, roc_auc_score)


def best_f1_threshold(y, proba) -> float:
    """The probability threshold that maximises F1 on (y, proba)."""
    precision, recall, thresholds = precision_recall_curve(y, proba)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(f1[:-1]))])


def threshold_for_precision(y, proba, target: float) -> float:
    """The lowest threshold whose precision reaches ``target`` (1.0 if none does)."""
    precision, _, thresholds = precision_recall_curve(y, proba)
    ok = np.flatnonzero(precision[:-1] >= target)
    return float(thresholds[ok[0]]) if ok.size else 1.0


def summary(y, proba, threshold: float) -> dict:
    """ROC AUC, average precision, and precision/recall/F1 and confusion matrix at ``threshold``."""
    y = np.asarray(y).astype(int)
    pred = (np.asarray(proba) >= threshold).astype(int)
    p, r, f, _ = precision_recall_fscore_support(y, pred, average="binary", zero_division=0)
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    return {
        "rows": int(y.size), "positives": int(y.sum()),
        "roc_auc": round(float(roc_auc_score(y, proba)), 4),
        "average_precision": round(float(average_precision_score(y, proba)), 4),
        "threshold": round(float(threshold), 4),
        "precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
        "confusion": {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)},
    }


def format_validation(validation: dict) -> str:
    """A short plain-text table of a card's validation figures."""
    lines = [f"{'split':<12} {'label':<6} {'source':<10} {'rows':>6} {'ROC AUC':>8} {'AP':>6} "
             f"{'P':>6} {'R':>6} {'F1':>6}"]
    for split, per_label in validation.items():
        for label, per_source in per_label.items():
            for source, m in per_source.items():
                lines.append(f"{split:<12} {label:<6} {source:<10} {m['rows']:>6} "
                             f"{m['roc_auc']:>8.4f} {m['average_precision']:>6.3f} "
                             f"{m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>6.3f}")
    return "\n".join(lines)
