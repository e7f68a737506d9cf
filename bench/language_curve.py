"""Does the service learn a language it was never taught, from its moderators alone?
``.venv/bin/python bench/language_curve.py --told-br PATH/ToLD-BR.csv``

Issue 17, item 5. The set: ToLD-Br (Leite et al., AACL 2020; ``JAugusto97/ToLD-Br`` at commit
7804082, CC BY-SA 4.0), 21,000 Brazilian Portuguese tweets, each flagged by three annotators
for six kinds of toxicity. A tweet counts as abusive when any annotator flagged it (the
dataset's own "1 annotator" binary set, the one its paper's headline figures use). The shipped
model has learnt no Portuguese: before any decision, Portuguese comments are decided by the
rules alone.

Decisions go in as a site's would (``bench/learning_curve.py``'s ``Site``): each tweet through
intake into a real SQLite store as a comment identified as Portuguese, then decided with the
review page's verb; after 100, 300, 1,000 and 2,000 decisions (cumulative) the Portuguese layer
is updated by the function ``python -m model.site_update`` runs, judged by its gate and, if
promoted, stored as current. The last 5,000 tweets of the shuffled set (seed 2026) are never
decided: ROC AUC is measured on them, for the layer serving (0.5 while none does) and for the
newest candidate whether promoted or not.

Also measured: the share of the tweets the service's language identification calls Portuguese
(the others would reach English's policy or "unknown", not this layer).

Writes ``bench/results/language_curve.json``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from learning_curve import Site, write_results  # noqa: E402
from model import Scorer, site_store  # noqa: E402
from model.site_update import update  # noqa: E402
from service import config  # noqa: E402
from service.decisions.language import Identifier  # noqa: E402

SHA256 = "a905b90d5886b9c80d737aa26c41dd29077155f23b9b857080634a78f8203c90"
CATEGORIES = ("homophobia", "obscene", "insult", "racism", "misogyny", "xenophobia")
UNSEEN = 5000
LANGUAGE = "pt"


def told_br(path: Path) -> tuple[list[str], np.ndarray]:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{path}: sha256 {digest}, not the ToLD-BR.csv of commit 7804082")
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return ([r["text"] for r in rows],
            np.array([int(max(float(r[c]) for c in CATEGORIES) >= 1) for r in rows]))


def newest_layer(engine):
    """The newest Portuguese layer, promoted or refused, and whether it serves."""
    rows = site_store.by_language(engine).get(LANGUAGE, {})
    latest = rows.get("latest")
    if latest is None:
        return None, False
    return site_store.load(engine, latest.id)[0], latest.state == "current"


def curve(texts, y, general, batches, tmp: Path) -> list[dict]:
    order = np.random.RandomState(2026).permutation(len(texts))
    decided, unseen = order[:-UNSEEN], order[-UNSEEN:]
    unseen_texts = [texts[i] for i in unseen]
    site, rows = Site(tmp / "told-br", language=LANGUAGE), []
    for n in batches:
        site.decide([(texts[i], "abuse" if y[i] else None) for i in decided[site.fed:n]])
        result = update(site.engine, general, [], language=LANGUAGE)
        layer, serving = newest_layer(site.engine)
        candidate = (round(float(roc_auc_score(y[unseen], layer.adjust(unseen_texts, None)[:, 1])),
                           4) if layer is not None and "abuse" in layer.labels else None)
        current = site_store.current(site.engine, LANGUAGE)
        served = (round(float(roc_auc_score(
            y[unseen], current[0].adjust(unseen_texts, None)[:, 1])), 4)
            if current is not None and "abuse" in current[0].labels else 0.5)
        gate = result["labels"].get("abuse", {}).get("site", {})
        rows.append({"decisions": n, "abusive_share": round(float(y[decided[:n]].mean()), 3),
                     "serving_roc_auc": served, "candidate_roc_auc": candidate,
                     "cross_validated_roc_auc": gate.get("new"), "promoted": result["promoted"],
                     "update_seconds": result["seconds"], "gate": result["reasons"]})
        print(json.dumps({k: v for k, v in rows[-1].items() if k != "gate"}), flush=True)
    site.engine.dispose()
    return rows


def identified(texts: list[str]) -> dict:
    identifier = Identifier(config.parse_languages(
        next(s.default for s in config.SETTINGS if s.name == "MODERATION_LANGUAGES")))
    answers = [identifier.identify(t) for t in texts]
    return {"comments": len(texts),
            "portuguese": round(answers.count(LANGUAGE) / len(texts), 3),
            "unknown": round(answers.count("unknown") / len(texts), 3),
            "english": round(answers.count("en") / len(texts), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--told-br", type=Path, required=True,
                        help="ToLD-BR.csv from github.com/JAugusto97/ToLD-Br at commit 7804082")
    parser.add_argument("--batches", type=int, nargs="+", default=[100, 300, 1000, 2000])
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)

    texts, y = told_br(args.told_br)
    general = Scorer.load()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="language-curve-") as tmp:
        rows = curve(texts, y, general, args.batches, Path(tmp))
    language_id = identified(texts)
    print(json.dumps(language_id))
    write_results(args.results / "language_curve.json", argv,
                  {"set": "ToLD-Br @7804082, any annotator's flag = abusive", "unseen": UNSEEN,
                   "curve": rows, "identified": language_id,
                   "seconds": round(time.perf_counter() - started, 1)})
    print(f"{'decisions':>9} {'serving':>8} {'candidate':>9} {'promoted':>8}")
    for r in rows:
        print(f"{r['decisions']:>9} {r['serving_roc_auc']:>8.4f} "
              f"{r['candidate_roc_auc'] or 0:>9.4f} {str(r['promoted']):>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
