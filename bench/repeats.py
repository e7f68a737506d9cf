"""What the repeat rule (MODERATION_REPEAT_LIMIT, default 3/day) would hold on the public corpora:
each file read in its own order as the comments of one day (an upper bound: a real day's window
holds far fewer comments), every row from a different commenter, the third and later copy of a
text key (service.decisions.rules.repeat_key) held.

    .venv/bin/python bench/repeats.py            # writes bench/results/repeats.json

Clean rows held are the rule's cost; spam or abusive rows held are what it catches, whether or
not the classifier already does.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.decisions.rules import repeat_key  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
FOUND = ROOT.parent / "extra-data"
LIMIT = 3


def _youtube():
    for path in sorted((DATA / "youtube-spam").glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as f:
            yield path.stem, [(r["CONTENT"], int(r["CLASS"])) for r in csv.DictReader(f)]


def _corpora():
    yield from _youtube()
    with open(DATA / "ucc-dev" / "val.csv", encoding="utf-8", newline="") as f:
        yield "ucc-dev", [(r["comment"], int(r["hostile"] == "1" or r["antagonize"] == "1"))
                          for r in csv.DictReader(f)]
    with open(DATA / "fox-news-comments" / "fox-news-comments.csv", encoding="utf-8",
              newline="") as f:
        yield "fox-news-comments", [(r["text"], int(r["label"])) for r in csv.DictReader(f)]
    with open(DATA / "toxic-spans" / "tsd_train.csv", encoding="utf-8", newline="") as f:
        yield "toxic-spans (all toxic)", [(r["text"], 1) for r in csv.DictReader(f)]
    sms = FOUND / "sms-spam-collection" / "SMSSpamCollection"
    if sms.exists():
        rows = [line.split("\t", 1) for line in sms.read_text(encoding="utf-8").splitlines()]
        yield "sms-spam-collection", [(text, int(label == "spam")) for label, text in rows]
    for name in ("gn", "gc"):
        path = FOUND / "cat-large-wikitalk" / f"{name}.csv"
        if path.exists():
            with open(path, encoding="utf-8", newline="") as f:
                reader = csv.DictReader(f)
                text_col = "text" if "text" in reader.fieldnames else reader.fieldnames[0]
                label_col = next((c for c in ("label", "toxic", "toxicity")
                                  if c in reader.fieldnames), None)
                rows = [(r[text_col], int(float(r[label_col]) >= 0.5) if label_col else 0)
                        for r in reader]
            yield f"cat-large-wikitalk {name}", rows


def held_by_repeats(texts: list[str]) -> list[bool]:
    seen: Counter = Counter()
    held = []
    for text in texts:
        key = repeat_key(text)
        held.append(key is not None and seen[key] + 1 >= LIMIT)
        if key is not None:
            seen[key] += 1
    return held


def main() -> None:
    results = {}
    print("| corpus | rows | clean held | spam or abusive held |")
    print("|---|---:|---:|---:|")
    for name, rows in _corpora():
        held = held_by_repeats([text for text, _ in rows])
        clean = [h for h, (_, y) in zip(held, rows) if y == 0]
        bad = [h for h, (_, y) in zip(held, rows) if y == 1]
        results[name] = {"rows": len(rows), "clean": len(clean), "clean_held": sum(clean),
                         "positive": len(bad), "positive_held": sum(bad)}
        print(f"| {name} | {len(rows):,} | {sum(clean)} of {len(clean):,} "
              f"({sum(clean) / max(len(clean), 1):.2%}) | {sum(bad)} of {len(bad):,} "
              f"({sum(bad) / max(len(bad), 1):.1%}) |")
    out = ROOT / "bench" / "results" / "repeats.json"
    out.write_text(json.dumps({"limit": LIMIT, "corpora": results}, indent=1) + "\n")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
