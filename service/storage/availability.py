"""The database briefly unavailable: retry for a short while, then say so clearly.

A locked SQLite file (another process holding the write lock past the busy timeout), a
PostgreSQL server restarting, or a connection cut under us all surface as SQLAlchemy's
`OperationalError`. Intake retries its unit of work until `MODERATION_DB_WAIT_SECONDS` have
passed and then raises `DatabaseUnavailable`, which the views answer with 503 and Retry-After.
A unit of work only reports success after its commit returned, so a retry can never turn an
unsaved comment into a 201; and a retry after a commit whose answer was lost finds the stored
copy through the duplicate check instead of storing it twice.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import time
from typing import Callable, TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger(__name__)
T = TypeVar("T")

# Connection refused or cut, server shutting down, "database is locked", pool exhausted. Not
# IntegrityError or ProgrammingError: retrying a statement the database refused cannot help.
# sqlite3's own error too: intake's SQLite statements run on the driver directly
# (service.storage.store).
TRANSIENT = (OperationalError, PoolTimeout, sqlite3.OperationalError)
FIRST_DELAY = 0.05
MAX_DELAY = 1.0

MESSAGE = ("We could not save your comment just now: the comment system is briefly "
           "unavailable. Nothing was posted. Your comment is still below; please send it again "
           "in a minute.")


class DatabaseUnavailable(Exception):
    """The database did not answer within the configured wait; nothing was saved."""

    code = "unavailable"
    message = MESSAGE

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"database unavailable; retry after {retry_after} s")
        self.retry_after = retry_after


def retry_after_for(wait_seconds: float) -> int:
    """The Retry-After a client gets: at least the time we just spent waiting, at least 1 s."""
    return max(1, math.ceil(wait_seconds))


def with_retries(work: Callable[[], T], wait_seconds: float, *,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> T:
    """`work()`, retried with doubling pauses while the database is unavailable, for at most
    `wait_seconds` in all; then `DatabaseUnavailable`. `work` must be one transaction that either
    commits or leaves nothing behind (every `Store` method is)."""
    deadline = clock() + wait_seconds
    delay = FIRST_DELAY
    attempt = 1
    while True:
        try:
            return work()
        except TRANSIENT as exc:
            if clock() + delay > deadline:
                log.warning("database unavailable after %d attempt(s): %s", attempt,
                            _first_line(exc))
                raise DatabaseUnavailable(retry_after_for(wait_seconds)) from exc
            log.info("database unavailable (attempt %d), retrying in %.2f s: %s", attempt,
                     delay, _first_line(exc))
            sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
            attempt += 1


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
