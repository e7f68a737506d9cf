"""Helpers for the security tests: moderators, and
the Redis server the shared rate-limit storage is tested against."""

from __future__ import annotations

import os
import uuid

from required import unavailable

REDIS_URL = os.environ.get("MODERATION_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_or_fail():
    """A client for the test Redis; skips locally when it is down, fails under CI=true."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable("Redis", f"Redis at {REDIS_URL} is not usable: {exc}")
    return client


def unique_prefix() -> str:
    return f"moderation-test-{uuid.uuid4().hex[:12]}"


def delete_keys(client, prefix: str) -> int:
    """Delete only the keys this test made (every key name carries its prefix)."""
    keys = list(client.scan_iter(match=f"*{prefix}*", count=500))
    return client.delete(*keys) if keys else 0


class CountingScorer:
    """The real classifier, counting how many comments it was asked to score."""

    def __init__(self, scorer) -> None:
        self._scorer = scorer
        self.version = scorer.version
        self.thresholds = scorer.thresholds
        self.calls = 0

    def score(self, text: str) -> dict:
        return self.score_many([text])[0]

    def score_many(self, texts) -> list[dict]:
        texts = list(texts)
        self.calls += len(texts)
        return self._scorer.score_many(texts)

    def explain(self, text: str, top: int = 5) -> dict:
        return self._scorer.explain(text, top=top)


PASSWORD = "correct horse battery"


def add_moderator(app, name: str, password_hash: str) -> None:
    from sqlalchemy import insert

    from service.storage.tables import Moderator, utcnow

    with app.extensions["store"].engine.begin() as connection:
        connection.execute(insert(Moderator), {
            "name": name, "password_hash": password_hash, "active": True,
            "created_at": utcnow(), "must_change_password": False})


def csrf_token(client) -> str:
    import re

    page = client.get("/auth/login").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def login(client, name: str, password: str = PASSWORD, ip: str = "127.0.0.1"):
    environ = {"REMOTE_ADDR": ip}
    client.get("/auth/login", environ_base=environ)
    return client.post("/auth/login", data={"name": name, "password": password,
                                             "csrf_token": csrf_token(client)},
                       environ_base=environ)
