"""Fixtures for the hardening tests: a PostgreSQL-only database, and real gunicorn servers."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from service.storage.db import make_engine
from service.storage.tables import AuditEntry, Comment, Moderator

TABLES = ", ".join(table.__tablename__ for table in (AuditEntry, Comment, Moderator))


@pytest.fixture
def postgres_url(postgres_schema_url) -> str:
    """The session's PostgreSQL schema with empty tables (for tests that are PostgreSQL-only)."""
    engine = make_engine(postgres_schema_url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return postgres_schema_url
