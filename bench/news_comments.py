"""What the classifier does on news comments: ``.venv/bin/python bench/news_comments.py``.

All in one run, beside ``alt-profanity-check`` on the same rows (see bench/README.md, "News
comments"):

- ucc-dev (Globe and Mail comments, measured only, never trained or fitted on): abuse ROC AUC of
  the current model and of alt-profanity-check; with ``--baseline VERSION``, of that version too;
- the corpora's fixed held-out splits: ROC AUC per split, current against ``--baseline``;
- the toxic-spans trial file: span F1 of ``Scorer.explain``'s abuse ranges, with the SemEval 2021
  Task 5 metric (per-comment F1 over character offsets, averaged; a comment with no gold span
  scores 1 if nothing is predicted, else 0);
- our identity-term set (``bench/identity_set.py``): per group, the share of clean sentences held
  and Jigsaw's subgroup, BPSN and BNSP AUCs;
- ``--day-one``: ``../shared/tools/day_one.py``, end to end through ``/api/comments``.

Writes ``bench/results/news_comments.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from identity_set import bias_metrics, rows as identity_rows  # noqa: E402
from model import Scorer  # noqa: E402
from model.artifact import DEFAULT_DIR  # noqa: E402
from model.dataset import default_data_dir, examples_of, load_corpora, span_ranges  # noqa: E402


def ucc_dev(data: Path) -> tuple[list[str], np.ndarray]:
    with open(data / "ucc-dev" / "val.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return ([r["comment"] for r in rows],
            np.array([int(r["hostile"] == "1" or r["antagonize"] == "1") for r in rows]))


def span_f1(predicted: set[int], gold: set[int]) -> float:
    """SemEval 2021 Task 5, one comment."""
    if not gold:
        return 1.0 if not predicted else 0.0
    if not predicted:
        return 0.0
    hit = len(predicted & gold)
    if not hit:
        return 0.0
    precision, recall = hit / len(predicted), hit / len(gold)
    return 2 * precision * recall / (precision + recall)


def predicted_offsets(scorer: Scorer, text: str) -> set[int]:
    # Every abuse range the review page would highlight (not only the top five terms).
    return {i for term in scorer.explain(text, top=1000).get("abuse", [])
            for a, b in term["spans"] for i in range(a, b)}


def toxic_spans_trial(scorer: Scorer, data: Path) -> dict:
    with open(data / "toxic-spans" / "tsd_trial.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    scores = []
    for row in rows:
        gold = {i for a, b in span_ranges(json.loads(row["spans"])) for i in range(a, b)}
        scores.append(span_f1(predicted_offsets(scorer, row["text"]), gold))
    return {"comments": len(rows), "span_f1": round(float(np.mean(scores)), 4),
            "best_semeval_system": 0.708}


def held_out(scorers: dict[str, Scorer], data: Path) -> dict:
    rows = [e for e in examples_of(load_corpora(data)) if e.split == "test"]
    out = {}
    for source in sorted({e.source for e in rows}):
        picked = [e for e in rows if e.source == source and e.abuse is not None]
        y = np.array([e.abuse for e in picked])
        if len(set(y.tolist())) < 2:
            continue
        texts = [e.text for e in picked]
        out[source] = {name: round(float(roc_auc_score(
            y, [s["abuse"] for s in scorer.score_many(texts)])), 4)
            for name, scorer in scorers.items()}
    return out


def identity(scorer: Scorer) -> dict:
    rows = identity_rows()
    scores = np.array([s["abuse"] for s in scorer.score_many([t for t, _, _ in rows])])
    out = bias_metrics(rows, scores, scorer.thresholds["abuse"]["hold"])
    groups = out["groups"].values()
    out["worst_bpsn_auc"] = min(g["bpsn_auc"] for g in groups)
    out["worst_clean_held"] = max(g["clean_held"] for g in groups)
    return out


def day_one() -> dict:
    tool = ROOT.parent / "shared" / "tools" / "day_one.py"
    run = subprocess.run([sys.executable, "-W", "ignore", str(tool)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


def report(result: dict) -> str:
    """The model report's news-comments section, in Markdown."""
    ucc, spans, ident = (result["ucc_dev_abuse_roc_auc"], result["toxic_spans_trial"],
                         result["identity"])
    lines = [f"# News comments: `{result['model']}`", "",
             f"Made by `{result['command']}`. ucc-dev is measured only: never trained or fitted on.",
             "", "## Abuse on ucc-dev (Globe and Mail comments, hostile or antagonistic)", "",
             "| model | ROC AUC |", "|---|---|"]
    lines += [f"| {name} | {auc:.4f} |" for name, auc in ucc.items() if name != "margin_over_peer"]
    lines += ["", f"Margin over alt-profanity-check: **{ucc['margin_over_peer']:+.4f}**.", "",
              "## Held-out splits of the training corpora (abuse ROC AUC)", "",
              "| split | " + " | ".join(next(iter(result["held_out_abuse_roc_auc"].values()))) + " |",
              "|---|" + "---|" * len(next(iter(result["held_out_abuse_roc_auc"].values())))]
    lines += [f"| {split} | " + " | ".join(f"{v:.4f}" for v in aucs.values()) + " |"
              for split, aucs in result["held_out_abuse_roc_auc"].items()]
    lines += ["", "## Explanations: toxic-spans trial file", "",
              f"Span F1 of the abuse ranges `Scorer.explain` gives (SemEval 2021 Task 5 metric, "
              f"{spans['comments']} comments): **{spans['span_f1']:.4f}** (the best system at "
              f"SemEval reached {spans['best_semeval_system']}).", "",
              "## Naming a group (bench/identity_set.py)", "",
              f"Clean sentences held at the card's abuse hold line: {ident['clean_held']:.2%} overall; "
              f"the most for any group: {ident['worst_clean_held']:.2%}. Lowest BPSN AUC: "
              f"{ident['worst_bpsn_auc']:.4f}.", "",
              "| group | subgroup AUC | BPSN AUC | BNSP AUC | clean held |", "|---|---|---|---|---|"]
    lines += [f"| {g} | {m['subgroup_auc']:.4f} | {m['bpsn_auc']:.4f} | {m['bnsp_auc']:.4f} | "
              f"{m['clean_held']:.1%} |" for g, m in ident["groups"].items()]
    if "day_one" in result:
        d = result["day_one"]
        lines += ["", "## Day one end to end (`../shared/tools/day_one.py`)", "",
                  f"- clean comments not published at once: {d['clean_not_published']:.2%}",
                  f"- clean comments rejected: {d['clean_rejected']:.2%}",
                  f"- hostile comments caught: {d['hostile_caught']:.2%}; alt-profanity-check "
                  f"at the same hold rate: {d.get('alt_profanity_check_caught_at_same_hold_rate', 0):.2%}, "
                  f"holding 5% of clean: {d.get('alt_profanity_check_caught_holding_5pct_clean', 0):.2%}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--baseline", default=None, help="an artifact version to compare with")
    parser.add_argument("--day-one", action="store_true")
    parser.add_argument("--model", default=None, help="an artifact or artifact folder (default: the current one)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "news_comments.json")
    parser.add_argument("--report", type=Path, default=ROOT / "model" / "report" / "news-comments.md",
                        help="the model report's news-comments section (empty: none)")
    args = parser.parse_args()

    from profanity_check import predict_prob
    current = Scorer.load(args.model)
    scorers = {"current": current}
    if args.baseline:
        scorers["baseline"] = Scorer.load(DEFAULT_DIR / f"{args.baseline}.joblib")
    texts, y = ucc_dev(args.data)
    result = {"model": current.version, "baseline": args.baseline,
              "command": "python " + " ".join(sys.argv)}
    ucc = {name: round(float(roc_auc_score(y, [s["abuse"] for s in sc.score_many(texts)])), 4)
           for name, sc in scorers.items()}
    ucc["alt-profanity-check"] = round(float(roc_auc_score(y, predict_prob(texts))), 4)
    ucc["margin_over_peer"] = round(ucc["current"] - ucc["alt-profanity-check"], 4)
    result["ucc_dev_abuse_roc_auc"] = ucc
    result["held_out_abuse_roc_auc"] = held_out(scorers, args.data)
    result["toxic_spans_trial"] = toxic_spans_trial(current, args.data)
    result["identity"] = identity(current)
    if args.day_one:
        result["day_one"] = day_one()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    if args.report:
        args.report.write_text(report(result))
    brief = {k: v for k, v in result.items() if k != "identity"}
    brief["identity"] = {k: v for k, v in result["identity"].items() if k != "groups"}
    print(json.dumps(brief, indent=1))


if __name__ == "__main__":
    main()
