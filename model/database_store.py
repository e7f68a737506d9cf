"""The model store in the service's database: every host reads the same versions and pointer.

Three tables (created by the service's migration 0010; defined here with SQLAlchemy Core, so the
model package stays independent of the service's code, as ``model/decisions.py`` is):

- ``model_artifacts``: one row per version: its stem, card (JSON), sha256, size and the joblib
  bytes themselves;
- ``model_pointer``: one row (``id = 1``) naming the stem in service;
- ``model_history``: every promote, rollback and refusal, as ``HISTORY.jsonl`` holds them.

Each host's workers poll the pointer (one small SELECT every MODERATION_MODEL_CHECK_SECONDS) and
fetch a new version's bytes once into a cache folder (``instance/models``), checked against the
card's sha256 on the way in; ``artifact.load`` checks the cached file against the card again
before it unpickles. A cached file that no longer matches (damaged, truncated) is fetched again.

A store that holds no version at all imports the seed directory's current version (the shipped
``model/artifacts``) on first use, so a fresh deployment serves the model it shipped with.

Every write holds the pointer row's write lock for its whole transaction (PostgreSQL's row lock;
SQLite's database write lock), so a training run and a rollback on two hosts cannot both read the
same "previous" version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (JSON, CheckConstraint, Column, ForeignKey, Integer, LargeBinary, MetaData,
                        String, Table, Text, create_engine, func, select, update)
from sqlalchemy.engine import Connection, Engine

from model import artifact
from model.artifact import ArtifactError
from model.decisions import engine_url

metadata = MetaData()

# How the history tells the pointer moves the store made itself from those an operator made.
SEEDED = "first use of the database store: imported the current version of"
IMPORTED = "imported from"

artifacts = Table(
    "model_artifacts", metadata,
    Column("stem", String(100), primary_key=True,
           comment="The version's name, e.g. moderation-20261204-182358"),
    Column("card", JSON, nullable=False, comment="The version's card, as <stem>.json holds it"),
    Column("sha256", String(64), nullable=False,
           comment="sha256 of content; equal to the card's artifact_sha256"),
    Column("size", Integer, nullable=False, comment="Length of content in bytes"),
    Column("content", LargeBinary, nullable=False, comment="The joblib file"),
    Column("stored_at", String(32), nullable=False, comment="ISO 8601 UTC"),
)

pointer = Table(
    "model_pointer", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("stem", String(100), ForeignKey("model_artifacts.stem"), nullable=True,
           comment="The version in service on every host"),
    Column("changed_at", String(32), nullable=True, comment="ISO 8601 UTC"),
    CheckConstraint("id = 1", name="ck_model_pointer_single_row"),
)

history = Table(
    "model_history", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", String(32), nullable=False, comment="ISO 8601 UTC"),
    Column("action", String(16), nullable=False),
    Column("version", String(100), nullable=False),
    Column("previous", String(100), nullable=True),
    Column("reason", Text, nullable=False),
    CheckConstraint("action IN ('promote', 'rollback', 'refused')",
                    name="ck_model_history_action"),
)


def verified_file(path: Path) -> tuple[dict, bytes]:
    """(card, bytes) of an artifact file whose bytes match its card's sha256."""
    card = artifact.read_card(path)
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        raise ArtifactError(f"cannot read {path}: {exc}") from None
    actual = hashlib.sha256(content).hexdigest()
    if actual != card.get("artifact_sha256"):
        raise ArtifactError(f"refusing to store {Path(path).name}: sha256 {actual[:12]}… does not "
                            f"match its card ({str(card.get('artifact_sha256'))[:12]}…)")
    return card, content


