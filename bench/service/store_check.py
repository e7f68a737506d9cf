"""The benchmark's view of the store, SQLite or PostgreSQL (`bench/service/run.sh`).

    python -m bench.service.store_check create URL   # PostgreSQL: a fresh database named in URL
    python -m bench.service.store_check count URL    # comments stored
    python -m bench.service.store_check missing URL IDS_FILE   # "<ids checked> <ids not stored>"
    python -m bench.service.store_check drop URL     # PostgreSQL: remove that database again
"""

from __future__ import annotations

import sys

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def _server(url: str):
    # CREATE/DROP DATABASE run outside a transaction, connected to the server's own database.
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def main(argv: list[str]) -> None:
    command, url = argv[0], argv[1]
    name = make_url(url).database
    if command in ("create", "drop"):
        with _server(url).connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            if command == "create":
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        return
    with create_engine(url).connect() as connection:
        if command == "count":
            print(connection.execute(text("SELECT count(*) FROM comments")).scalar())
        elif command == "missing":
            ids = {int(line) for line in open(argv[2]) if line.strip()}
            stored = set(connection.execute(text("SELECT id FROM comments")).scalars())
            print(f"{len(ids)} {len(ids - stored)}")
        else:
            raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
