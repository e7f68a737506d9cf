"""Moderators' decisions, read from the service's store as training examples.

The mapping (also in docs/service.md, "Labels for retraining"), for comments a human decided
(``decided_by`` is set):

| status      | decision_reason        | spam | abuse |
|-------------|------------------------|------|-------|
| published   | -                      | 0    | 0     |
| rejected    | spam                   | 1    | 0     |
| rejected    | abuse                  | 0    | 1     |
| rejected    | off-topic, other       | not used: neither label applies with certainty |

The comments table holds each comment's decision in force: an overturned decision was replaced
and an undone one restored what was there before (``service/review/queue.py``), so reading it gives
the latest decision of every comment; an undo back to "pending" leaves no label.

Only SQLAlchemy Core is used, so the model package stays independent of the service's code.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

from model.dataset import Example

_DECIDED = "decided_by IS NOT NULL AND status IN ('published', 'rejected')"
_QUERY = ("SELECT id, text, url, status, decision_reason, email_hash, ip_hash, decided_at "
          f"FROM comments WHERE {_DECIDED}")
# The English heads score English and the comments whose language was not told (or was stored
# before languages were identified): their decisions are English's. Every other language's
# decisions are its own (service/decisions/language_policy.py).
ENGLISH = "en"
_ENGLISH_ROWS = "(language IS NULL OR language IN ('en', 'unknown'))"
_LABELS = {("published", None): (0, 0), ("rejected", "spam"): (1, 0), ("rejected", "abuse"): (0, 1)}


# Where the service keeps its store when its settings name none: `instance/` beside the service
# package in this checkout (where Flask would look for it too). The service builds its own store URL
# with these two functions, so `python -m model.train` reads the database `make serve` writes to.
CHECKOUT_INSTANCE = Path(__file__).resolve().parents[1] / "instance"


def instance_folder(configured: str | None = None) -> Path:
    """The service's instance folder: MODERATION_INSTANCE_PATH when set, else CHECKOUT_INSTANCE."""
    return Path(os.path.abspath(configured)) if configured else CHECKOUT_INSTANCE


def store_url(database_url: str | None = None, instance_path: str | None = None) -> str:
    """The service's store: MODERATION_DATABASE_URL when set, else SQLite in the instance folder."""
    return database_url or f"sqlite:///{instance_folder(instance_path) / 'moderation.sqlite3'}"


def engine_url(url: str) -> str:
    """Let operators write ``postgresql://``; we ship the psycopg 3 driver, not psycopg2."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def hide_password(arg: str) -> str:
    """A URL (or any argument) fit to print or record: a database password must not end up in
    a card or a log."""
    if "://" in arg and "@" in arg:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError
        try:
            return make_url(arg).render_as_string(hide_password=True)
        except ArgumentError:           # not a database URL after all: keep it as typed
            return arg
    return arg


def labels_for(status: str, reason: str | None) -> tuple[int, int] | None:
    """(spam, abuse) for a decided comment, or None when the decision is no label."""
    return _LABELS.get((status, None if status == "published" else reason))


def _aware(value):
    """SQLite hands back naive datetimes (stored as naive UTC) and sometimes strings."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def load_decisions(url: str, language: str | None = None) -> list[Example]:
    """The labelled decisions, oldest first; ``group`` names the commenter (keyed e-mail hash),
    ``website`` is what the author gave in the form's website field (``""`` for none)."""
    engine = create_engine(engine_url(url))
    try:
        return read_decisions(engine, language)
    finally:
        engine.dispose()


def read_decisions(engine, language: str | None = None) -> list[Example]:
    """``load_decisions`` on an engine the caller already holds (the service, the site layer);
    with ``language``, only the decisions on comments in it (English's: see ``_ENGLISH_ROWS``)."""
    query, params = _QUERY, {}
    if language == ENGLISH:
        query += f" AND {_ENGLISH_ROWS}"
    elif language is not None:
        query, params = query + " AND language = :language", {"language": language}
    with engine.connect() as conn:
        rows = conn.execute(text(query + " ORDER BY decided_at, id"), params).all()
    out = []
    for row in rows:
        labels = labels_for(row.status, row.decision_reason)
        if labels is None or not (row.text or "").strip():
            continue
        out.append(Example(text=row.text, spam=labels[0], abuse=labels[1], source="moderators",
                           group=f"commenter:{row.email_hash or row.ip_hash}",
                           decided_at=_aware(row.decided_at), comment_id=row.id,
                           website=row.url or ""))
    return out


def decided_languages(engine) -> dict[str, int]:
    """How many decided comments each language holds (English's as ``read_decisions`` counts
    them): the languages a site layer could learn."""
    query = text(f"SELECT CASE WHEN {_ENGLISH_ROWS} THEN '{ENGLISH}' ELSE language END AS code, "
                 f"COUNT(*) AS n FROM comments WHERE {_DECIDED} GROUP BY code")
    with engine.connect() as conn:
        return {row.code: int(row.n) for row in conn.execute(query)}
