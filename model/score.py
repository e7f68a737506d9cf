"""Score comments in bulk: ``python -m model.score < comments.jsonl > scores.jsonl``.

Reads JSON Lines on stdin, one object per line with the comment under ``"text"`` (or
``"comment"``), and writes one JSON object per input line, in the same order: ``{"spam": p,
"abuse": p}``, plus ``"id"`` when the input had one and ``"reasons"`` with ``--explain``. A blank or
malformed line gets ``{"error": "...", "line": N}`` in its place, so the output stays aligned with
the input and one bad line does not stop a back-fill of a million comments.
"""

from __future__ import annotations

import argparse
import json
import sys
from itertools import islice

from model.artifact import ArtifactError
from model.scoring import Scorer

BATCH = 2048


def parse_line(line: str) -> tuple[str | None, object, str | None]:
    """``(text, id, error)`` of one input line."""
    if not line.strip():
        return None, None, "blank line"
    try:
        obj = json.loads(line)
    except ValueError as exc:
        return None, None, f"not JSON: {exc.msg}"
    if not isinstance(obj, dict):
        return None, None, "expected a JSON object"
    text = obj.get("text", obj.get("comment"))
    if not isinstance(text, str):
        return None, obj.get("id"), 'expected a string under "text" or "comment"'
    return text, obj.get("id"), None


def score_lines(scorer: Scorer, lines, explain: bool = False, start: int = 1):
    """Yield one output dict per input line (the batch worker of ``main``)."""
    parsed = [parse_line(line) for line in lines]
    good = [text for text, _, error in parsed if error is None]
    scores = iter(scorer.score_many(good))
    for n, (text, ident, error) in enumerate(parsed, start):
        out: dict = {} if ident is None else {"id": ident}
        if error is not None:
            out.update(error=error, line=n)
        else:
            out.update({k: round(v, 6) for k, v in next(scores).items()})
            if explain:
                out["reasons"] = scorer.explain(text)
        yield out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.score", description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None,
                        help="artifact file or folder (default: the shipped current version)")
    parser.add_argument("--explain", action="store_true", help="add the words behind each score")
    args = parser.parse_args(argv)
    try:
        scorer = Scorer.load(args.model)
    except ArtifactError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stdin = sys.stdin
    line_no = 1
    while batch := list(islice(stdin, BATCH)):
        for out in score_lines(scorer, batch, args.explain, line_no):
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        line_no += len(batch)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
