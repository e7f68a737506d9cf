"""Artifact directories for tests: a byte-for-byte copy of a current version, and for the
hot-swap tests a second version made from it (the same weights under a new name, with a card
that verifies), so a test can promote one without training."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from model.artifact import (DEFAULT_DIR, card_path, current_stem, read_card, set_current,
                            sha256_of)


def copy_current(source: Path, target: Path) -> str:
    """Copy `source`'s current version (artifact and card, byte for byte) into `target` and make
    it current there; its stem."""
    stem = current_stem(source)
    for suffix in (".joblib", ".json"):
        shutil.copy(Path(source) / f"{stem}{suffix}", Path(target) / f"{stem}{suffix}")
    set_current(target, stem)
    return stem


def add_version(directory: Path, stem: str, *, parent: str | None = None,
                source: Path | None = None, **card_fields) -> Path:
    """Copy an artifact (default: the shipped current one) into `directory` as `stem`, with its
    card's version, file name and sha256 made to match; `card_fields` are laid over the card."""
    source = source or DEFAULT_DIR / f"{current_stem(DEFAULT_DIR)}.joblib"
    target = Path(directory) / f"{stem}.joblib"
    shutil.copyfile(source, target)
    card = {**read_card(source), "version": stem, "artifact": target.name,
            "artifact_sha256": sha256_of(target), "parent": parent, **card_fields}
    card_path(target).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return target


def two_versions(directory: Path) -> tuple[str, str]:
    """`directory` with the shipped version (current) and a retrained-looking second one."""
    directory.mkdir(parents=True, exist_ok=True)
    old = current_stem(DEFAULT_DIR)
    add_version(directory, old, parent=read_card(DEFAULT_DIR / f"{old}.joblib").get("parent"))
    new = "moderation-20991231-235959"
    add_version(directory, new, parent=old, created_at="2099-12-31T23:59:59+00:00")
    set_current(directory, old)
    return old, new


def carded_file(directory: Path, stem: str, content: bytes | None = None, **card_fields) -> Path:
    """A stand-in artifact `stem.joblib` (a few bytes, not a model) with a card whose sha256
    matches: for the store's bookkeeping, which never unpickles."""
    directory.mkdir(parents=True, exist_ok=True)
    target = Path(directory) / f"{stem}.joblib"
    target.write_bytes(content if content is not None else f"model {stem}".encode())
    card = {"version": stem, "artifact": target.name, "artifact_sha256": sha256_of(target),
            **card_fields}
    card_path(target).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return target
