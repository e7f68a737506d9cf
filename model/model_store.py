"""Where the model versions live and which one is in service: a directory on this host, or the
service's database, which every host sees.

Both stores answer the same verbs, so `model.train`, `model.promote`, `model.rollback`, the models
page and each worker's `ScorerHolder` do not care which one they have:

- ``signature()``: a cheap value that changes when the pointer moves (polled by every worker);
- ``current()``: the stem in service (ArtifactError when there is none);
- ``fetch(stem)``: a local artifact file with its card beside it, for ``artifact.load`` to verify
  (sha256 against the card) before it unpickles anything;
- ``save``, ``promote``, ``refuse``, ``rollback``, ``update_card``, ``read_card``, ``history``,
  ``versions``, ``previous``.

`DirectoryStore` is ``model/artifact.py``'s layout (``CURRENT``, ``HISTORY.jsonl``, ``<stem>.joblib``
and ``.json``); `model.database_store.DatabaseStore` keeps the same things in three tables.

Which store (``MODERATION_MODEL_STORE``): ``directory``, ``database``, or empty for the default
that follows the database: a server database (PostgreSQL) is how several hosts share one service,
and there a directory on each host would let a promotion reach only the host it ran on; SQLite
lives on one host, where the directory is shared by every worker already.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from sqlalchemy.exc import SQLAlchemyError

from model import artifact
from model.decisions import instance_folder, store_url

STORE_KINDS = ("directory", "database")
# What a store raises when it cannot do what was asked: an artifact's problem, the database's.
STORE_ERRORS = (artifact.ArtifactError, SQLAlchemyError)


def parse_store_kind(raw: str) -> str | None:
    """The setting's value: ``directory``, ``database`` or empty (None: follow the database)."""
    value = raw.strip().lower()
    if value and value not in STORE_KINDS:
        raise ValueError(f"expected directory or database (or empty for the default), got {raw!r}")
    return value or None


def store_kind(setting: str | None, database_url: str | None) -> str:
    """``directory`` or ``database``: the setting when given, else ``database`` exactly when the
    service's database is a server database rather than its default SQLite file."""
    if setting:
        return setting
    if database_url and not database_url.strip().lower().startswith("sqlite"):
        return "database"
    return "directory"


def names_artifact_file(model_path: str | None) -> bool:
    """True when MODERATION_MODEL_PATH names one artifact rather than a directory (that version is
    pinned: no store is followed)."""
    return model_path is not None and (model_path.endswith(".joblib")
                                       or Path(model_path).is_file())


def artifacts_dir(model_path: str | None) -> Path:
    """The artifact directory from MODERATION_MODEL_PATH (empty: the shipped one; a directory; or an
    artifact file, whose directory it is). With the database store it is the seed."""
    if model_path is None:
        return artifact.DEFAULT_DIR
    path = Path(model_path)
    return path.parent if names_artifact_file(model_path) else path


def cache_dir(instance: Path | str) -> Path:
    """Where a database store keeps the artifacts it fetched, so a restart does not fetch again."""
    return Path(instance) / "models"


class DirectoryStore:
    """An artifact directory on this host (``model/artifacts`` by default)."""

    kind = "directory"

    def __init__(self, directory: Path | str = artifact.DEFAULT_DIR) -> None:
        self.directory = Path(directory)

    def __str__(self) -> str:
        return f"the artifact directory {self.directory}"

    def close(self) -> None:
        pass

    def signature(self) -> tuple[int, int, int] | None:
        """The pointer file's identity as the file system sees it; the pointer is replaced by a
        rename, so a promotion changes at least the inode. None when there is no pointer."""
        try:
            st = os.stat(self.directory / artifact.POINTER)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def current(self) -> str:
        return artifact.current_stem(self.directory)

    def fetch(self, stem: str) -> Path:
        return self.directory / f"{stem}.joblib"

    def save(self, model, card: dict, stem: str) -> Path:
        return artifact.save(model, card, self.directory, stem)

    def promote(self, stem: str, reason: str) -> str | None:
        return artifact.promote(self.directory, stem, reason)

    def refuse(self, stem: str, reason: str) -> None:
        artifact.refuse(self.directory, stem, reason)

    def rollback(self, reason: str) -> tuple[str, str]:
        return artifact.rollback(self.directory, reason)

    def previous(self) -> str | None:
        return artifact.previous_version(self.directory)

    def read_card(self, stem: str) -> dict:
        return artifact.read_card(self.directory / f"{stem}.joblib")

    def update_card(self, stem: str, **changes) -> dict:
        return artifact.update_card(self.directory, stem, **changes)

    def history(self) -> list[dict]:
        return artifact.history(self.directory)

    def versions(self) -> list[dict]:
        return artifact.versions(self.directory)


def configured(environ: Mapping[str, str] | None = None, *, out: Path | None = None,
               database_url: str | None = None, kind: str | None = None, seeded: bool = True):
    """The store the service's settings name, for the command-line tools: ``out`` (a directory
    given on the command line) wins; else ``kind`` or MODERATION_MODEL_STORE, defaulting as
    ``store_kind`` says, with the database found as the service finds it (``database_url``
    overrides). ``seeded=False``: a database store that never imports the seed. Close it when
    done."""
    if out is not None:
        return DirectoryStore(out)
    env = os.environ if environ is None else environ

    def setting(name: str) -> str | None:
        return (env.get(name) or "").strip() or None

    url = database_url or setting("MODERATION_DATABASE_URL")
    seed = artifacts_dir(setting("MODERATION_MODEL_PATH"))
    kind = kind or store_kind(parse_store_kind(env.get("MODERATION_MODEL_STORE") or ""), url)
    if kind == "directory":
        return DirectoryStore(seed)
    from model.database_store import DatabaseStore

    instance = instance_folder(setting("MODERATION_INSTANCE_PATH"))
    return DatabaseStore.from_url(store_url(url, str(instance)), cache=cache_dir(instance),
                                  seed=seed if seeded else None)


def failure(exc: Exception) -> str:
    """What went wrong with a store (one of STORE_ERRORS), in an operator's words."""
    if isinstance(exc, artifact.ArtifactError):
        return str(exc)
    return (f"the database store could not be used ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0]}); is the database reachable, and is its schema upgraded "
            "(`flask --app service init-db`)?")
