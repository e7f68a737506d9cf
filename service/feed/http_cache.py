"""HTTP caching of what readers see: validators, freshness, and when to answer 304.

Plain functions over an article's version (`Store.feed_version`), testable without HTTP. The
version changes in the same transaction as any change a reader could see (migration 0012), so a
validator built from it is exact: same validator, same comments.
"""

from __future__ import annotations

from datetime import datetime, timezone

from werkzeug.datastructures import ETags

from service.storage.store import FeedVersionRow

# Bump when the feed's JSON or the pages' HTML change shape, so that caches holding the old
# shape under an unchanged comment version do not get a 304 for it after a deploy.
REPRESENTATION = "r3"  # r3: report links

# Last-Modified has whole seconds. A change within the second just past may still be followed
# by another in that same second, which a client sending If-Modified-Since could not tell
# apart; so a page changed less than this long ago is sent without Last-Modified (its ETag
# still validates it). One second, plus slack for the clocks of the database and the hosts.
SETTLED_US = 2_000_000


def etag(kind: str, version: FeedVersionRow, *parts: object, weak: bool = False) -> str:
    """The quoted entity tag of one representation (`kind`: "feed", "page") of an article at
    `version`; `parts` are whatever else the URL selects (page, page size)."""
    tag = "-".join(str(p) for p in (kind, REPRESENTATION, version.number,
                                    f"{version.changed_us:x}", *parts))
    return f'W/"{tag}"' if weak else f'"{tag}"'


def last_modified(version: FeedVersionRow, now_us: int) -> datetime | None:
    """Last-Modified for `version`, or None while it is too recent to be exact (SETTLED_US), or
    when the article never changed."""
    if version.changed_us == 0 or now_us - version.changed_us < SETTLED_US:
        return None
    return datetime.fromtimestamp(version.changed_us // 1_000_000, timezone.utc)


def not_modified(if_none_match: ETags, if_modified_since: datetime | None, tag: str,
                 modified: datetime | None) -> bool:
    """Whether a GET may be answered 304 (RFC 9110, 13.1.2 and 13.2.2): If-None-Match decides
    alone when sent (weak comparison); otherwise If-Modified-Since, when the page has a
    Last-Modified at all."""
    if if_none_match:
        opaque = tag.removeprefix("W/").strip('"')
        return if_none_match.contains_weak(opaque) or if_none_match.star_tag
    if if_modified_since is None or modified is None:
        return False
    return modified <= if_modified_since


def cache_control(max_age: int, stale_seconds: int) -> str:
    """Anyone may keep a reader's page (it holds published comments only), for `max_age`
    seconds, and answer with it for `stale_seconds` more while fetching the new one."""
    value = f"public, max-age={max_age}"
    return f"{value}, stale-while-revalidate={stale_seconds}" if stale_seconds else value
