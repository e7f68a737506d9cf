"""Review queue at 100,000 comments: how long a moderator waits for a page, on each store.

    .venv/bin/python -m bench.review_queue                      # SQLite and PostgreSQL
    .venv/bin/python -m bench.review_queue --stores sqlite      # one store
    MODERATION_BENCH_POSTGRES_URL=postgresql+psycopg://... .venv/bin/python -m bench.review_queue

Builds `--comments` comments (90% pending, 2% unscored, the rest published or rejected by the
policy or a moderator; 2% of the published ones spot checks, open unless a moderator decided)
in a fresh SQLite file and in a fresh PostgreSQL schema (dropped afterwards), then times, for
each order ("risk" and "oldest"), through `Moderation` as the review page calls it:

- the first page (median of `--repeats` calls);
- the mean page while walking `--pages` pages deep with the keyset cursor;
- a leased page at that depth (the page a logged-in moderator gets; median of `--repeats`);

and the per-status counts the page header shows (median of `--repeats`). Pages hold 25
comments, as on the review page. PostgreSQL is ANALYZEd after the load (autovacuum would do it
within a minute); SQLite is not, as nothing runs ANALYZE on a deployed SQLite store.

Prints a table and writes bench/out/review-queue-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, insert, text

from service.storage.db import make_engine, upgrade
from service.review.queue import ORDERS, Moderation, QueueQuery
from service.storage.tables import Comment

OUT = Path(__file__).parent / "out"
POSTGRES_URL = os.environ.get("MODERATION_BENCH_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
PAGE = 25  # the review page's page size


def comment_rows(n: int, seed: int = 1) -> Iterator[dict]:
    """`n` comments as intake would store them, one a second from T0, without `risk` (the
    column's default fills it from the scores, as for any insert that leaves it out)."""
    rnd = random.Random(seed)
    spot = random.Random(seed + 1)  # its own sequence: the other rows are as they always were
    for i in range(n):
        unscored = rnd.random() < 0.02
        status = "pending" if i % 10 else rnd.choice(("published", "rejected"))
        human = status != "pending" and rnd.random() < 0.5
        picked = status == "published" and spot.random() < 0.02
        at = T0 + timedelta(seconds=i)
        yield dict(
            post_id=f"article-{i % 50}", author=f"reader {i % 5000}", email="x@example.org",
            email_hash=f"e{i % 5000}", url="", text=f"comment {i} about the bridge",
            fingerprint=f"f{i}", permalink="", status=status, policy_status=status,
            reasons=["spam_score>=0.5"], spam_score=None if unscored else rnd.random(),
            abuse_score=None if unscored else rnd.random(), model_version="bench",
            ip_hash=f"i{i % 3000}", user_agent="", created_at=at, updated_at=at,
            decided_by="bench-mod" if human else None, decided_at=at if human else None,
            spot_check=picked)


def build(engine: Engine, n: int, chunk: int = 10_000) -> float:
    """Migrate, then insert `n` comments; returns the seconds the inserts took."""
    upgrade(engine)
    rows = list(comment_rows(n))
    started = time.perf_counter()
    for start in range(0, n, chunk):
        with engine.begin() as connection:
            connection.execute(insert(Comment), rows[start:start + chunk])
    elapsed = time.perf_counter() - started
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE comments"))
    return elapsed


def ms(call: Callable[[], object], repeats: int = 1) -> float:
    """Median wall time of `call` in milliseconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(moderation: Moderation, pages: int, repeats: int) -> dict:
    results: dict = {}
    for order in ORDERS:
        query = QueueQuery(order=order)
        first_ms = ms(lambda: moderation.queue(query, limit=PAGE), repeats)
        after = moderation.queue(query, limit=PAGE).next_cursor
        walked, times = 0, []
        while after and walked < pages:
            started = time.perf_counter()
            after = moderation.queue(query, after=after, limit=PAGE).next_cursor
            times.append((time.perf_counter() - started) * 1000)
            walked += 1
        leased_ms = ms(lambda: moderation.queue(query, after=after, limit=PAGE,
                                                moderator="bench-ann"), repeats)
        results[order] = {
            "first_page_ms": round(first_ms, 2), "pages_walked": walked,
            "depth_comments": (walked + 1) * PAGE,
            "mean_page_ms": round(statistics.fmean(times), 2),
            "p95_page_ms": round(statistics.quantiles(times, n=20)[-1], 2),
            "max_page_ms": round(max(times), 2),
            "leased_deep_page_ms": round(leased_ms, 2)}
    results["counts_ms"] = round(ms(moderation.counts, repeats), 2)
    return results


@contextmanager
def sqlite_store() -> Iterator[tuple[Engine, str]]:
    with tempfile.TemporaryDirectory(prefix="review-bench-") as folder:
        engine = make_engine(f"sqlite:///{folder}/moderation.sqlite3")
        try:
            with engine.connect() as connection:
                version = connection.exec_driver_sql("SELECT sqlite_version()").scalar()
            yield engine, f"SQLite {version}"
        finally:
            engine.dispose()


@contextmanager
def postgres_store(url: str) -> Iterator[tuple[Engine, str]]:
    schema = f"review_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        version = connection.exec_driver_sql("SHOW server_version").scalar().split()[0]
    separator = "&" if "?" in url else "?"
    engine = make_engine(f"{url}{separator}options={quote(f'-csearch_path={schema}')}")
    try:
        yield engine, f"PostgreSQL {version}"
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run(store: str, args) -> dict:
    opened = sqlite_store() if store == "sqlite" else postgres_store(args.postgres_url)
    with opened as (engine, version):
        load_s = build(engine, args.comments)
        moderation = Moderation(engine)
        moderation.queue(QueueQuery(), limit=PAGE)  # warm: connection, statement caches
        result = {"store": store, "version": version, "insert_s": round(load_s, 1)}
        result.update(measure(moderation, args.pages, args.repeats))
        return result


def table(results: list[dict]) -> str:
    lines = ["| store | order | first page | mean page (p95), walking N pages | leased deep page "
             "| counts |", "|---|---|---:|---:|---:|---:|"]
    for result in results:
        for order in ORDERS:
            r = result[order]
            lines.append(
                f"| {result['version']} | {order} | {r['first_page_ms']:.1f} ms "
                f"| {r['mean_page_ms']:.1f} ms ({r['p95_page_ms']:.1f}), N = {r['pages_walked']} "
                f"| {r['leased_deep_page_ms']:.1f} ms | {result['counts_ms']:.1f} ms |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stores", nargs="+", choices=("sqlite", "postgres"),
                        default=["sqlite", "postgres"])
    parser.add_argument("--postgres-url", default=POSTGRES_URL,
                        help="a database where a scratch schema may be created and dropped")
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=3_000, help="how deep to walk, in pages")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    started = datetime.now(timezone.utc)
    results = [run(store, args) for store in args.stores]
    report = {
        "command": shlex.join([".venv/bin/python", "-m", "bench.review_queue",
                               *(argv if argv is not None else sys.argv[1:])]),
        "at": started.isoformat(timespec="seconds"),
        "comments": args.comments, "page_size": PAGE, "repeats": args.repeats,
        "host": {"cpus": os.cpu_count(), "python": platform.python_version(),
                 "loadavg_1m_after": os.getloadavg()[0]},
        "results": results}
    OUT.mkdir(exist_ok=True)
    path = OUT / f"review-queue-{started:%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=1) + "\n")
    print(table(results))
    print(f"\n{args.comments:,} comments; wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
