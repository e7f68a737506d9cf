"""What the model store says about the model versions: their cards, the pointer to the one in
service and the promotion history, read for the moderators' model page.

The store (`model.model_store`: an artifact directory, or the service's database) is written by
the model package (`model.train`, `model.promote`, `model.rollback`) and the page's buttons; this
module only reads it. A directory is read tolerantly: a card without the newer
keys (`parent`, `promotion`), a missing `HISTORY.jsonl` or a line of it that does not parse
leave a gap on the page, never an error. Layout::

    <stem>.joblib, <stem>.json   an artifact and its card
    CURRENT                      the stem in service
    HISTORY.jsonl                one JSON object a line: {"at", "action" ("promote",
                                 "rollback" or "refused"), "version", "previous", "reason"}
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from model.model_store import DirectoryStore

log = logging.getLogger(__name__)

POINTER = "CURRENT"
HISTORY = "HISTORY.jsonl"


@dataclass(frozen=True)
class Metric:
    split: str  # "held_out", "out_of_fold", or whatever the card names
    label: str  # "spam", "abuse"
    source: str  # the corpus or "moderators"; "" when the card gives one figure per label
    roc_auc: float


@dataclass(frozen=True)
class HistoryEntry:
    at: str
    action: str
    version: str
    previous: str | None
    reason: str


@dataclass(frozen=True)
class Version:
    stem: str
    card: dict = field(default_factory=dict)  # {} when there is no readable card
    problem: str | None = None  # why the card could not be read

    @property
    def created_at(self) -> str | None:
        return self.card.get("created_at")

    @property
    def parent(self) -> str | None:
        return self.card.get("parent")

    @property
    def promotion(self) -> dict | None:
        promotion = self.card.get("promotion")
        return promotion if isinstance(promotion, dict) else None

    @property
    def metrics(self) -> list[Metric]:
        return card_metrics(self.card)


@dataclass(frozen=True)
class Registry:
    where: str  # the store, in words: "the artifact directory ...", "the database ..."
    current: str | None  # the pointer's stem, None when there is none
    versions: list[Version]  # oldest first
    history: list[HistoryEntry]  # oldest first
    problems: list[str]  # lines of the history or cards that could not be read

    def last_made_current(self, stem: str) -> HistoryEntry | None:
        """The latest promotion or rollback that put `stem` in service."""
        for entry in reversed(self.history):
            if entry.version == stem and entry.action in ("promote", "rollback"):
                return entry
        return None


def card_metrics(card: dict) -> list[Metric]:
    """Every ROC AUC the card's `validation` holds, as split / label / source rows. Cards give
    `validation[split][label][source]["roc_auc"]`, or one figure per label without a source."""
    metrics = []
    validation = card.get("validation")
    for split, labels in (validation.items() if isinstance(validation, dict) else ()):
        for label, sources in (labels.items() if isinstance(labels, dict) else ()):
            if not isinstance(sources, dict):
                continue
            if _is_number(sources.get("roc_auc")):
                metrics.append(Metric(split, label, "", float(sources["roc_auc"])))
                continue
            for source, figures in sources.items():
                if isinstance(figures, dict) and _is_number(figures.get("roc_auc")):
                    metrics.append(Metric(split, label, source, float(figures["roc_auc"])))
    return metrics


def parse_time(value) -> dt.datetime | None:
    """A card's or the history's ISO 8601 time ("2026-11-24T17:17:43+00:00", "...Z") in UTC;
    None when it is missing or not a time. A time without an offset is taken as UTC, as the
    model package writes UTC only."""
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc)


_STEM_TIME = re.compile(r"(\d{8}-\d{6})$")


def stem_time(stem: str) -> dt.datetime | None:
    """The UTC time a version's name ends with ("moderation-20261124-171743"), if it does."""
    match = _STEM_TIME.search(stem)
    if not match:
        return None
    try:
        return dt.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def read_history(directory: Path) -> tuple[list[HistoryEntry], list[str]]:
    """The promotion history, oldest first, and a note per line that could not be read."""
    path = Path(directory) / HISTORY
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        return [], [f"{HISTORY} could not be read: {exc}"]
    entries, problems = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            entries.append(HistoryEntry(at=str(row["at"]), action=str(row["action"]),
                                        version=str(row["version"]),
                                        previous=row.get("previous") or None,
                                        reason=str(row.get("reason") or "")))
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{HISTORY} line {number} skipped: {exc}")
    return entries, problems


def read_versions(directory: Path) -> tuple[list[Version], list[str]]:
    """One Version per card (`<stem>.json` beside `<stem>.joblib`), oldest first."""
    versions, problems = [], []
    for path in sorted(Path(directory).glob("*.json")):
        if not path.with_suffix(".joblib").exists():
            continue  # not a card: no artifact beside it
        try:
            card = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(card, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            problems.append(f"card {path.name} could not be read: {exc}")
            versions.append(Version(path.stem, problem=str(exc)))
            continue
        versions.append(Version(path.stem, card))
    versions.sort(key=lambda v: (v.created_at or "", v.stem))
    return versions, problems


def current_pointer(directory: Path) -> str | None:
    try:
        return (Path(directory) / POINTER).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def read_registry(directory: Path) -> Registry:
    directory = Path(directory)
    versions, card_problems = read_versions(directory)
    history, history_problems = read_history(directory)
    for problem in card_problems + history_problems:
        log.warning("model page: %s", problem)
    return Registry(str(DirectoryStore(directory)), current_pointer(directory), versions, history,
                    card_problems + history_problems)


def registry_of(store) -> Registry:
    """The registry of a model store (`model.model_store`): a directory is read tolerantly as
    above; the database store's rows are whole by construction (its cards are JSON objects)."""
    if store.kind == "directory":
        return read_registry(store.directory)
    versions = [Version(str(card.get("version")), card) for card in store.versions()]
    history = [HistoryEntry(at=row["at"], action=row["action"], version=row["version"],
                            previous=row["previous"] or None, reason=row["reason"])
               for row in store.history()]
    try:
        current = store.signature()
    except Exception as exc:  # an unreachable database: the page says so, the rest still shows
        return Registry(str(store), None, versions, history, [f"the pointer could not be read: {exc}"])
    return Registry(str(store), current, versions, history, [])
