"""Seed the benchmark's store through intake, as readers would: 60 published comments on
article `bench-feed` (every fifth a reply) and 120 on the demo article. Prints nothing.

    python -m bench.feed.seed     # with the service's environment (MODERATION_INSTANCE_PATH...)
"""

from __future__ import annotations

from bench.readers_words import word
from service import create_app

PUBLISH_ALL = {f"MODERATION_{label}_{kind}": "1" for label in ("SPAM", "ABUSE")
               for kind in ("HOLD", "REJECT")}
TEXT = ("Comment {n} on the footbridge: the new lighting on the ramps is a real improvement, "
        "and the non-slip surface is welcome after last winter, says {name}.")


def seed(client, post_id: str, count: int) -> None:
    ids: list[int] = []
    for n in range(count):
        parent = ids[-1] if n % 5 == 4 else 0
        response = client.post("/api/comments", json={
            "comment_post_ID": post_id, "comment_parent": str(parent),
            "author": f"Reader {n % 40}", "email": f"reader{n % 40}@example.org",
            "url": "", "comment": TEXT.format(n=n, name=word(n))})
        assert response.status_code == 201 and response.get_json()["status"] == "published", \
            response.get_json()
        ids.append(response.get_json()["id"])


if __name__ == "__main__":
    client = create_app({**PUBLISH_ALL, "MODERATION_RATE_LIMIT": "off",
                         "MODERATION_MIN_SUBMIT_SECONDS": "0"}).test_client()
    seed(client, "bench-feed", 60)
    seed(client, "demo", 120)
