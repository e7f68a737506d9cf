"""Saving and loading model artifacts with their JSON card, and the pointer to the current one.

Layout of an artifact directory (``model/artifacts`` by default)::

    moderation-20261124-163000.joblib   the fitted TwoHeadModel
    moderation-20261124-163000.json     its card: versions, data hashes, metrics, thresholds,
                                        the artifact's own sha256, the command that built it
    CURRENT                             one line: the name of the version in service

joblib files are pickles, and unpickling runs code. So ``load`` checks the artifact against its
card before it unpickles anything: a missing card, a sha256 that differs (a tampered or truncated
file) or a scikit-learn version other than the one that built it is refused with ArtifactError.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import joblib
import sklearn

DEFAULT_DIR = Path(__file__).resolve().parent / "artifacts"
POINTER = "CURRENT"


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
    directory = Path(directory)
    if not (directory / f"{stem}.joblib").exists():
        raise ArtifactError(f"no artifact {stem}.joblib in {directory}")
    write_atomically(directory / POINTER, (stem + "\n").encode())


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
