"""Language identification on short comments: accuracy, speed, and what it adds to intake
(issue 17, item 5). ``python bench/language_id.py`` (see bench/README.md).

Sets, read where they lie (nothing is copied into the repository):
- English: ucc-dev (Globe and Mail comments, ``../shared/data``; measured only, never fitted on);
- Indonesian: the comments written for the tests (``tests/indonesian_comments.py``: clean news
  comments, short ones and ones mixing Indonesian and English);
- Portuguese: ToLD-Br tweets (``../extra-data/told-br``, CC BY-SA 4.0) when present: a third
  language that must be neither English nor Indonesian.

Each identifier is asked for one language per comment. "right" is the comment's language, "unknown"
an abstention, "wrong" another language (the harmful answer: an Indonesian comment called English
would be scored by the English heads). Short and mixed comments are right when unknown.

Speed, all in one run so the ratios hold under the same machine noise: the median time per comment
of each identifier, of the English heads scoring one comment (`Scorer.score`, intake's other
per-comment model cost), and of a whole `POST /api/comments` through the app with the identifier
in place and with it replaced by one that answers "en" at once (alternating, on one SQLite store).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from indonesian_comments import CLEAN, MIXED, SHORT  # noqa: E402
from service import config  # noqa: E402
from service.decisions.language import UNKNOWN, Identifier, plainly_english  # noqa: E402

DEFAULT = config.parse_languages(
    next(s.default for s in config.SETTINGS if s.name == "MODERATION_LANGUAGES"))
BUCKETS = ((0, 60), (61, 140), (141, 10**9))


def load_sets(shared: Path, extra: Path, n: int) -> dict[str, list[tuple[str, str]]]:
    """{set name: [(text, expected answer)]}."""
    with open(shared / "ucc-dev" / "val.csv", encoding="utf-8", newline="") as f:
        english = [row["comment"] for row in csv.DictReader(f)][:n]
    sets = {"en (ucc-dev)": [(text, "en") for text in english],
            "id (clean)": [(text, "id") for text in CLEAN],
            "short (id)": [(text, UNKNOWN) for text in SHORT],
            "mixed id/en": [(text, UNKNOWN) for text in MIXED]}
    told_br = extra / "told-br" / "ToLD-BR.csv"
    if told_br.exists():
        with open(told_br, encoding="utf-8", newline="") as f:
            sets["pt (ToLD-Br)"] = [(row["text"], "pt") for row in csv.DictReader(f)][:n]
    return sets


def lingua_identifier():
    """lingua-language-detector over the same candidates, when installed (not a dependency)."""
    try:
        from lingua import IsoCode639_1, LanguageDetectorBuilder
    except ImportError:
        return None
    # lingua has no Javanese: the others.
    languages = [getattr(IsoCode639_1, code.upper()) for code in DEFAULT
                 if hasattr(IsoCode639_1, code.upper())]
    detector = LanguageDetectorBuilder.from_iso_codes_639_1(*languages) \
        .with_preloaded_language_models().build()

    def identify(text: str) -> str:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else UNKNOWN
    return identify


def identifiers() -> dict:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    package = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    package.set_languages(list(DEFAULT))
    out = {
        "service default (13 candidates, rules)": Identifier(DEFAULT).identify,
        "service default without the plain-English shortcut":
            Identifier(DEFAULT, shortcut=False).identify,
        "service, en+id only": Identifier(("en", "id")).identify,
        "service, all 140 languages": Identifier(()).identify,
        "service default, with ms": Identifier(DEFAULT + ("ms",)).identify,
        "py3langid classify, 13 candidates, no rules": lambda text: package.classify(text)[0],
    }
    lingua = lingua_identifier()
    if lingua is not None:
        out["lingua 2.1.1, 12 candidates (no jv), no rules"] = lingua
    return out


def accuracy(identify, sets) -> dict:
    out = {}
    for name, rows in sets.items():
        answers = [(text, expected, identify(text)) for text, expected in rows]
        result = {"n": len(rows)}
        for low, high in BUCKETS:
            bucket = [(e, a) for text, e, a in answers if low <= len(text) <= high]
            if bucket:
                result[f"{low}-{high if high < 10**9 else ''} chars"] = _counts(bucket)
        result["all"] = _counts([(e, a) for _, e, a in answers])
        out[name] = result
    return out


def _counts(pairs) -> dict:
    n = len(pairs)
    return {"n": n, "right": round(sum(a == e for e, a in pairs) / n, 4),
            "unknown": round(sum(a == UNKNOWN != e for e, a in pairs) / n, 4),
            "wrong": round(sum(a not in (e, UNKNOWN) for e, a in pairs) / n, 4)}


def median_us(fn, texts, repeat: int = 3) -> float:
    """Median over texts of the best of `repeat` timings of fn(text), in microseconds."""
    best = []
    for text in texts:
        samples = []
        for _ in range(repeat):
            start = time.perf_counter_ns()
            fn(text)
            samples.append(time.perf_counter_ns() - start)
        best.append(min(samples))
    return statistics.median(best) / 1000


class _English:
    """Intake without identification: every comment is English, answered at once."""

    languages = DEFAULT

    def identify(self, text: str) -> str:
        return "en"


class _Timed:
    """An identifier that keeps how long each of its answers took, inside the requests."""

    def __init__(self, inner) -> None:
        self.inner, self.languages, self.ns = inner, DEFAULT, []

    def identify(self, text: str) -> str:
        start = time.perf_counter_ns()
        answer = self.inner.identify(text)
        self.ns.append(time.perf_counter_ns() - start)
        return answer


def intake_us(texts: list[str], rounds: int) -> dict:
    """Median wall time of POST /api/comments with the service's identification, with the model
    alone (no plain-English shortcut), and without identification, taking turns; and the median
    time of the identification call itself inside those requests."""
    from threadpoolctl import threadpool_limits

    from service import create_app

    threadpool_limits(1)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"MODERATION_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
                          "MODERATION_RATE_LIMIT": "off", "MODERATION_REQUEST_LOG": "false",
                          "MODERATION_DUPLICATE_WINDOW_SECONDS": "0",
                          # each text is posted once per arm and round: not a campaign
                          "MODERATION_REPEAT_LIMIT": "off"}, instance_path=tmp)
        from service.storage.db import upgrade
        upgrade(app.extensions["store"].engine)
        client = app.test_client()
        arms = {"with identification": _Timed(app.extensions["language"]),
                "with identification, model only": _Timed(Identifier(DEFAULT, shortcut=False)),
                "without (every comment English)": _English()}
        times = {label: [] for label in arms}
        order = list(arms)
        for round_ in range(rounds):
            for n, text in enumerate(texts):
                # Each goes first in turn: the first of a group paid more than the others
                # whichever it was (0.3-0.5 ms, measured when "with" always went first).
                order = order[1:] + order[:1]
                for label in order:
                    app.extensions["language"] = arms[label]
                    body = {"comment": text, "author": f"R{round_}-{n}",
                            "email": f"r{round_}-{n}@example.org",
                            "comment_post_ID": f"bench-{list(arms).index(label)}"}
                    start = time.perf_counter_ns()
                    response = client.post("/api/comments", json=body)
                    times[label].append(time.perf_counter_ns() - start)
                    assert response.status_code == 201, response.get_json()
        app.extensions["store"].engine.dispose()
    out = {label: round(statistics.median(values) / 1000, 1) for label, values in times.items()}
    for label, arm in arms.items():
        if isinstance(arm, _Timed):
            out[f"{label}: the call itself"] = round(statistics.median(arm.ns) / 1000, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--extra", type=Path, default=ROOT.parent / "extra-data")
    parser.add_argument("-n", type=int, default=1000, help="comments per corpus set")
    parser.add_argument("--rounds", type=int, default=2, help="intake rounds over the texts")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "language_id.json")
    args = parser.parse_args()

    sets = load_sets(args.shared, args.extra, args.n)
    candidates = identifiers()
    result = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "load": os.getloadavg()[0], "candidates": list(DEFAULT), "accuracy": {},
              "speed_us": {}}
    for name, identify in candidates.items():
        result["accuracy"][name] = accuracy(identify, sets)
        print(name, json.dumps({k: v["all"] for k, v in result["accuracy"][name].items()}))

    from threadpoolctl import threadpool_limits

    from model import Scorer
    threadpool_limits(1)
    timed = [text for text, _ in sets["en (ucc-dev)"][:300]] + CLEAN
    speed = {name: round(median_us(identify, timed), 1) for name, identify in candidates.items()}
    scorer = Scorer.load()
    speed["baseline: English heads scoring one comment"] = round(median_us(scorer.score, timed), 1)
    speed["baseline: a 100-byte Python loop"] = round(median_us(
        lambda text: [byte + 1 for byte in text.encode()[:100]], timed), 2)
    result["speed_us"] = speed
    result["intake_us"] = intake_us(timed[::4], args.rounds)
    for label in ("with identification", "with identification, model only"):
        result["intake_us"][f"{label}: adds"] = round(
            result["intake_us"][label] - result["intake_us"]["without (every comment English)"], 1)
    result["plain_english_share"] = {
        name: round(sum(plainly_english(text) for text, _ in rows) / len(rows), 3)
        for name, rows in sets.items()}
    print(json.dumps(result["speed_us"], indent=1), json.dumps(result["intake_us"], indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
