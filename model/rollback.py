"""Go back to the version that was current before: ``python -m model.rollback [--out DIR]``.

"Before" is read from HISTORY.jsonl as a stack, so two rollbacks go two versions back; without a
history, the current card's parent. The pointer moves atomically and the history records it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model import artifact


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.rollback", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=artifact.DEFAULT_DIR,
                        help="artifact folder (default: model/artifacts)")
    parser.add_argument("--reason", default="rolled back by hand (python -m model.rollback)")
    args = parser.parse_args(argv)
    try:
        now, was = artifact.rollback(args.out, args.reason)
    except artifact.ArtifactError as exc:
        print(f"not rolled back: {exc}", file=sys.stderr)
        return 1
    print(f"{now} is current again (was {was})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
