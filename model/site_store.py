"""Site layers in the shared database (table ``site_layers``, migration 0011).

Every host reads the same rows, so a layer promoted on one host serves on all of them at their
next check. Each row's sha256 is checked before its arrays are read, and the arrays are read
without unpickling (``SiteLayer.from_bytes``). SQLAlchemy Core only, as in model/decisions.py:
the model package does not import the service.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import text

from model.site_layer import SiteLayer


@dataclass(frozen=True)
class StoredLayer:
    id: int
    language: str
    state: str
    created_at: datetime | None
    general_version: str | None
    trained_through: datetime | None
    decisions: int
    card: dict

    @property
    def version(self) -> str:
        return f"site-{self.id}"


_COLUMNS = ("id, language, state, created_at, general_version, trained_through, decisions, card")


def _aware(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def _stored(row) -> StoredLayer:
    return StoredLayer(row.id, row.language, row.state, _aware(row.created_at),
                       row.general_version, _aware(row.trained_through), row.decisions,
                       json.loads(row.card))


def save(engine, layer: SiteLayer, *, promote: bool, general_version: str | None,
         trained_through: datetime | None, decisions: int, card: dict,
         now: datetime | None = None) -> StoredLayer:
    """Store a candidate; when ``promote``, it becomes the language's current layer and the one
    before it is retired, in one transaction (a host never sees two current layers)."""
    payload = layer.to_bytes()
    now = now or datetime.now(timezone.utc)
    with engine.begin() as conn:
        if promote:
            conn.execute(text("UPDATE site_layers SET state = 'retired' "
                              "WHERE state = 'current' AND language = :language"),
                         {"language": layer.language})
        conn.execute(text(
            "INSERT INTO site_layers (language, created_at, state, general_version, "
            "trained_through, decisions, sha256, payload, card) VALUES (:language, :created_at, "
            ":state, :general_version, :trained_through, :decisions, :sha256, :payload, :card)"),
            {"language": layer.language, "created_at": now,
             "state": "current" if promote else "refused", "general_version": general_version,
             "trained_through": trained_through, "decisions": decisions,
             "sha256": hashlib.sha256(payload).hexdigest(), "payload": payload,
             "card": json.dumps(card)})
        row = conn.execute(text(f"SELECT {_COLUMNS} FROM site_layers WHERE language = :language "
                                "ORDER BY id DESC LIMIT 1"), {"language": layer.language}).one()
    return _stored(row)


def current_ids(engine) -> dict[str, int]:
    """Language -> id of its current layer: the cheap query every host runs at each check."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT language, id FROM site_layers WHERE state = 'current'"))
        return {r.language: r.id for r in rows}


def load(engine, layer_id: int) -> tuple[SiteLayer, StoredLayer]:
    """The layer's arrays, after checking them against the sha256 stored with them."""
    with engine.connect() as conn:
        row = conn.execute(text(f"SELECT {_COLUMNS}, sha256, payload FROM site_layers "
                                "WHERE id = :id"), {"id": layer_id}).one()
    payload = bytes(row.payload)
    if hashlib.sha256(payload).hexdigest() != row.sha256:
        raise ValueError(f"site layer {layer_id}: its bytes do not match their sha256")
    return SiteLayer.from_bytes(payload), _stored(row)


def current(engine, language: str = "en") -> tuple[SiteLayer, StoredLayer] | None:
    layer_id = current_ids(engine).get(language)
    return None if layer_id is None else load(engine, layer_id)


def history(engine, limit: int = 20) -> list[StoredLayer]:
    """The newest rows first, current, refused and retired alike (the models page)."""
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {_COLUMNS} FROM site_layers ORDER BY id DESC "
                                 "LIMIT :limit"), {"limit": limit})
        return [_stored(r) for r in rows]


def by_language(engine) -> dict[str, dict[str, StoredLayer]]:
    """Per language, its newest row ("latest") and its current one ("current", if any): the
    models page's table of languages."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            f"SELECT {_COLUMNS} FROM site_layers WHERE state = 'current' OR id IN "
            "(SELECT MAX(id) FROM site_layers GROUP BY language) ORDER BY id"))
        out: dict[str, dict[str, StoredLayer]] = {}
        for row in rows:
            stored = _stored(row)
            entry = out.setdefault(stored.language, {})
            entry["latest"] = stored                 # ordered by id: the last one is newest
            if stored.state == "current":
                entry["current"] = stored
        return out


def switch_off(engine, language: str = "en") -> int:
    """Retire the language's current layer: the general model alone serves again."""
    with engine.begin() as conn:
        return conn.execute(text("UPDATE site_layers SET state = 'retired' "
                                 "WHERE state = 'current' AND language = :language"),
                            {"language": language}).rowcount
