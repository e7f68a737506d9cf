"""Alembic environment. Driven from `service.storage.db.upgrade()` (the `flask init-db` command),
which hands over an open connection, so the URL and search path come from the service's own
config."""

from alembic import context

from service.storage.tables import Base

connection = context.config.attributes["connection"]
# Batch mode lets later migrations alter tables on SQLite, which has no ALTER COLUMN.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
