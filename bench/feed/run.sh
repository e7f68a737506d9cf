#!/usr/bin/env bash
# Read-path benchmark, in one run on loopback: the feed uncached (GET, `per_page=50`, 60
# published comments), the feed answered 304 (If-None-Match), the demo article page (120
# comments), and a bare Flask endpoint returning a body of the feed's size, all with the same
# gunicorn settings and `wrk --threads 2 --connections 16`; then the feed again while comments
# are being published (their time to show in the feed), and the cost of one invalidation.
#
#   bash bench/feed/run.sh                       # DURATION=10s CONNECTIONS=16 THREADS=2
#   MODERATION_FEED_CACHE=redis://127.0.0.1:6379/0 bash bench/feed/run.sh   # pages in Redis
#
# Writes bench/out/feed-<UTC time>.json (and bench/results/feed.json) and exits non-zero if a
# target of issue 20 is missed: feed >= 0.5 and 304 >= 0.8 of the bare endpoint's requests/s,
# article page p99 <= 30 ms, no errors.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
SERVICE_PORT=${SERVICE_PORT:-8111}
BARE_PORT=${BARE_PORT:-8112}
PY=.venv/bin/python
WORK=$(mktemp -d)
mkdir -p bench/out bench/results

export MODERATION_INSTANCE_PATH="$WORK/instance"
export MODERATION_RATE_LIMIT=off MODERATION_REQUEST_LOG=false
export GUNICORN_WORKERS=2 GUNICORN_ACCESSLOG= GUNICORN_LOGLEVEL=warning GUNICORN_MAX_REQUESTS=0
export GUNICORN_PIN_WORKERS=${GUNICORN_PIN_WORKERS:-1}
# Every comment published, so that each one published during the load changes the feed.
for label in SPAM ABUSE; do for kind in HOLD REJECT; do export "MODERATION_${label}_${kind}=1"; done; done

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

$PY -m flask --app service init-db >/dev/null
$PY -m bench.feed.seed
.venv/bin/gunicorn --config service/gunicorn_conf.py --bind "127.0.0.1:$SERVICE_PORT" \
  'service:create_app()' & pids+=($!)
wait_ready() {
  for _ in $(seq 1 300); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "not ready: $1" >&2; exit 1
}
wait_ready "http://127.0.0.1:$SERVICE_PORT/readyz"
FEED="http://127.0.0.1:$SERVICE_PORT/api/articles/bench-feed/comments?per_page=50"
curl -fsS -D "$WORK/headers" -o "$WORK/body.json" "$FEED"
ETAG=$(sed -n 's/^ETag: //Ip' "$WORK/headers" | tr -d '\r')
BENCH_FEED_BODY="$WORK/body.json" .venv/bin/gunicorn --config service/gunicorn_conf.py \
  --bind "127.0.0.1:$BARE_PORT" 'bench.feed.bare_app:create_app()' & pids+=($!)
wait_ready "http://127.0.0.1:$BARE_PORT/healthz"

load() {  # url [header] -> RESULT json
  wrk --threads "$THREADS" --connections "$CONNECTIONS" --duration "$DURATION" --latency \
    --script bench/feed/get.lua ${2:+-H "$2"} "$1" | sed -n 's/^RESULT //p'
}
for url in "http://127.0.0.1:$BARE_PORT/feed" "$FEED" "http://127.0.0.1:$SERVICE_PORT/"; do
  wrk -t1 -c2 -d2s "$url" >/dev/null   # warm-up: imports, connections, the page cache
done
bare=$(load "http://127.0.0.1:$BARE_PORT/feed")
feed=$(load "$FEED")
conditional=$(load "$FEED" "If-None-Match: $ETAG")
page=$(load "http://127.0.0.1:$SERVICE_PORT/")
# The feed while comments are published on the same article, each one a new version.
$PY -m bench.feed.publish "http://127.0.0.1:$SERVICE_PORT" bench-feed "${DURATION%s}" \
  > "$WORK/publish" & publisher=$!
publishing=$(load "$FEED")
wait $publisher
published=$(sed -n 's/^PUBLISH //p' "$WORK/publish")
cleanup; pids=()
invalidation=$($PY -m bench.feed.invalidation bench-feed 200 | sed -n 's/^INVALIDATION //p')

OUT="bench/out/feed-$(date -u +%Y%m%dT%H%M%SZ).json"
$PY - "$bare" "$feed" "$conditional" "$page" "$publishing" "$published" "$invalidation" \
  "$(stat -c %s "$WORK/body.json")" "$OUT" <<'PY'
import json, os, platform, subprocess, sys
bare, feed, conditional, page, publishing, published, invalidation = map(json.loads, sys.argv[1:8])
body_bytes, out = int(sys.argv[8]), sys.argv[9]
ratios = {name: round(result["rps"] / bare["rps"], 3) for name, result in
          (("feed", feed), ("conditional", conditional), ("page", page),
           ("feed_while_publishing", publishing))}
errors = sum(r["status_other"] + r["socket_errors"] for r in (bare, feed, conditional, page,
                                                                publishing))
checks = {"feed>=0.5_bare": ratios["feed"] >= 0.5,
          "conditional>=0.8_bare": ratios["conditional"] >= 0.8,
          "page_p99<=30ms": page["p99_ms"] <= 30, "no_errors": errors == 0}
report = {
    "command": "bash bench/feed/run.sh",
    "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True).stdout.strip(),
    "load": {"tool": "wrk", "duration": os.environ.get("DURATION", "10s"),
             "connections": int(os.environ.get("CONNECTIONS", "16")),
             "threads": int(os.environ.get("THREADS", "2"))},
    "gunicorn": {"workers": 2, "pin_workers": os.environ["GUNICORN_PIN_WORKERS"]},
    "page_cache": os.environ.get("MODERATION_FEED_CACHE", "memory://"),
    "feed_body_bytes": body_bytes,
    "host": {"cpus": os.cpu_count(), "python": platform.python_version(),
             "loadavg_1m_after": os.getloadavg()[0]},
    "bare": bare, "feed": feed, "feed_304": conditional, "article_page": page,
    "feed_while_publishing": {**publishing, **published},
    "invalidation": invalidation, "rps_ratio_to_bare": ratios, "checks": checks}
for path in (out, "bench/results/feed.json"):
    with open(path, "w") as handle:
        json.dump(report, handle, indent=2)
print(json.dumps(report, indent=2))
sys.exit(0 if all(checks.values()) else 1)
PY
