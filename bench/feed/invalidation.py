"""The cost of one invalidation, in one process on the benchmark's store: a moderator's edit of
one published comment (the UPDATE and its trigger's version bump, committed), then the first
feed request after it (a cache miss: the page is read and rendered again), against a request
that hits the cache. Medians of N rounds, in microseconds. One JSON line out.

    python -m bench.feed.invalidation bench-feed 200
"""

from __future__ import annotations

import json
import statistics
import sys
import time

from sqlalchemy import select, update

from service import create_app
from service.storage.tables import Comment


def main(post_id: str, rounds: int) -> dict:
    app = create_app({"MODERATION_RATE_LIMIT": "off"})
    client = app.test_client()
    engine = app.extensions["store"].engine
    url = f"/api/articles/{post_id}/comments?per_page=50"
    with engine.connect() as connection:
        comment_id = connection.scalar(select(Comment.id).where(
            Comment.post_id == post_id, Comment.status == "published").limit(1))
    timings: dict[str, list[float]] = {"edit_commit_us": [], "miss_us": [], "hit_us": []}
    for n in range(rounds):
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(update(Comment).where(Comment.id == comment_id)
                               .values(text=f"Edited by a moderator, round {n}."))
        edited = time.perf_counter()
        assert client.get(url).status_code == 200
        missed = time.perf_counter()
        assert client.get(url).status_code == 200
        hit = time.perf_counter()
        timings["edit_commit_us"].append((edited - started) * 1e6)
        timings["miss_us"].append((missed - edited) * 1e6)
        timings["hit_us"].append((hit - missed) * 1e6)
    return {name: round(statistics.median(values)) for name, values in timings.items()}


if __name__ == "__main__":
    print("INVALIDATION " + json.dumps(main(sys.argv[1], int(sys.argv[2]))))
