"""Saving and loading model artifacts with their JSON card, and the pointer to the current one.

Layout of an artifact directory (``model/artifacts`` by default)::

    moderation-20261124-163000.joblib   the fitted TwoHeadModel
    moderation-20261124-163000.json     its card: versions, data hashes, metrics, thresholds,
                                        the artifact's own sha256, the command that built it
    CURRENT                             one line: the name of the version in service
    HISTORY.jsonl                       one JSON object per promote, rollback or refusal

Each card names its ``parent`` (the version current when it was trained) and its ``promotion``:
``{"promoted": bool, "reasons": [...], "comparison": {...}}`` (``model/gate.py``). The service reads
``versions()`` and ``history()`` for its model page; both tolerate a directory without either.

joblib files are pickles, and unpickling runs code. So ``load`` checks the artifact against its
card before it unpickles anything: a missing card, a sha256 that differs (a tampered or truncated
file) or a scikit-learn version other than the one that built it is refused with ArtifactError.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parent / "artifacts"
POINTER = "CURRENT"
HISTORY = "HISTORY.jsonl"
ACTIONS = ("promote", "rollback", "refused")


class ArtifactError(RuntimeError):
    """The artifact cannot be trusted or found; the message says why and what to do."""


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Write, fsync, rename: a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        # mkstemp makes 0600 files; the service may run as another user than the trainer.
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def save(model, card: dict, directory: Path | str, stem: str) -> Path:
    """Dump ``model`` to ``directory/stem.joblib`` and write its card; return the joblib path.

    The card passed in is completed with the artifact's sha256 and size.
    """
    import joblib

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}.joblib"
    # compress: the weight matrix is mostly zeros (hashed columns no training text reached).
    joblib.dump(model, path, compress=("zlib", 6))
    card = {**card, "artifact": path.name, "artifact_sha256": sha256_of(path),
            "artifact_bytes": path.stat().st_size}
    write_atomically(card_path(path), (json.dumps(card, indent=2, sort_keys=False) + "\n").encode())
    return path


def card_path(artifact: Path) -> Path:
    return Path(artifact).with_suffix(".json")


def read_card(artifact: Path) -> dict:
    cpath = card_path(artifact)
    if not cpath.exists():
        raise ArtifactError(f"refusing to load {artifact}: its card {cpath.name} is missing, so "
                            "the file cannot be verified (rebuild it with `make model`)")
    try:
        return json.loads(cpath.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"refusing to load {artifact}: card {cpath.name} is unreadable: {exc}")


def current_stem(directory: Path | str = DEFAULT_DIR) -> str:
    pointer = Path(directory) / POINTER
    try:
        stem = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ArtifactError(f"no current model: {pointer} is missing (run `make model`)") from None
    if not stem or "/" in stem or stem.startswith("."):
        raise ArtifactError(f"{pointer} does not name a model version: {stem!r}")
    return stem


def set_current(directory: Path | str, stem: str) -> None:
    """Point CURRENT at ``stem`` (atomically); no history. ``promote`` is the operator's verb."""
    directory = Path(directory)
    if not (directory / f"{stem}.joblib").exists():
        raise ArtifactError(f"no artifact {stem}.joblib in {directory}")
    write_atomically(directory / POINTER, (stem + "\n").encode())


