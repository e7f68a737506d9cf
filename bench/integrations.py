"""Integrations: how long a CMS or Coral waits for our answer, one request at a time.

    .venv/bin/python -m bench.integrations                 # 500 requests each
    .venv/bin/python -m bench.integrations --requests 2000

Serves the app as in production (gunicorn with `service/gunicorn_conf.py`, one worker, the
shipped classifier, SQLite in a temporary instance folder) on a free loopback port, then times, for the same `--requests` Fox News comments
from ../shared/data:

- `comment-check` through the `akismet` package's `SyncClient` (key lookup, scoring, policy,
  one `integration_checks` insert);
- the Coral external moderation phase, each request signed and serialised as Coral does it.

Requests are sequential, so the figures are latency, not throughput. Prints median and 95th
percentile in milliseconds and writes bench/out/integrations-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import akismet
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integrations"))

from integration_helpers import ToLoopback, new_api_key  # noqa: E402
from service import create_app  # noqa: E402
from service.storage.db import upgrade  # noqa: E402

SECRET = "empsec_" + "ab" * 32


def comments(count: int) -> list[str]:
    with open(ROOT.parent / "shared" / "data" / "fox-news-comments" / "fox-news-comments.csv",
              newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle) if row["text"].strip()]
    return [texts[i % len(texts)] for i in range(count)]


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {"median_ms": round(statistics.median(ms), 2),
            "p95_ms": round(ms[int(len(ms) * 0.95) - 1], 2)}


@contextmanager
def gunicorn(instance: str) -> Iterator[str]:
    """The service under gunicorn on a free loopback port; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "MODERATION_INSTANCE_PATH": instance, "MODERATION_RATE_LIMIT": "off",
           "MODERATION_CORAL_SECRETS": SECRET, "GUNICORN_WORKERS": "1",
           "GUNICORN_ACCESSLOG": "", "GUNICORN_LOGLEVEL": "warning"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--config", "service/gunicorn_conf.py",
         "--bind", f"127.0.0.1:{port}", "service:create_app()"], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not become ready in 60 s")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    texts = comments(args.requests)
    with tempfile.TemporaryDirectory() as instance:
        # The schema and a key, made with the same instance folder (and so the same hash key).
        app = create_app({"MODERATION_INSTANCE_PATH": instance})
        upgrade(app.extensions["store"].engine)
        key = new_api_key(app, "bench")
        app.extensions["store"].engine.dispose()
        with gunicorn(instance) as url, \
                httpx.Client(transport=ToLoopback(url), timeout=30) as http:
            client = akismet.SyncClient.validated_client(
                config=akismet.Config(key=key, url="https://news.example/"), http_client=http)
            akismet_times = []
            for n, text in enumerate(texts):
                start = time.perf_counter()
                client.comment_check(f"198.51.100.{n % 250}", comment_content=text,
                                     comment_author="reader", comment_type="comment")
                akismet_times.append(time.perf_counter() - start)
            coral_times = []
            with httpx.Client(timeout=30) as plain:
                for text in texts:
                    body = json.dumps({
                        "action": "NEW", "comment": {"body": text, "parentID": None},
                        "author": {"id": "a1", "role": "COMMENTER"},
                        "story": {"id": "s1", "url": "https://news.example/s1"},
                        "site": {"id": "site1"}, "tenantID": "t1",
                        "tenantDomain": "news.example"}, indent=2, ensure_ascii=False).encode()
                    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                    start = time.perf_counter()
                    plain.post(f"{url}/coral/moderation", content=body, headers={
                        "Content-Type": "application/json",
                        "X-Coral-Signature": f"sha256={signature}"})
                    coral_times.append(time.perf_counter() - start)
    result = {"requests": args.requests, "at": datetime.now(timezone.utc).isoformat(),
              "akismet_comment_check": percentiles(akismet_times),
              "coral_phase": percentiles(coral_times)}
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (out / f"integrations-{stamp}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
