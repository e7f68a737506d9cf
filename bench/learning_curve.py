"""Does retraining learn this site? ``.venv/bin/python bench/learning_curve.py``

The Fox News reader comments stand in for a news site's own comments. The comments of the three
fixed held-out articles (``model.dataset.FOX_TEST_ARTICLES``) are never shown to any model; the
comments of the other seven articles go, in a fixed shuffled order, into a real SQLite store
through the service's own intake (``Store.enqueue``) and review verbs (``Moderation.decide``) as
a moderator's decisions: abusive ones rejected with reason "abuse", the rest approved. After 100,
300 and 1,000 decisions (cumulative) the real script retrains, ``python -m model.train --data
DATA --database-url URL --out TMP``, into a temporary artifact folder that starts from a copy of
the shipped model (so the promotion gate runs as it would on a site). Each model, and the shipped
one, scores the held-out articles: abuse ROC AUC is the figure. Spam is not measured: the Fox
comments hold no spam, so a spam ROC AUC is undefined there.

Writes ``bench/results/learning_curve.json`` and ``bench/results/learning_curve.png``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model import Scorer, artifact  # noqa: E402
from model.dataset import default_data_dir, load_corpora  # noqa: E402
from service.db import make_engine, upgrade  # noqa: E402
from service.moderation import Moderation  # noqa: E402
from service.policy import Decision  # noqa: E402
from service.store import Candidate, Store  # noqa: E402

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
PENDING = Decision(status="pending", reasons=("bench",), policy_status="pending")


def fox_comments(data: Path):
    fox = [e for c in load_corpora(data) if c.name == "fox-news-comments" for e in c.examples
           if e.text]
    site = [e for e in fox if e.split == "train"]
    random.Random(2026).shuffle(site)
    return site, [e for e in fox if e.split == "test"]


def feed(store: Store, moderation: Moderation, comments, start: int) -> None:
    """Each comment arrives through intake as pending and is decided by a moderator."""
    for i, example in enumerate(comments, start):
        # A commenter per comment: the Fox corpus does not name authors.
        candidate = Candidate(post_id=example.group[:64], author=f"reader {i}",
                              email=f"reader{i}@example.org", email_hash=f"{i:064x}",
                              text=example.text, ip_hash=f"{i:064x}")
        outcome = store.enqueue(candidate, lambda _history: PENDING, duplicate_window=0, rate=None,
                                now=T0 + timedelta(minutes=2 * i))
        if outcome.kind != "created":
            continue            # the same text under the same article: intake keeps one
        moderation.decide(outcome.comment.id, "bench", "reject" if example.abuse else "approve",
                          "abuse" if example.abuse else None,
                          now=T0 + timedelta(minutes=2 * i + 1))


def abuse_auc(model_path: Path, held_out) -> float:
    scorer = Scorer.load(model_path)
    proba = [s["abuse"] for s in scorer.score_many([e.text for e in held_out])]
    return round(float(roc_auc_score([e.abuse for e in held_out], proba)), 4)


def retrain(data: Path, url: str, out: Path) -> tuple[dict, float, str]:
    command = [sys.executable, "-m", "model.train", "--data", str(data), "--database-url", url,
               "--out", str(out), "--quiet"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    newest = artifact.versions(out)[-1]
    return newest, seconds, done.stdout


def plot(rows: list[dict], shipped: float, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([r["decisions"] for r in rows], [r["abuse_roc_auc"] for r in rows], "o-",
            label="retrained with the site's decisions")
    ax.axhline(shipped, color="grey", linestyle="--", label=f"shipped model ({shipped:.3f})")
    ax.set_xscale("log")
    ax.set_xticks([r["decisions"] for r in rows], [str(r["decisions"]) for r in rows])
    ax.set_xlabel("moderator decisions in the store (cumulative)")
    ax.set_ylabel("abuse ROC AUC, held-out articles")
    ax.set_title("Fox News comments: three articles never seen")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--batches", type=int, nargs="+", default=[100, 300, 1000],
                        help="cumulative decision counts after which to retrain")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)

    site, held_out = fox_comments(args.data)
    shipped_path = artifact.resolve(None)
    shipped = abuse_auc(shipped_path, held_out)
    print(f"held out: {len(held_out)} comments of 3 articles ({sum(e.abuse for e in held_out)} "
          f"abusive); site comments available: {len(site)}; shipped model: {shipped}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="learning-curve-") as tmp:
        tmp = Path(tmp)
        out = tmp / "artifacts"
        out.mkdir()
        for suffix in (".joblib", ".json"):
            shutil.copy(shipped_path.with_suffix(suffix), out / shipped_path.with_suffix(suffix).name)
        artifact.set_current(out, shipped_path.stem)
        url = f"sqlite:///{tmp / 'site.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        store, moderation = Store(engine), Moderation(engine)
        fed = 0
        for target in args.batches:
            feed(store, moderation, site[fed:target], fed)
            fed = target
            card, seconds, report = retrain(args.data, url, out)
            auc = abuse_auc(out / card["artifact"], held_out)
            promotion = card.get("promotion") or {}
            rows.append({"decisions": target, "trained_on": card["moderators"]["trained"],
                         "validated_on": card["moderators"]["recent"], "abuse_roc_auc": auc,
                         "shipped_abuse_roc_auc": shipped, "promoted": promotion.get("promoted"),
                         "gate": promotion.get("reasons"),
                         "gate_held_out_abuse": ((promotion.get("comparison") or {})
                                                 .get("held_out", {}).get("abuse")),
                         "training_seconds": round(seconds, 1)})
            print(json.dumps(rows[-1]))
            print(report, flush=True)
        engine.dispose()

    args.results.mkdir(parents=True, exist_ok=True)
    command = "python bench/learning_curve.py " + " ".join(argv if argv is not None else sys.argv[1:])
    (args.results / "learning_curve.json").write_text(json.dumps(
        {"command": command.strip(), "held_out_comments": len(held_out),
         "held_out_abusive": sum(e.abuse for e in held_out), "shipped_model": shipped_path.stem,
         "shipped_abuse_roc_auc": shipped, "runs": rows}, indent=2) + "\n")
    plot(rows, shipped, args.results / "learning_curve.png")
    print(f"{'decisions':>9} {'trained':>7} {'abuse AUC':>9} {'shipped':>8} {'promoted':>8}")
    for r in rows:
        print(f"{r['decisions']:>9} {r['trained_on']:>7} {r['abuse_roc_auc']:>9.4f} "
              f"{r['shipped_abuse_roc_auc']:>8.4f} {str(r['promoted']):>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