@contextmanager
def _pointer_lock(directory: Path):
    """One pointer change at a time: a scheduled training run and an operator's rollback must not
    both read the old pointer and each record it as "previous"."""
    with open(directory / ".pointer.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _current_or_none(directory: Path) -> str | None:
    try:
        return current_stem(directory)
    except ArtifactError:
        return None


def history_entry(action: str, version: str, previous: str | None, reason: str) -> dict:
    """One promote, rollback or refusal as the history keeps it, stamped now (UTC)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown history action {action!r}")
    return {"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "action": action, "version": version, "previous": previous, "reason": reason}


def record(directory: Path | str, action: str, version: str, previous: str | None,
           reason: str) -> dict:
    """Append one line to HISTORY.jsonl (appended, flushed and fsynced; never rewritten)."""
    entry = history_entry(action, version, previous, reason)
    fd = os.open(Path(directory) / HISTORY, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(entry) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


def history(directory: Path | str = DEFAULT_DIR) -> list[dict]:
    """Every promote, rollback and refusal, oldest first; [] when there is no history yet.

    A last line torn by a crash mid-append is not JSON and is left out."""
    path = Path(directory) / HISTORY
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            out.append(entry)
    return out


def versions(directory: Path | str = DEFAULT_DIR) -> list[dict]:
    """The card of every version in ``directory`` that has its artifact, oldest first."""
    directory = Path(directory)
    out = []
    for cpath in sorted(directory.glob("*.json")):
        if cpath.name.startswith(".") or not cpath.with_suffix(".joblib").exists():
            continue
        try:
            out.append(json.loads(cpath.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue        # a card being replaced or damaged: that version cannot be shown
    return sorted(out, key=lambda card: (card.get("created_at", ""), card.get("version", "")))


def update_card(directory: Path | str, stem: str, **changes) -> dict:
    """Rewrite ``stem``'s card with ``changes`` (the artifact and its sha256 are untouched)."""
    path = Path(directory) / f"{stem}.json"
    card = {**read_card(Path(directory) / f"{stem}.joblib"), **changes}
    write_atomically(path, (json.dumps(card, indent=2) + "\n").encode())
    return card


def promote(directory: Path | str, stem: str, reason: str) -> str | None:
    """Make ``stem`` current and record it; returns the version that was current before."""
    directory = Path(directory)
    with _pointer_lock(directory):
        previous = _current_or_none(directory)
        set_current(directory, stem)
        record(directory, "promote", stem, previous, reason)
    return previous


def refuse(directory: Path | str, stem: str, reason: str) -> None:
    """Record that ``stem`` was kept as a candidate; the pointer does not move."""
    directory = Path(directory)
    with _pointer_lock(directory):
        record(directory, "refused", stem, _current_or_none(directory), reason)


def previous_version(directory: Path | str) -> str | None:
    """The version that was current before the current one (``previous_in`` over the history);
    without history, the current card's parent."""
    directory = Path(directory)
    current = _current_or_none(directory)
    return previous_in(history(directory), current,
                       lambda: read_card(directory / f"{current}.joblib").get("parent"))


def previous_in(entries: list[dict], current: str | None, parent) -> str | None:
    """The version current before ``current``, from the history ``entries`` (oldest first).

    Replays the history as a stack (a promotion pushes, a rollback pops), so rolling back twice
    goes two versions back rather than toggling. Without a history that says, ``parent()``: the
    current card's parent (called only then, as it may read the card)."""
    stack: list[str] = []
    for entry in entries:
        if entry.get("action") == "promote":
            if entry.get("previous") and not stack:
                stack.append(entry["previous"])
            if not stack or stack[-1] != entry["version"]:  # promoting the current one again
                stack.append(entry["version"])
        elif entry.get("action") == "rollback" and stack:
            stack.pop()
            if not stack or stack[-1] != entry.get("version"):
                stack.append(entry["version"])
    if len(stack) >= 2 and stack[-1] == current:
        return stack[-2]
    if current is None:
        return None
    return parent()


def rollback(directory: Path | str, reason: str = "rolled back by hand") -> tuple[str, str]:
    """Point CURRENT back at the previous version; returns (now current, was current)."""
    directory = Path(directory)
    with _pointer_lock(directory):
        current = current_stem(directory)
        target = previous_version(directory)
        if not target:
            raise ArtifactError(f"cannot roll back: {current} has no previous version on record")
        if not (directory / f"{target}.joblib").exists():
            raise ArtifactError(f"cannot roll back to {target}: its artifact is not in {directory}")
        set_current(directory, target)
        record(directory, "rollback", target, current, reason)
    return target, current


def resolve(path: Path | str | None) -> Path:
    """An artifact file from a file path, a directory (its current version) or None (shipped)."""
    if path is None:
        path = DEFAULT_DIR
    path = Path(path)
    if path.is_dir():
        return path / f"{current_stem(path)}.joblib"
    return path


def load(path: Path | str | None = None):
    """Verify, then unpickle. Returns ``(model, card)``; raises ArtifactError when unsafe."""
    # Here, not at the top: the service reads cards and pointers without loading scikit-learn.
    import joblib
    import sklearn

    artifact = resolve(path)
    if not artifact.exists():
        raise ArtifactError(f"model artifact {artifact} does not exist")
    card = read_card(artifact)
    expected = card.get("artifact_sha256")
    actual = sha256_of(artifact)
    if expected != actual:
        raise ArtifactError(f"refusing to load {artifact.name}: sha256 {actual[:12]}… does not "
                            f"match its card ({str(expected)[:12]}…); the file was changed or "
                            "damaged after it was built")
    built_with = card.get("versions", {}).get("scikit-learn")
    if built_with != sklearn.__version__:
        raise ArtifactError(f"refusing to load {artifact.name}: built with scikit-learn "
                            f"{built_with}, this is {sklearn.__version__}; install the pinned "
                            "requirements or retrain with `make model`")
    return joblib.load(artifact), card
