"""Move to the database store: ``python -m model.import_directory [DIR]``.

Copies an artifact directory (default: MODERATION_MODEL_PATH's, else ``model/artifacts``) into the
service's database: every version with its card (each sha256 checked), the history lines the
database does not hold yet, and the directory's pointer, so the hosts keep serving the version
this host served. Run it once, from the host whose directory holds the versions, before (or after)
setting MODERATION_MODEL_STORE=database; running it again adds only what is new.

The database is found as the service finds it (MODERATION_DATABASE_URL, else the SQLite file in
the instance folder), or named with ``--database-url``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model import model_store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.import_directory",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("directory", type=Path, nargs="?", default=None,
                        help="the artifact directory to copy (default: MODERATION_MODEL_PATH's, "
                             "else model/artifacts)")
    parser.add_argument("--database-url", default=None,
                        help="the service's database (default: MODERATION_DATABASE_URL, else "
                             "instance/moderation.sqlite3)")
    args = parser.parse_args(argv)
    directory = args.directory or model_store.configured(kind="directory").directory
    # Not seeded: what this copies in is what the database should hold, not the shipped version.
    store = model_store.configured(kind="database", database_url=args.database_url, seeded=False)
    try:
        done = store.import_directory(directory)
    except model_store.STORE_ERRORS as exc:
        print(f"not imported: {model_store.failure(exc)}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"{directory} -> {store}: {len(done['added'])} versions added "
          f"({', '.join(done['added']) or 'none'}), {len(done['present'])} already there, "
          f"{done['history']} history lines added; current: {done['current']}"
          + (f" (was {done['previous']})" if done["previous"] != done["current"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
