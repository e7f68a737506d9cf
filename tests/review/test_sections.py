"""Sections, on SQLite and PostgreSQL: each section's queue depth and age, moderators' sections
coming first in their queue (across pages and leases), the section filter, the Sections page,
the command line, and /metrics."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from review_helpers import T0, add_comment
from service.articles import sections
from service.articles.records import Actor
from service.review.queue import QueueQuery

NOW = T0 + timedelta(hours=2)


def _section(app, post_id: str, section: str | None) -> None:
    app.extensions["articles"].change(post_id, Actor(api_key="site"), {"section": section})


@pytest.fixture
def newsroom(review_app):
    """Comments waiting on a Local article, a Politics one and one without a section; and one
    published comment, which waits for nobody."""
    _section(review_app, "bridge", "Local")
    _section(review_app, "budget", "Politics")
    made = {
        "local": [add_comment(review_app, f"local {n}", post_id="bridge", minutes=10 + n,
                              spam=0.5 + n / 10) for n in range(3)],
        "politics": [add_comment(review_app, f"politics {n}", post_id="budget", minutes=n,
                                 spam=0.9 - n / 10) for n in range(2)],
        "none": [add_comment(review_app, "somewhere", post_id="p-9", minutes=30, spam=0.95)],
    }
    add_comment(review_app, "published", post_id="bridge", status="published")
    return made


def ids(page):
    return [c.id for c in page.comments]


def test_each_sections_queue_depth_and_oldest_wait(review_app, newsroom):
    queues = sections.queue_by_section(review_app.extensions["store"].engine, NOW)
    assert [(q.section, q.depth, q.oldest_age_seconds) for q in queues] == [
        ("Local", 3, 110 * 60), ("Politics", 2, 120 * 60), (None, 1, 90 * 60)]


def test_a_moderators_sections_come_first_then_every_other(review_app, moderation, newsroom):
    local = [c.id for c in newsroom["local"]]
    rest = [c.id for c in newsroom["none"] + newsroom["politics"]]  # riskiest first
    page = moderation.queue(QueueQuery(), first=("Local",))
    assert ids(page) == local[::-1] + rest
    assert page.mine == set(local)
    # Pages of two go across the boundary without losing or repeating a comment.
    seen, after = [], None
    while True:
        page = moderation.queue(QueueQuery(), first=("Local",), after=after, limit=2)
        seen += ids(page)
        after = page.next_cursor
        if after is None:
            break
    assert seen == local[::-1] + rest
    # A section chosen in the filter replaces the order: that section alone.
    chosen = moderation.queue(QueueQuery(section="Politics"), first=("Local",))
    assert ids(chosen) == [c.id for c in newsroom["politics"]]
    assert chosen.mine == set()


def test_leasing_works_section_by_section(review_app, moderation, newsroom):
    # bob holds the two riskiest Local comments; ann's page skips them, and still puts the
    # Local comment left first.
    moderation.queue(QueueQuery(), moderator="bob", first=("Local",), limit=2, now=NOW)
    page = moderation.queue(QueueQuery(), moderator="ann", first=("Local",), limit=3, now=NOW)
    assert ids(page)[0] == newsroom["local"][0].id
    assert len(ids(page)) == 3 and page.next_cursor is not None


def test_assignments_are_kept_per_moderator_and_replaced_whole(review_app):
    engine = review_app.extensions["store"].engine
    assert sections.assign(engine, "ann", ["Politics", "Local", "Local"], by="bob") == \
        ("Local", "Politics")
    sections.assign(engine, "ann", ["Local", "Sport"], by="bob")
    assert sections.assignments(engine) == {"ann": ("Local", "Sport"), "bob": ()}
    assert sections.known(engine) == ["Local", "Sport"]
    with pytest.raises(LookupError):
        sections.assign(engine, "nobody", ["Local"], by="bob")


def test_section_names_are_cleaned_as_an_articles_are():
    assert sections.parse(" Local ,  Local, Opinion  pages,, ") == ("Local", "Opinion pages")
    assert sections.waited(59) == "0 min" and sections.waited(3 * 3600 + 300) == "3 h 05 min"
    assert sections.waited(2 * 86400 + 4 * 3600) == "2 days 4 h"


def test_the_queue_page_shows_sections_and_a_moderators_own_first(review_app, ann, newsroom):
    page = ann.get("/review/").get_data(as_text=True)
    strip = page.split('id="queue-sections"', 1)[1].split("</nav>", 1)[0]
    assert 'data-section="Local"' in strip and '<span class="count">3</span>' in strip
    assert "no section" in strip
    assert 'id="other-sections"' not in page  # ann has no sections yet

    saved = ann.post("/review/sections/", {"name": "ann", "section": ["Local"],
                                           "more": "Sport"})
    assert saved.status_code == 302
    page = ann.get("/review/").get_data(as_text=True)
    assert "Your sections come first: Local, Sport" in page
    first, others = page.split('id="other-sections"', 1)
    assert all(f'id="c{c.id}"' in first for c in newsroom["local"])
    assert all(f'id="c{c.id}"' in others for c in newsroom["politics"] + newsroom["none"])

    filtered = ann.get("/review/?section=Politics").get_data(as_text=True)
    queue = filtered.split('id="queue"', 1)[1]
    assert {int(i) for i in re.findall(r'id="c(\d+)"', queue)} == \
        {c.id for c in newsroom["politics"]}


def test_the_sections_page_lists_queues_and_assignments(review_app, ann, newsroom):
    page = ann.get("/review/sections/").get_data(as_text=True)
    assert page.count('class="section-queue"') == 3
    assert 'data-moderator="ann"' in page and 'data-moderator="bob"' in page
    assert ann.post("/review/sections/", {"name": "nobody"}).status_code == 400
    ann.post("/review/sections/", {"name": "bob", "section": ["Politics"]})
    assert sections.assignments(review_app.extensions["store"].engine)["bob"] == ("Politics",)
    page = ann.get("/review/sections/").get_data(as_text=True)
    assert "bob looks after Politics first." in page


def test_the_command_line_shows_and_sets_a_moderators_sections(review_app):
    runner = review_app.test_cli_runner()
    assert runner.invoke(args=["moderators", "sections", "ann"]).output == \
        "ann: every section alike\n"
    result = runner.invoke(args=["moderators", "sections", "ann", "--set", "Local, Sport"])
    assert result.output == "ann: Local, Sport\n"
    assert runner.invoke(args=["moderators", "sections", "ann", "--set", ""]).output == \
        "ann: every section alike\n"
    missing = runner.invoke(args=["moderators", "sections", "nobody"])
    assert missing.exit_code != 0 and "No moderator named 'nobody'" in missing.output


def test_metrics_count_each_sections_queue(review_app, newsroom):
    review_app.config["MODERATION_METRICS_TOKEN"] = "scrape"
    text = review_app.test_client().get(
        "/metrics", headers={"Authorization": "Bearer scrape"}).get_data(as_text=True)
    found = {(s.name, s.labels.get("section")): s.value
             for family in text_string_to_metric_families(text) for s in family.samples}
    assert found[("moderation_queue_depth_by_section", "Local")] == 3
    assert found[("moderation_queue_depth_by_section", "Politics")] == 2
    assert found[("moderation_queue_depth_by_section", "")] == 1
    assert found[("moderation_queue_oldest_age_seconds_by_section", "Politics")] > \
        found[("moderation_queue_oldest_age_seconds_by_section", "Local")] > 0
