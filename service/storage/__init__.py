"""Where everything is kept: the engine, the tables, the comment store and schema migrations.

- `db`: the engine (SQLite by default, PostgreSQL by URL) and Alembic upgrades (`migrations/`).
- `tables`: the SQLAlchemy 2 mapped classes.
- `store`: the comment store and review queue behind a small interface; views never touch
  SQLAlchemy.
- `availability`: retries while the database is briefly unavailable.

The bottom layer: may import `config`, `model` (the model store's tables), and from `decisions`
only the plain values a stored comment carries (`policy`'s decisions, `language`'s codes).
"""
