"""Online-gambling promotion ("judol") in Indonesian comments: what a new site catches on day one,
and how fast its moderators' decisions teach the Indonesian layer.
``.venv/bin/python bench/judol.py`` (see bench/README.md, "Gambling promotion in Indonesian").

The set: ``gbennnn/judol-comment-classification`` at commit efabf6c,
``dataset/dataset_judol_labelled.csv`` (MIT; kept in ``../extra-data``, never in the
repository): 37,216 Indonesian YouTube comments, each labelled by hand as gambling promotion or
not, following the repository's guide (intent counts, not words: a comment that complains
about gambling ads or discusses the crackdown is not promotion). Measured only: neither the
shipped model nor any default was fitted on it.

1. **Day one.** Every comment through ``POST /api/comments`` on a fresh SQLite store with the
   shipped model and default settings, in the file's order, as one day's traffic (campaign
   copies meet the repeat rule as they would). Counted per label: published, held, rejected,
   and which rule held. The commenters' names are not sent: each comment gets a reader number.
2. **Learnt.** As ``bench/language_curve.py`` does for Portuguese: distinct texts shuffled
   (seed 2026), the last 5,000 never decided; 100, 300 and 1,000 decisions go into a fresh
   store as Indonesian comments (promotion rejected as spam, the rest approved); after each
   batch the Indonesian layer is updated by ``python -m model.site_update``'s function and
   judged by its gate. ROC AUC of its spam score on the unseen comments.

Writes ``bench/results/judol.json``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from learning_curve import Site, write_results  # noqa: E402
from model import Scorer, site_store  # noqa: E402
from model.site_update import update  # noqa: E402

SHA256 = "4a9555bb62998cf1d7aeae850dfd038a585e0caa2e91b954f9bad95163c317e9"
DEFAULT = ROOT.parent / "extra-data" / "judol-comment-classification" / "dataset_judol_labelled.csv"
UNSEEN = 5000
LANGUAGE = "id"


def judol(path: Path) -> list[tuple[str, int]]:
    """(text, 1 for promotion) per row, in the file's order."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{path}: sha256 {digest}, not dataset_judol_labelled.csv of efabf6c")
    with open(path, encoding="utf-8", newline="") as f:
        return [(r["comment_text"], int(r["label"])) for r in csv.DictReader(f)]


def _rule(reason: str) -> str | None:
    """Which kind of rule a reason is ("watched_term:maxwin" -> "watched_term"); None for notes."""
    kind = reason.split(":", 1)[0].split(">", 1)[0]
    return None if kind in ("language_unscored", "trusted") else kind


def day_one(rows: list[tuple[str, int]], tmp: Path, settings: dict[str, str]) -> dict:
    from service import create_app
    from service.storage.db import upgrade

    app = create_app({"MODERATION_DATABASE_URL": f"sqlite:///{tmp}/day-one.sqlite3",
                      "MODERATION_RATE_LIMIT": "off", "MODERATION_REQUEST_LOG": "false",
                      **settings}, instance_path=str(tmp))
    upgrade(app.extensions["store"].engine)
    client = app.test_client()
    counts = {0: Counter(), 1: Counter()}
    for n, (text, label) in enumerate(rows):
        response = client.post("/api/comments", json={
            "comment": text, "author": f"Pembaca {n}", "email": f"pembaca{n}@example.id",
            "comment_post_ID": f"video-{n // 500}"},
            environ_base={"REMOTE_ADDR": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"})
        answer = response.get_json()
        tally = counts[label]
        tally["comments"] += 1
        if response.status_code != 201:
            tally[f"refused {response.status_code}"] += 1
            continue
        tally[answer["status"]] += 1
        tally[f"language {answer['language']}"] += 1
        if answer["status"] != "published":
            for kind in {_rule(r) for r in answer["reasons"]} - {None}:
                tally[f"by {kind}"] += 1
    app.extensions["store"].engine.dispose()
    out = {}
    for label, name in ((0, "other comments"), (1, "gambling promotion")):
        tally = counts[label]
        n = tally["comments"]
        out[name] = {"comments": n, **{k: round(100 * v / n, 2) for k, v in sorted(tally.items())
                                       if k != "comments"}}
    return out


def curve(rows: list[tuple[str, int]], general: Scorer, batches: list[int], tmp: Path) -> list:
    distinct: dict[str, int] = {}
    for text, label in rows:
        distinct[text] = max(label, distinct.get(text, 0))
    texts = list(distinct)
    y = np.array([distinct[t] for t in texts])
    order = np.random.RandomState(2026).permutation(len(texts))
    decided, unseen = order[:-UNSEEN], order[-UNSEEN:]
    unseen_texts = [texts[i] for i in unseen]
    site, out = Site(tmp / "judol", language=LANGUAGE), []
    for n in batches:
        site.decide([(texts[i], "spam" if y[i] else None) for i in decided[site.fed:n]])
        result = update(site.engine, general, [], language=LANGUAGE)
        current = site_store.current(site.engine, LANGUAGE)
        served = (round(float(roc_auc_score(
            y[unseen], current[0].adjust(unseen_texts, None)[:, 0])), 4)
            if current is not None and "spam" in current[0].labels else 0.5)
        out.append({"decisions": n, "promotion_share": round(float(y[decided[:n]].mean()), 3),
                    "serving_spam_roc_auc": served, "promoted": result["promoted"],
                    "update_seconds": result["seconds"], "gate": result["reasons"]})
        print(json.dumps({k: v for k, v in out[-1].items() if k != "gate"}), flush=True)
    site.engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--judol", type=Path, default=DEFAULT,
                        help="dataset_judol_labelled.csv of gbennnn/judol-comment-classification")
    parser.add_argument("--batches", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--skip-day-one", action="store_true")
    parser.add_argument("--skip-curve", action="store_true")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the day-one site, e.g. MODERATION_HOLD_STYLED_LETTERS=false")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)

    rows = judol(args.judol)
    settings = dict(item.split("=", 1) for item in args.set)
    started = time.perf_counter()
    figures: dict = {"set": "gbennnn/judol-comment-classification @efabf6c (MIT)",
                     "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    with tempfile.TemporaryDirectory(prefix="judol-") as tmp:
        if not args.skip_day_one:
            figures["day_one"] = day_one(rows, Path(tmp), settings)
            figures["settings"] = settings
            print(json.dumps(figures["day_one"], indent=1), flush=True)
        if not args.skip_curve:
            figures["curve"] = curve(rows, Scorer.load(), args.batches, Path(tmp))
    figures["seconds"] = round(time.perf_counter() - started, 1)
    name = "judol.json" if not settings and not args.skip_day_one else "judol-variant.json"
    write_results(args.results / name, argv, figures, script="judol.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
