"""Make a saved version current: ``python -m model.promote VERSION [--out DIR]``.

The operator's override of the promotion gate (``model/gate.py``): the pointer moves atomically,
HISTORY.jsonl records it, and the version's card notes that it was promoted by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model import artifact


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.promote", description=__doc__.split("\n")[0])
    parser.add_argument("version", help="the version to make current, e.g. moderation-20261124-171743")
    parser.add_argument("--out", type=Path, default=artifact.DEFAULT_DIR,
                        help="artifact folder (default: model/artifacts)")
    parser.add_argument("--reason", default="promoted by hand (python -m model.promote)")
    args = parser.parse_args(argv)
    stem = Path(args.version).stem if args.version.endswith((".joblib", ".json")) else args.version
    try:
        card = artifact.read_card(args.out / f"{stem}.joblib")
        previous = artifact.promote(args.out, stem, args.reason)
    except artifact.ArtifactError as exc:
        print(f"not promoted: {exc}", file=sys.stderr)
        return 1
    promotion = card.get("promotion") or {}
    artifact.update_card(args.out, stem, promotion={
        **promotion, "promoted": True,
        "reasons": [args.reason] + [f"gate at training time: {r}" for r in promotion.get("reasons", [])]})
    print(f"{stem} is now current (was {previous})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
