"""Labelled examples from the public corpora in ``../shared/data`` and from moderators' decisions.

Every example carries two labels, ``spam`` and ``abuse``; a label a source says nothing about is
``None`` and that head does not train on the example. Each example also has a fixed ``split``
("train" or "test") so that the held-out rows never change between runs: evaluation and the
promotion gate of later versions compare models on the same rows.

Splits:
- YouTube spam: all "train"; evaluation rotates over the four videos (leave one video out).
- Davidson and OLID: 20% "test", chosen by a hash of the row id (stratified in expectation).
- Fox News comments: the comments under three of the ten articles are "test", so the held-out
  figure measures comments on stories the model never saw.
- Toxic spans (Civil Comments, news-site readers): the train file is "train", the trial file
  "test". Every comment is toxic; each one whose annotators marked spans also yields its
  counterfactual, the same comment with the marked words cut out, as a clean example. The pair
  teaches the model which words made the comment toxic, not that news-shaped text is toxic, and
  keeps the group names and topics of the comment on the clean side as often as on the toxic one.

Found corpora (``FOUND_SOURCES``), read from ``--found-data`` when present (the README's data
section says where each file comes from): Wikipedia talk-page comments (CAT-LARGE, Apache-2.0,
text CC BY-SA), mostly civil discussion; SMS spam (UCI, CC BY 4.0), whose spam rows are the prize
and phone-number scams that also reach comment forms.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

FOX_TEST_ARTICLES = (
    "Navy names ship after gay rights advocate Harvey Milk",
    "First lady Obama takes swipe at Trump",
    "States moving to restore work requirements for food stamp recipients",
)

# Twitter conventions that do not occur in a news site's comments. Removing them at load time keeps
# the model from learning "tweet-shaped" as a label signal (see the data README's caveats).
_RT_RE = re.compile(r"^(?:\s*!+)?\s*RT\s+@\w+:?\s*|\bRT\s+@\w+:?")
_OLID_URL_RE = re.compile(r"\bURL\b")
# Twitter appends its own t.co link to most tweets with media; it says nothing about the author,
# and left in, it would teach the spam head that a shortened link is a sign of an ordinary comment.
_TCO_RE = re.compile(r"https?://t(?:\.co?)?(?:/\S*|&#8230;\S*|\S*…)|https?://&#8230;|https?://…")


@dataclass
class Example:
    text: str
    spam: int | None
    abuse: int | None
    source: str                 # corpus name, e.g. "youtube:Psy", "olid", "moderators"
    split: str = "train"
    group: str = ""             # the unit that must not straddle folds (video, article, commenter)
    weight: float = 1.0         # relative weight within its source (folded duplicates share one)
    decided_at: datetime | None = None   # moderators' decisions: when, for train-on-older splits
    comment_id: int | None = None
    spans: tuple[tuple[int, int], ...] | None = None  # toxic character ranges, where annotated
    website: str = ""           # moderators' decisions: the author's website field (model.context)


@dataclass
class Corpus:
    name: str
    path: Path
    examples: list[Example] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def _held_out(key: str, share: float = 0.2) -> bool:
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 2 ** 32 < share


def _youtube(path: Path) -> list[Example]:
    video = path.stem.split("-", 1)[-1]
    with path.open(encoding="utf-8", newline="") as f:
        return [
            Example(text=row["CONTENT"].replace("\ufeff", "").strip(), spam=int(row["CLASS"]),
                    abuse=0, source=f"youtube:{video}", group=f"youtube:{video}")
            for row in csv.DictReader(f)
        ]


def _davidson(path: Path) -> list[Example]:
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = _TCO_RE.sub(" ", _RT_RE.sub(" ", row["tweet"])).strip()
            rid = row[""]
            out.append(Example(text=text, spam=0, abuse=int(row["class"] in ("0", "1")),
                               source="davidson", group=f"davidson:{rid}",
                               split="test" if _held_out(f"davidson:{rid}") else "train"))
    return out


def _olid(path: Path) -> list[Example]:
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            text = _OLID_URL_RE.sub(" ", row["tweet"]).strip()
            out.append(Example(text=text, spam=0, abuse=int(row["subtask_a"] == "OFF"),
                               source="olid", group=f"olid:{row['id']}",
                               split="test" if _held_out(f"olid:{row['id']}") else "train"))
    return out


def _fox(path: Path) -> list[Example]:
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            title = row["title"]
            out.append(Example(text=row["text"].strip(), spam=0, abuse=int(row["label"]),
                               source="fox", group=f"fox:{title}",
                               split="test" if title in FOX_TEST_ARTICLES else "train"))
    return out


def span_ranges(offsets: list[int]) -> tuple[tuple[int, int], ...]:
    """Character offsets [3, 4, 5, 9] -> ranges ((3, 6), (9, 10))."""
    out: list[list[int]] = []
    for i in sorted(set(offsets)):
        if out and i == out[-1][1]:
            out[-1][1] = i + 1
        else:
            out.append([i, i + 1])
    return tuple((a, b) for a, b in out)


_SPACES_RE = re.compile(r"[ \t]+")
# A counterfactual shorter than this is mostly the insult it lost ("You [idiot]."), not a comment.
COUNTERFACTUAL_MIN_WORDS = 3
# A counterfactual weighs less than a real comment: what is left after the cut can still be
# hostile without a single rude word ("you have no idea"), which annotators rarely mark.
COUNTERFACTUAL_WEIGHT = 0.4


def without_spans(text: str, spans) -> str:
    """``text`` with the character ranges ``spans`` cut out and the spaces they leave folded."""
    pieces, last = [], 0
    for a, b in spans:
        pieces.append(text[last:a])
        last = b
    pieces.append(text[last:])
    return _SPACES_RE.sub(" ", "".join(pieces)).strip()


_WORD_RE = re.compile(r"\w+")


def sparing_group_names(text: str, spans) -> tuple[tuple[int, int], ...]:
    """``spans`` less the words in them that name a group (``model/identity.py``): annotators
    mark "stupid gays" whole, and a counterfactual that cut the group's name too would teach the
    model that the name, not the insult, made the comment toxic."""
    from model.identity import TERM_SET

    out = []
    for a, b in spans:
        start = a
        for m in _WORD_RE.finditer(text, a, b):
            if m.group(0).lower() in TERM_SET:
                if m.start() > start:
                    out.append((start, m.start()))
                start = m.end()
        if b > start:
            out.append((start, b))
    return tuple(out)


def _toxic_spans(path: Path) -> list[Example]:
    split = "test" if "trial" in path.stem else "train"
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.DictReader(f)):
            text, spans = row["text"], span_ranges(json.loads(row["spans"]))
            group = f"toxicspans:{path.stem}:{n}"
            out.append(Example(text=text, spam=0, abuse=1, source="toxicspans", split=split,
                               group=group, spans=spans))
            if spans:
                clean = without_spans(text, sparing_group_names(text, spans))
                if len(clean.split()) >= COUNTERFACTUAL_MIN_WORDS:
                    out.append(Example(text=clean, spam=0, abuse=0, source="toxicspans",
                                       split=split, group=group, spans=(),
                                       weight=COUNTERFACTUAL_WEIGHT))
    return out


def _wikitalk(path: Path) -> list[Example]:
    # Held out by row id, like the tweet corpora; the "api" column is a Perspective score, not a
    # label, and is never read.
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.DictReader(f)):
            key = f"wikitalk:{path.stem}:{row.get('id') or n}"
            out.append(Example(text=row["text"].strip(), spam=0,
                               abuse=int(float(row["label"]) >= 0.5), source="wikitalk",
                               group=key, split="test" if _held_out(key) else "train"))
    return out


def _sms_spam(path: Path) -> list[Example]:
    # Spam rows only: SMS ham is chat between friends, nothing like a reader's comment.
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)):
            if len(row) == 2 and row[0] == "spam":
                key = f"sms:{n}"
                out.append(Example(text=row[1].strip(), spam=1, abuse=None, source="sms",
                                   group=key, split="test" if _held_out(key) else "train"))
    return out


# folder name -> (file pattern, reader)
_SOURCES = {
    "youtube-spam": ("Youtube*.csv", _youtube),
    "davidson-hate-offensive": ("labeled_data.csv", _davidson),
    "olid": ("olid-training-v1.0.tsv", _olid),
    "fox-news-comments": ("fox-news-comments.csv", _fox),
    "toxic-spans": ("tsd_*.csv", _toxic_spans),
}
# Permissively licensed files found in public repositories (README, "Data"): not in ../shared,
# so training uses them when ``--found-data`` holds them and says so on the card when not.
FOUND_SOURCES = {
    "cat-large-wikitalk": ("g[nc].csv", _wikitalk),
    "sms-spam-collection": ("SMSSpamCollection", _sms_spam),
}


def default_data_dir() -> Path:
    """``../shared/data`` beside the project root, which the data README promises."""
    return Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def default_found_dir() -> Path:
    """``../extra-data`` beside the project root: where the found corpora are kept (README)."""
    return Path(__file__).resolve().parent.parent.parent / "extra-data"


def _read(data_dir: Path, sources: dict) -> list[Corpus]:
    corpora = []
    for folder, (pattern, reader) in sources.items():
        for path in sorted((data_dir / folder).glob(pattern)):
            # A folder of several files names each one (a card row per file).
            name = f"{folder}/{path.stem}" if any(c in pattern for c in "*?[") else folder
            corpora.append(Corpus(name=name, path=path, examples=reader(path)))
    return corpora


def load_corpora(data_dir: Path | str | None = None,
                 found_dir: Path | str | None = None) -> list[Corpus]:
    """Read every known corpus found under ``data_dir`` (and the found corpora under
    ``found_dir``, if given and present); raise if ``data_dir`` holds none."""
    data_dir = Path(data_dir) if data_dir else default_data_dir()
    corpora = _read(data_dir, _SOURCES)
    if not corpora:
        raise FileNotFoundError(
            f"no corpora under {data_dir}: expected folders {', '.join(_SOURCES)}")
    if found_dir is not None and Path(found_dir).is_dir():
        corpora += _read(Path(found_dir), FOUND_SOURCES)
    return corpora


def examples_of(corpora: list[Corpus]) -> list[Example]:
    return [e for c in corpora for e in c.examples if e.text]
