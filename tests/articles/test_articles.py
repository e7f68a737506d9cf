"""Articles: the commenting rules as plain functions (no database), the details' rules, and the
article store's verbs on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from service.articles import records as articles
from service.articles import sections
from service.articles.records import Actor, ArticleError, Articles, AutoClose
from service.storage.db import make_engine
from service.storage.store import Store
from service.storage.tables import Article

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def article(**fields) -> Article:
    values = dict(post_id="p1", created_at=NOW - 30 * DAY, commenting="auto",
                  close_after_days=None, close_from=None, published_at=None,
                  first_comment_at=None, premoderated=False)
    values.update(fields)
    return Article(**values)


OFF = AutoClose(0)
AFTER_14_DAYS = AutoClose(14, "publication")
AFTER_2_DAYS_OF_COMMENTS = AutoClose(2, "first_comment")


# -- the rules, without a database ----------------------------------------------------------------

@pytest.mark.parametrize("the_article, rule, closed", [
    # An article the service never heard of is open, whatever the rule.
    (None, AFTER_14_DAYS, False),
    # The site's rule off: open until someone closes it.
    (article(published_at=NOW - 400 * DAY), OFF, False),
    (article(commenting="closed"), OFF, True),
    # 14 days after publication: open on day 13, closed from the 14th day on.
    (article(published_at=NOW - 13 * DAY), AFTER_14_DAYS, False),
    (article(published_at=NOW - 14 * DAY), AFTER_14_DAYS, True),
    # No publication time from the site: counted from when the service first heard of it.
    (article(created_at=NOW - 15 * DAY), AFTER_14_DAYS, True),
    (article(created_at=NOW - 3 * DAY), AFTER_14_DAYS, False),
    # Two days after the first comment; none yet, so nothing to count from.
    (article(first_comment_at=NOW - 2 * DAY), AFTER_2_DAYS_OF_COMMENTS, True),
    (article(first_comment_at=NOW - DAY), AFTER_2_DAYS_OF_COMMENTS, False),
    (article(created_at=NOW - 400 * DAY), AFTER_2_DAYS_OF_COMMENTS, False),
    # The article's own override: other days, other start, or never (0).
    (article(published_at=NOW - 3 * DAY, close_after_days=2), AFTER_14_DAYS, True),
    (article(published_at=NOW - 20 * DAY, close_after_days=30), AFTER_14_DAYS, False),
    (article(published_at=NOW - 20 * DAY, close_after_days=0), AFTER_14_DAYS, False),
    (article(published_at=NOW - 20 * DAY, first_comment_at=NOW - DAY,
             close_from="first_comment"), AFTER_14_DAYS, False),
    (article(published_at=NOW - DAY, first_comment_at=NOW - DAY, close_after_days=1,
             close_from="publication"), AFTER_2_DAYS_OF_COMMENTS, True),
    # By hand: closed whatever the rule, or kept open past it.
    (article(published_at=NOW - DAY, commenting="closed"), AFTER_14_DAYS, True),
    (article(published_at=NOW - 99 * DAY, commenting="open"), AFTER_14_DAYS, False),
])
def test_when_an_article_is_closed(the_article, rule, closed):
    assert articles.is_closed(the_article, rule, NOW) is closed
    state = articles.commenting_state(the_article, rule, NOW)
    assert state.open is not closed


def test_commenting_state_says_why_and_when():
    rule = AFTER_14_DAYS
    soon = articles.commenting_state(article(published_at=NOW - 13 * DAY), rule, NOW)
    assert soon.closes_at == NOW + DAY
    assert soon.sentence == "Open; closes automatically on 2026-12-09 12:00 UTC"
    past = articles.commenting_state(article(published_at=NOW - 20 * DAY), rule, NOW)
    assert past.sentence == "Closed automatically on 2026-12-02 12:00 UTC"
    assert articles.closed_since(article(published_at=NOW - 20 * DAY), rule, NOW) \
        == NOW - 6 * DAY
    assert articles.commenting_state(article(commenting="closed"), rule, NOW).sentence \
        == "Closed by hand"
    kept = articles.commenting_state(article(commenting="open"), rule, NOW)
    assert kept.open and "kept open by hand" in kept.sentence
    assert articles.closed_since(article(commenting="closed"), rule, NOW) is None


def test_the_site_rule_comes_from_the_settings():
    assert articles.site_rule({"MODERATION_AUTO_CLOSE_DAYS": 14,
                               "MODERATION_AUTO_CLOSE_FROM": "first_comment"}) \
        == AutoClose(14, "first_comment")
    with pytest.raises(ValueError):
        AutoClose(3, "yesterday")


def test_details_are_cleaned_to_one_line_and_times_to_utc():
    cleaned = articles.clean_details({
        "title": "  Footbridge\n reopens   after repairs ", "section": " Local ",
        "permalink": "https://news.example/bridge", "published_at": "2026-12-01T09:30:00+01:00",
        "close_after_days": 3.0, "close_from": None, "commenting": None, "premoderated": True})
    assert cleaned == {
        "title": "Footbridge reopens after repairs", "section": "Local",
        "permalink": "https://news.example/bridge",
        "published_at": datetime(2026, 12, 1, 8, 30, tzinfo=timezone.utc),
        "close_after_days": 3, "close_from": None, "commenting": "auto", "premoderated": True}
    assert articles.clean_details({"title": "   "}) == {"title": None}


@pytest.mark.parametrize("given, field", [
    ({"permalink": "javascript:alert(1)"}, "permalink"),
    ({"permalink": "https://news.example/a b"}, "permalink"),
    ({"title": "x" * 301}, "title"),
    ({"title": "nul\x00"}, "title"),
    ({"section": "\ud800"}, "section"),
    ({"section": 7}, "section"),
    ({"published_at": "2026-12-01"}, "published_at"),  # no time, no offset
    ({"published_at": "2026-12-01T09:30:00"}, "published_at"),
    ({"published_at": "2026-12-01T09:30:00Z\n"}, "published_at"),
    ({"published_at": "1850-01-01T00:00Z"}, "published_at"),
    ({"close_after_days": -1}, "close_after_days"),
    ({"close_after_days": 2.5}, "close_after_days"),
    ({"close_after_days": True}, "close_after_days"),
    ({"close_from": "lunch"}, "close_from"),
    ({"commenting": "maybe"}, "commenting"),
    ({"premoderated": "yes"}, "premoderated"),
    ({"headline": "x"}, "headline"),
])
def test_bad_details_are_refused_with_the_field_at_fault(given, field):
    with pytest.raises(ArticleError) as refused:
        articles.clean_details(given)
    assert refused.value.field == field
    assert refused.value.as_json()["code"] == f"bad_{field}"


def test_a_day_past_the_months_end_rolls_over():
    # Every time the description's pattern allows is read as some time.
    assert articles.parse_time("t", "2026-02-31T10:00+01:00") \
        == datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc)
    assert articles.parse_time("t", "2026-12-01T09:30:00.5Z") \
        == datetime(2026, 12, 1, 9, 30, 0, 500_000, tzinfo=timezone.utc)


# -- the store, on both backends ------------------------------------------------------------------

@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine) -> Articles:
    return Articles(engine)


def _version(engine, post_id: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT version FROM feed_versions WHERE post_id = :p"),
                                  {"p": post_id}).scalar() or 0


def test_a_change_is_recorded_with_who_made_it(store, engine):
    store.change("p1", Actor(moderator="ann"), {"commenting": "closed", "premoderated": True},
                 now=NOW)
    store.change("p1", Actor(api_key="Daily Planet"), {"title": "Bridge", "commenting": "closed"},
                 now=NOW + DAY)
    changes = [(c.moderator, c.api_key, c.field, c.old, c.new) for c in store.history("p1")]
    # Newest first; setting what is already set records nothing.
    assert changes == [(None, "Daily Planet", "title", None, "Bridge"),
                       ("ann", None, "premoderated", "no", "yes"),
                       ("ann", None, "commenting", "auto", "closed")]
    stored = store.get("p1")
    assert (stored.commenting, stored.premoderated, stored.title) == ("closed", True, "Bridge")
    assert stored.created_at == NOW


def test_what_readers_see_moves_the_feed_version_and_nothing_else_does(store, engine):
    store.change("p1", Actor(moderator="ann"), {"commenting": "closed"})
    assert _version(engine, "p1") == 1
    store.change("p1", Actor(moderator="ann"), {"premoderated": True, "section": "Local"})
    assert _version(engine, "p1") == 1  # readers see neither
    store.change("p1", Actor(moderator="ann"), {"commenting": "auto", "close_after_days": 3})
    assert _version(engine, "p1") == 2


def test_a_form_fills_in_only_what_is_not_known(store):
    store.change("p1", Actor(api_key="site"), {"title": "The site's title"})
    store.note_from_form("p1", title="A reader's title", permalink="https://news.example/p1",
                         section="Local", commented_at=NOW)
    store.note_from_form("p1", title="Another", permalink="https://evil.example/",
                         section="Sport", commented_at=NOW + DAY)
    stored = store.get("p1")
    assert (stored.title, stored.permalink, stored.section) == \
        ("The site's title", "https://news.example/p1", "Local")
    assert stored.first_comment_at == NOW  # the first comment's time, kept
    store.note_from_form("p2", title=None, permalink=None, section=None, commented_at=NOW)
    assert store.get("p2").first_comment_at == NOW and store.get("p2").commenting == "auto"


def test_two_workers_noting_the_same_new_article_at_once_both_succeed(store):
    errors = []

    def note(n: int) -> None:
        try:
            store.note_from_form("hot", title=f"T{n}", permalink=None, section=None,
                                 commented_at=NOW)
        except Exception as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    threads = [threading.Thread(target=note, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.get("hot").title in {f"T{n}" for n in range(6)}


def test_search_finds_titles_and_sections_newest_first(store):
    store.change("a", Actor(api_key="site"), {"title": "Footbridge reopens", "section": "Local",
                                              "published_at": NOW - 2 * DAY})
    store.change("b", Actor(api_key="site"), {"title": "Council budget", "section": "Politics",
                                              "published_at": NOW - DAY})
    store.change("c", Actor(api_key="site"), {"title": "Bridge club wins", "section": "Local",
                                              "published_at": NOW})
    assert [a.post_id for a, _ in store.search("bridge")] == ["c", "a"]
    assert [a.post_id for a, _ in store.search(section="Local")] == ["c", "a"]
    assert [a.post_id for a, _ in store.search("100%_")] == []  # LIKE's wildcards are text
    assert sections.known(store.engine) == ["Local", "Politics"]
    assert store.many(["a", "zz"]).keys() == {"a"}


def test_intake_reads_an_article_as_the_orm_does(engine, store):
    store.change("p1", Actor(moderator="ann"), {
        "title": "Bridge", "published_at": NOW, "premoderated": True, "close_after_days": 2,
        "close_from": "first_comment"}, now=NOW)
    store.note_from_form("p1", title=None, permalink=None, section=None, commented_at=NOW)
    fast = Store(engine).article("p1")
    orm = store.get("p1")
    for name in articles.FIELDS + ("post_id", "created_at", "first_comment_at"):
        assert getattr(fast, name) == getattr(orm, name), name
    assert fast.premoderated is True
    assert Store(engine).article("nope") is None
