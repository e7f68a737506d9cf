"""Migration 0004 adds the integrations' tables and takes them away again, on both stores."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from service.storage.db import alembic_config, current_revision, make_engine, upgrade
from service.storage.tables import Base

OURS = {"api_keys", "integration_checks"}


def test_0004_upgrades_and_downgrades(unmigrated_db_url):
    engine = make_engine(unmigrated_db_url)
    upgrade(engine, "0003")
    assert not OURS & set(inspect(engine).get_table_names())
    upgrade(engine, "0004")
    assert current_revision(engine) == "0004"
    assert OURS <= set(inspect(engine).get_table_names())
    upgrade(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0003")
    assert not OURS & set(inspect(engine).get_table_names())
    engine.dispose()