class DatabaseStore:
    """The versions, pointer and history in ``engine``'s database; artifacts cached in ``cache``.

    ``seed``: the directory whose current version is imported when the store holds none."""

    kind = "database"

    def __init__(self, engine: Engine, cache: Path | str, seed: Path | str | None = None, *,
                 owns_engine: bool = False) -> None:
        self.engine = engine
        self.cache = Path(cache)
        self.seed = Path(seed) if seed is not None else None
        self._owns_engine = owns_engine

    @classmethod
    def from_url(cls, url: str, cache: Path | str, seed: Path | str | None = None) -> "DatabaseStore":
        url = engine_url(url)
        # SQLite: wait for another process's write (the service's) instead of failing at once.
        connect = {"timeout": 30} if url.startswith("sqlite") else {}
        return cls(create_engine(url, connect_args=connect, hide_parameters=True), cache, seed,
                   owns_engine=True)

    def __str__(self) -> str:
        return f"the database {self.engine.url.render_as_string(hide_password=True)}"

    def close(self) -> None:
        if self._owns_engine:
            self.engine.dispose()

    # -- reading -------------------------------------------------------------------------------

    def signature(self) -> str | None:
        """The stem the pointer names (None: none yet): the one query each worker polls."""
        with self.engine.connect() as conn:
            return self._pointer(conn)

    def current(self) -> str:
        stem = self.signature()
        if stem is None and self.seed is not None:
            stem = self._seed()
        if stem is None:
            raise ArtifactError(f"no current model in {self} (promote one with "
                                "`python -m model.promote VERSION`)")
        return stem

    def fetch(self, stem: str) -> Path:
        """``<cache>/<stem>.joblib`` and its card, fetched when not cached or no longer matching."""
        with self.engine.connect() as conn:
            row = conn.execute(select(artifacts.c.card, artifacts.c.sha256)
                               .where(artifacts.c.stem == stem)).first()
            if row is None:
                raise ArtifactError(f"no version {stem} in {self}")
            path = self.cache / f"{stem}.joblib"
            if not (path.exists() and artifact.sha256_of(path) == row.sha256):
                content = conn.execute(select(artifacts.c.content)
                                       .where(artifacts.c.stem == stem)).scalar_one()
                actual = hashlib.sha256(content).hexdigest()
                if not actual == row.sha256 == row.card.get("artifact_sha256"):
                    raise ArtifactError(f"refusing {stem} from {self}: its bytes (sha256 "
                                        f"{actual[:12]}…) do not match its card; the row was "
                                        "changed or damaged after it was stored")
                self.cache.mkdir(parents=True, exist_ok=True)
                artifact.write_atomically(path, bytes(content))
        # The card as the store has it now (a promotion by hand rewrites it).
        artifact.write_atomically(artifact.card_path(path),
                                  (json.dumps(row.card, indent=2) + "\n").encode())
        return path

    def read_card(self, stem: str) -> dict:
        with self.engine.connect() as conn:
            card = conn.execute(select(artifacts.c.card).where(artifacts.c.stem == stem)).scalar()
        if card is None:
            raise ArtifactError(f"no version {stem} in {self}")
        return card

    def versions(self) -> list[dict]:
        """Every version's card, oldest first."""
        with self.engine.connect() as conn:
            cards = conn.execute(select(artifacts.c.card)).scalars().all()
        return sorted(cards, key=lambda card: (card.get("created_at", ""), card.get("version", "")))

    def history(self) -> list[dict]:
        """Every promote, rollback and refusal, oldest first (as ``artifact.history``)."""
        with self.engine.connect() as conn:
            return self._history(conn)

    def previous(self) -> str | None:
        with self.engine.connect() as conn:
            return self._previous(conn)

    # -- writing -------------------------------------------------------------------------------

    def add(self, path: Path | str) -> str:
        """Store an artifact file (its card beside it, sha256 checked); its stem. A version
        already stored with the same bytes is left as it is."""
        path = Path(path)
        card, content = verified_file(path)
        with self._pointer_locked() as conn:
            self._insert(conn, path.stem, card, content)
        return path.stem

    def save(self, model, card: dict, stem: str) -> Path:
        """Dump a freshly trained model (into the cache folder) and store it; the cached file."""
        path = artifact.save(model, card, self.cache, stem)
        self.add(path)
        return path

    def update_card(self, stem: str, **changes) -> dict:
        with self._pointer_locked() as conn:
            card = conn.execute(select(artifacts.c.card).where(artifacts.c.stem == stem)).scalar()
            if card is None:
                raise ArtifactError(f"no version {stem} in {self}")
            card = {**card, **changes}
            conn.execute(update(artifacts).where(artifacts.c.stem == stem).values(card=card))
        return card

    def promote(self, stem: str, reason: str) -> str | None:
        """Make ``stem`` current and record it; the version that was current before."""
        with self._pointer_locked() as conn:
            self._require(conn, stem)
            previous = self._pointer(conn)
            self._move(conn, stem)
            self._record(conn, "promote", stem, previous, reason)
        return previous

    def refuse(self, stem: str, reason: str) -> None:
        with self._pointer_locked() as conn:
            self._record(conn, "refused", stem, self._pointer(conn), reason)

    def rollback(self, reason: str = "rolled back by hand") -> tuple[str, str]:
        """Point back at the previous version (``artifact.previous_in``); (now, was)."""
        with self._pointer_locked() as conn:
            current = self._pointer(conn)
            if current is None:
                raise ArtifactError(f"cannot roll back: {self} names no current model")
            target = self._previous(conn)
            if not target:
                raise ArtifactError(f"cannot roll back: {current} has no previous version on record")
            if not self._has(conn, target):
                raise ArtifactError(f"cannot roll back to {target}: it is not in {self}")
            self._move(conn, target)
            self._record(conn, "rollback", target, current, reason)
        return target, current

    def import_directory(self, directory: Path | str) -> dict:
        """Copy an artifact directory in: every version with a card (sha256 checked), the history
        lines not yet here, and its pointer (recorded as a promotion), unless promotions or
        rollbacks were already made in the database, which then keep theirs. Safe to run again.
        What it did: {"added", "present", "history", "current", "previous"}."""
        directory = Path(directory)
        added, present = [], []
        for card in artifact.versions(directory):
            path = directory / card.get("artifact", f"{card.get('version')}.joblib")
            card, content = verified_file(path)
            with self._pointer_locked() as conn:
                (added if self._insert(conn, path.stem, card, content) else present).append(path.stem)
        lines = [e for e in artifact.history(directory) if e.get("action") in artifact.ACTIONS]
        imported = {(e["at"], e["action"], e["version"]) for e in lines}
        try:
            wanted = artifact.current_stem(directory)
        except ArtifactError:
            wanted = None
        with self._pointer_locked() as conn:
            here = self._history(conn)
            seen = {(e["at"], e["action"], e["version"]) for e in here}
            new = [e for e in lines if (e["at"], e["action"], e["version"]) not in seen]
            for entry in new:
                conn.execute(history.insert().values(
                    at=entry["at"], action=entry["action"], version=entry["version"],
                    previous=entry.get("previous"), reason=entry.get("reason") or ""))
            decided_here = [e for e in here if e["action"] != "refused"
                            and (e["at"], e["action"], e["version"]) not in imported
                            and not e["reason"].startswith((SEEDED, IMPORTED))]
            was = self._pointer(conn)
            if wanted and wanted != was and not decided_here and self._has(conn, wanted):
                self._move(conn, wanted)
                self._record(conn, "promote", wanted, was, f"{IMPORTED} {directory}")
            now = self._pointer(conn)
        return {"added": added, "present": present, "history": len(new), "current": now,
                "previous": was}

    # -- inside a transaction --------------------------------------------------------------------

    @contextmanager
    def _pointer_locked(self):
        """A transaction that holds the pointer row's write lock from its first statement. Every
        write to the store goes through it: on SQLite a transaction that read before it wrote
        fails at once (not after the busy timeout) when another worker wrote in between."""
        with self.engine.begin() as conn:
            _insert_ignoring_conflict(conn, pointer, {"id": 1, "stem": None})
            # A write that changes nothing: PostgreSQL locks the row, SQLite the database, until
            # the transaction ends, so the reads below cannot be overtaken.
            conn.execute(update(pointer).where(pointer.c.id == 1).values(stem=pointer.c.stem))
            yield conn

    def _seed(self) -> str | None:
        """Import the seed directory's current version into a store that holds none."""
        stem = artifact.current_stem(self.seed)
        card, content = verified_file(self.seed / f"{stem}.joblib")
        with self._pointer_locked() as conn:
            if conn.execute(select(func.count()).select_from(artifacts)).scalar():
                return self._pointer(conn)  # another host (or worker) seeded it meanwhile
            self._insert(conn, stem, card, content)
            self._move(conn, stem)
            self._record(conn, "promote", stem, None, f"{SEEDED} {self.seed}")
        return stem

    @staticmethod
    def _pointer(conn: Connection) -> str | None:
        return conn.execute(select(pointer.c.stem).where(pointer.c.id == 1)).scalar()

    @staticmethod
    def _has(conn: Connection, stem: str) -> bool:
        return conn.execute(select(artifacts.c.stem).where(artifacts.c.stem == stem)).first() \
            is not None

    def _require(self, conn: Connection, stem: str) -> None:
        if not self._has(conn, stem):
            raise ArtifactError(f"no version {stem} in {self}")

    def _insert(self, conn: Connection, stem: str, card: dict, content: bytes) -> bool:
        """Store a version; False when it is there already. The same name with other bytes is
        refused: a version's name must keep meaning one model."""
        sha256 = card["artifact_sha256"]
        stored = conn.execute(select(artifacts.c.sha256).where(artifacts.c.stem == stem)).scalar()
        if stored is not None:
            if stored != sha256:
                raise ArtifactError(f"{self} already holds a different {stem} (sha256 "
                                    f"{stored[:12]}…, this one {sha256[:12]}…)")
            return False
        conn.execute(artifacts.insert().values(stem=stem, card=card, sha256=sha256,
                                               size=len(content), content=content,
                                               stored_at=_now()))
        return True

    @staticmethod
    def _move(conn: Connection, stem: str) -> None:
        conn.execute(update(pointer).where(pointer.c.id == 1).values(stem=stem, changed_at=_now()))

    @staticmethod
    def _record(conn: Connection, action: str, version: str, previous: str | None,
                reason: str) -> None:
        conn.execute(history.insert().values(**artifact.history_entry(action, version, previous,
                                                                      reason)))

    @staticmethod
    def _history(conn: Connection) -> list[dict]:
        rows = conn.execute(select(history.c.at, history.c.action, history.c.version,
                                   history.c.previous, history.c.reason)
                            .order_by(history.c.at, history.c.id)).mappings().all()
        return [dict(row) for row in rows]

    def _previous(self, conn: Connection) -> str | None:
        current = self._pointer(conn)

        def parent():
            card = conn.execute(select(artifacts.c.card)
                                .where(artifacts.c.stem == current)).scalar()
            return (card or {}).get("parent")

        return artifact.previous_in(self._history(conn), current, parent)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _insert_ignoring_conflict(conn: Connection, table: Table, values: dict) -> None:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    conn.execute(insert(table).values(**values).on_conflict_do_nothing())
