"""What spot checks cost a pending-queue page: the page read with and without the open spot
checks, interleaved in one process on one 100,000-comment SQLite store (bench.review_queue's
data, 2% of the published comments spot checks), 6 rounds of 200 keyset pages per order.

    .venv/bin/python -m bench.spot_check_pages
"""

from __future__ import annotations

import statistics
import tempfile
import time

from sqlalchemy import select

from bench.review_queue import PAGE, build
from service.storage.db import make_engine
from service.review.queue import Moderation, QueueQuery, status_filter
from service.decisions.spot_checks import tally
from service.storage.tables import Comment


def held_only(session, query, filters, ordering, n, lock=False):
    """`Moderation._rows` as it was before spot checks: the status filter's rows alone."""
    return list(session.scalars(select(Comment).where(status_filter(query.status), *filters)
                                .order_by(*ordering).limit(n)))


def median_page_ms(moderation: Moderation, order: str, pages: int = 200) -> float:
    query = QueueQuery(order=order)
    after = moderation.queue(query, limit=PAGE).next_cursor
    times = []
    for _ in range(pages):
        started = time.perf_counter()
        after = moderation.queue(query, after=after, limit=PAGE).next_cursor
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="spot-check-bench-") as folder:
        engine = make_engine(f"sqlite:///{folder}/moderation.sqlite3")
        build(engine, 100_000)
        moderation = Moderation(engine)
        variants = {"held only": staticmethod(held_only),
                    "held + spot checks": staticmethod(Moderation._rows)}
        results = {(name, order): [] for name in variants for order in ("risk", "oldest")}
        try:
            for order in ("risk", "oldest"):
                for _ in range(6):
                    for name, rows in variants.items():
                        Moderation._rows = rows
                        results[name, order].append(median_page_ms(moderation, order))
        finally:
            Moderation._rows = variants["held + spot checks"]
        for (name, order), times in results.items():
            print(f"{name:20s} {order:6s} median page {statistics.median(times):.2f} ms "
                  f"(rounds: {', '.join(f'{t:.1f}' for t in times)})")
        print(tally(engine))
        engine.dispose()


if __name__ == "__main__":
    main()
