"""What the Flask-Limiter layer adds to each comment at intake: `commenter_wait` before
scoring plus `count_comment` after storing, in memory and in Redis.

    .venv/bin/python -m bench.rate_limits [--redis redis://127.0.0.1:6379/0] [-n 5000]

Each comment comes from another address and e-mail (two keys each), as in real traffic, under a
limit high enough that none is refused. Prints the median and 95th percentile per comment; the
Redis keys it made are deleted afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid

from service import create_app
from service.intake import limits


def measure(storage: str, n: int) -> list[float]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    app = create_app({"TESTING": True, "MODERATION_DATABASE_URL": "sqlite://",
                      "SCORER": object(),
                      "MODERATION_RATE_LIMIT": "1000000/minute",
                      "MODERATION_RATE_LIMIT_STORAGE": storage, "RATELIMIT_KEY_PREFIX": prefix,
                      "MODERATION_SECRET_KEY": "b", "MODERATION_IP_HASH_KEY": "b",
                      "MODERATION_EMAIL_HASH_KEY": "b"},
                     instance_path=tempfile.mkdtemp())
    timings = []
    for i in range(n):
        with app.test_request_context(environ_base={"REMOTE_ADDR": f"10.{i >> 16 & 255}."
                                                    f"{i >> 8 & 255}.{i & 255}"}):
            start = time.perf_counter()
            assert limits.commenter_wait(f"reader{i}@example.org") is None
            limits.count_comment(f"reader{i}@example.org")
            timings.append(time.perf_counter() - start)
    if storage.startswith("redis"):
        import redis

        client = redis.Redis.from_url(storage)
        keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default=None, help="also measure this Redis URL")
    parser.add_argument("-n", type=int, default=5000)
    args = parser.parse_args()
    for storage in ["memory://"] + ([args.redis] if args.redis else []):
        timings = sorted(measure(storage, args.n))
        print(f"{storage:32} median {statistics.median(timings) * 1e6:7.0f} µs   "
              f"p95 {timings[int(len(timings) * 0.95)] * 1e6:7.0f} µs   per comment (n={args.n})")


if __name__ == "__main__":
    main()
