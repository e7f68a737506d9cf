"""Go back to the version that was current before: ``python -m model.rollback [--out DIR]``.

"Before" is read from the store's history as a stack, so two rollbacks go two versions back;
without a history, the current card's parent. The store is the configured one
(``model/model_store.py``: MODERATION_MODEL_STORE) or the directory ``--out`` names; its pointer
moves atomically, the history records it, and every host following the store switches back.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model import model_store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.rollback", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=None,
                        help="artifact folder to use instead of the configured store "
                             "(MODERATION_MODEL_STORE; default model/artifacts)")
    parser.add_argument("--reason", default="rolled back by hand (python -m model.rollback)")
    args = parser.parse_args(argv)
    store = model_store.configured(out=args.out)
    try:
        now, was = store.rollback(args.reason)
    except model_store.STORE_ERRORS as exc:
        print(f"not rolled back: {model_store.failure(exc)}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"{now} is current again (was {was}), in {store}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
