"""Publish comments on one article while the feed is under load, and time how long each takes
to show in the feed (asked at the origin, as a CDN revalidating would). One JSON line out.

    python -m bench.feed.publish http://127.0.0.1:8111 bench-feed 10
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import urllib.request

from bench.readers_words import word


def _post(base: str, post_id: str, n: int) -> tuple[int, str]:
    body = json.dumps({"comment_post_ID": post_id, "comment_parent": "0",
                       "author": f"Publisher {n % 7}", "email": f"pub{n % 7}@example.org",
                       "comment": f"Published during the load, number {n} ({word(n)}) of this run."}).encode()
    request = urllib.request.Request(base + "/api/comments", body,
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        answer = json.load(response)
    return answer["id"], answer["status"]


def _shown(base: str, post_id: str, comment_id: int) -> bool:
    # The last page holds the newest top-level comment.
    url = f"{base}/api/articles/{post_id}/comments?per_page=200"
    with urllib.request.urlopen(url, timeout=5) as response:
        feed = json.load(response)
    return any(c["id"] == comment_id for c in feed["comments"])


def main(base: str, post_id: str, seconds: float, interval: float = 0.1) -> dict:
    delays, held, n = [], 0, 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        n += 1
        comment_id, status = _post(base, post_id, n)
        accepted = time.monotonic()
        if status != "published":
            held += 1
        else:
            while not _shown(base, post_id, comment_id):
                if time.monotonic() - accepted > 10:
                    raise SystemExit(f"comment {comment_id} not in the feed after 10 s")
            delays.append((time.monotonic() - accepted) * 1000)
        time.sleep(interval)
    return {"published": len(delays), "held": held,
            "visible_after_ms_median": round(statistics.median(delays), 2) if delays else None,
            "visible_after_ms_max": round(max(delays), 2) if delays else None}


if __name__ == "__main__":
    print("PUBLISH " + json.dumps(main(sys.argv[1], sys.argv[2], float(sys.argv[3]))))
