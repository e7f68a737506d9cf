"""Rendered reader pages (feed JSON, thread HTML), kept per article version.

Keys carry the article's version (`Store.feed_version`), which the database changes in the same
transaction as any change a reader could see. So an entry is never wrong, only unused: after a
comment is published, unpublished, edited or erased, the next request reads the new version,
misses, and renders the page once. A host cannot serve a removed comment from its cache, and two
hosts need not tell each other anything. Invalidation is the version bump; old entries age out
(least recently used in memory, a time to live in Redis).

`memory://` keeps pages in each worker; a Redis URL (`MODERATION_FEED_CACHE`) shares them, so a
page rendered by one host serves them all. Redis being unreachable costs speed, not answers:
the page is rendered as if missing, and the failure logged once a minute.
"""

from __future__ import annotations

import logging
import threading
import time
from hashlib import sha256
from collections import OrderedDict
from typing import Callable, Protocol

log = logging.getLogger(__name__)

# A feed page of 50 threads is 10-40 kB, a whole article page with 120 comments 64 kB: at
# most a hundred MB or so per worker, in the worst case of 2,000 such pages.
MEMORY_ENTRIES = 2_000
REDIS_TTL_SECONDS = 3_600  # an old version's page is never read again; this only frees memory
REDIS_PREFIX = "moderation:feed:"


class PageStore(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, body: bytes) -> None: ...


class MemoryPages:
    """A bounded least-recently-used map, safe across a worker's threads."""

    def __init__(self, entries: int = MEMORY_ENTRIES) -> None:
        self.entries = entries
        self._pages: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._pages.get(key)
            if body is not None:
                self._pages.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        with self._lock:
            self._pages[key] = body
            self._pages.move_to_end(key)
            while len(self._pages) > self.entries:
                self._pages.popitem(last=False)


class RedisPages:
    def __init__(self, url: str, ttl: int = REDIS_TTL_SECONDS) -> None:
        import redis

        self._errors = redis.RedisError
        self._client = redis.Redis.from_url(url, socket_timeout=0.5,
                                            socket_connect_timeout=0.5)
        self.ttl = ttl
        self._logged_at = 0.0

    def get(self, key: str) -> bytes | None:
        try:
            return self._client.get(REDIS_PREFIX + key)
        except self._errors as exc:
            self._failed(exc)
            return None

    def put(self, key: str, body: bytes) -> None:
        try:
            self._client.set(REDIS_PREFIX + key, body, ex=self.ttl)
        except self._errors as exc:
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        if time.monotonic() - self._logged_at > 60:
            self._logged_at = time.monotonic()
            log.warning("feed cache: Redis unavailable (%s); rendering pages without it", exc)


def page_store(url: str) -> PageStore:
    return MemoryPages() if url.startswith("memory://") else RedisPages(url)


def key(post_id: str, tag: str, origin: str = "") -> str:
    """An article's page at one version (`tag`, its ETag), with absolute links to `origin`
    (the host asked; empty for a page whose links are relative). The article's id is hashed: it
    comes from the URL, of any length and any characters."""
    page = f"{sha256(post_id.encode()).hexdigest()[:32]}:{tag}"
    return f"{page}@{origin}" if origin else page


def cached(pages: PageStore, key: str, render: Callable[[], bytes]) -> bytes:
    body = pages.get(key)
    if body is None:
        body = render()
        pages.put(key, body)
    return body
