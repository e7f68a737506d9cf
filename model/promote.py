"""Make a saved version current: ``python -m model.promote VERSION [--out DIR]``.

The operator's override of the promotion gate (``model/gate.py``): the pointer of the configured
model store moves (``model/model_store.py``: MODERATION_MODEL_STORE, or the directory ``--out``
names), the history records it, and the version's card notes that it was promoted by hand. Every
worker on every host that follows the store switches at its next check.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model import model_store


def promote_by_hand(store, stem: str, reason: str) -> str | None:
    """Make ``stem`` current in ``store`` whatever the gate said at training time, and say so on
    its card; the version current before. Shared by this command and the models page."""
    card = store.read_card(stem)
    previous = store.promote(stem, reason)
    promotion = card.get("promotion") or {}
    store.update_card(stem, promotion={
        **promotion, "promoted": True,
        "reasons": [reason] + [f"gate at training time: {r}" for r in promotion.get("reasons", [])]})
    return previous


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.promote", description=__doc__.split("\n")[0])
    parser.add_argument("version", help="the version to make current, e.g. moderation-20261124-171743")
    parser.add_argument("--out", type=Path, default=None,
                        help="artifact folder to use instead of the configured store "
                             "(MODERATION_MODEL_STORE; default model/artifacts)")
    parser.add_argument("--reason", default="promoted by hand (python -m model.promote)")
    args = parser.parse_args(argv)
    stem = Path(args.version).stem if args.version.endswith((".joblib", ".json")) else args.version
    store = model_store.configured(out=args.out)
    try:
        previous = promote_by_hand(store, stem, args.reason)
    except model_store.STORE_ERRORS as exc:
        print(f"not promoted: {model_store.failure(exc)}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"{stem} is now current (was {previous}), in {store}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
