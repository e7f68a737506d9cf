"""The model page in real headless Chromium: from the queue (each item names and links the
version that scored it) to the model page's table and chart, and its reload button switching
this worker to a newly promoted version."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import insert, update

from model.artifact import DEFAULT_DIR, current_stem, set_current
from model_versions import add_version, two_versions
from review_helpers import add_comment, log_in_browser as log_in
from serving import serving
from service.classifier.model_registry import stem_time
from service.review.queue import state_token
from service.classifier.scoring import ScorerHolder
from service.storage.tables import Comment, Moderator as ModeratorRow, utcnow

pytestmark = pytest.mark.browser


@pytest.fixture
def served(make_app, password_hash, tmp_path):
    """The app on SQLite following a real artifact directory, on a free loopback port; yields
    (app, base URL, directory, old version, new version)."""
    directory = tmp_path / "artifacts"
    old, new = two_versions(directory)
    app = app_following(make_app, password_hash, directory)
    with serving(app) as base:
        yield app, base, directory, old, new


def app_following(make_app, password_hash, directory):
    """The app on SQLite whose worker follows `directory`'s pointer, with moderator ann."""
    app = make_app(MODERATION_MODEL_PATH=str(directory))
    app.extensions["scorer"] = ScorerHolder.load(str(directory), check_seconds=3600)
    with app.extensions["store"].engine.begin() as connection:
        connection.execute(insert(ModeratorRow), [
            {"name": "ann", "password_hash": password_hash, "active": True,
             "created_at": utcnow(), "must_change_password": False}])
    return app


def test_from_the_queue_to_the_model_page_and_a_reload(served, browser):
    app, base, directory, old, new = served
    held = add_comment(app, "Only an idiot would pay for this bridge.")
    app.extensions["moderation"].decide(held.id, "ann", "approve", seen=state_token(held))
    add_comment(app, "casino bonus pills", minutes=1)
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        log_in(page, base)
        assert page.locator(".item a.model").first.inner_text() == "model fake-1"

        page.click("nav >> text=Models")
        page.wait_for_url(base + "/review/models")
        assert page.locator("[data-serving]").inner_text() == old
        assert page.locator(f"[data-version='{old}'] .badge").all_inner_texts() == [
            "current", "serving here"]
        fake = page.locator("[data-version='fake-1']")
        assert fake.locator(".overturned").inner_text() == "100%"  # approved what it held
        assert page.locator("figure.chart svg rect").count() == 1
        assert page.locator("figure.chart svg").bounding_box()["height"] > 100

        set_current(directory, new)
        page.click("text=Check the pointer now")
        page.wait_for_selector(".flash.ok")
        assert f"now serves {new}" in page.locator(".flash.ok").inner_text()
        assert page.locator("[data-serving]").inner_text() == new
        assert page.locator(f"[data-version='{new}'] .badge").all_inner_texts() == [
            "current", "serving here"]
        assert errors == []
    finally:
        context.close()


# -- the page as a newsroom reads it ------------------------------------------------------------

SHIPPED_PARENT = "moderation-20261124-171357"  # the shipped card's parent, not kept in the repo
RETRAINED = "moderation-20991204-182358"  # after any shipped version
PROMOTION = {  # as `model.train --promote` wrote it for a real retraining
    "promoted": True,
    "reasons": ["made current by --promote despite:",
                "abuse ROC AUC on the fox held-out split fell from 0.6721 to 0.6534 (more than "
                "0.005)",
                "spam: too few recent decisions of both kinds to compare"],
    "comparison": {"held_out": {"spam": {}, "abuse": {
        "fox": {"rows": 496, "positives": 147, "candidate": 0.6534, "current": 0.6721},
        "olid": {"rows": 2622, "positives": 855, "candidate": 0.835, "current": 0.8057}}},
        "recent": {"spam": None, "abuse": None}, "recent_rows": 0}}


@pytest.fixture
def newsroom(make_app, password_hash, tmp_path, browser):
    """The shipped version (its parent no longer in the directory, no history line) and a
    retrained one promoted over it by hand; moderators overturned some of each. Yields a page
    logged in on /review/models and the two stems."""
    directory = tmp_path / "artifacts"
    directory.mkdir()
    shipped = current_stem(DEFAULT_DIR)
    add_version(directory, shipped, parent=SHIPPED_PARENT)
    add_version(directory, RETRAINED, parent=shipped, created_at="2099-12-04T18:23:58+00:00",
                promotion=PROMOTION)
    set_current(directory, RETRAINED)
    (directory / "HISTORY.jsonl").write_text(json.dumps(
        {"at": "2099-12-04T18:24:00+00:00", "action": "promote", "version": RETRAINED,
         "previous": shipped, "reason": "; ".join(PROMOTION["reasons"])}) + "\n")
    app = app_following(make_app, password_hash, directory)
    moderation = app.extensions["moderation"]
    for n, (version, status, action) in enumerate([
            (shipped, "pending", "approve"), (shipped, "pending", "reject"),
            (shipped, "published", "reject"), (RETRAINED, "pending", "approve"),
            (RETRAINED, "rejected", "reject")]):
        comment = add_comment(app, f"A comment about the bridge, number {n}.", status=status)
        with app.extensions["store"].engine.begin() as connection:
            connection.execute(update(Comment).where(Comment.id == comment.id)
                               .values(model_version=version))
        moderation.decide(comment.id, "ann", action, "spam" if action == "reject" else None,
                          seen=state_token(comment))
    with serving(app) as base:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        try:
            log_in(page, base)
            page.goto(base + "/review/models")
            yield page, shipped
        finally:
            context.close()


def inside(inner: dict, outer: dict) -> bool:
    return (inner["x"] >= outer["x"] - 0.5 and inner["y"] >= outer["y"] - 0.5
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5)


def test_every_bar_label_is_drawn_inside_the_chart(newsroom):
    page, shipped = newsroom
    svg = page.locator("figure.chart svg").bounding_box()
    labels = page.locator("figure.chart .bar-label")
    assert labels.count() == 2
    shipped_at = stem_time(shipped)
    assert labels.all_text_contents() == [f"{shipped_at:%Y-%m-%d%H:%M}", "2099-12-0418:23"]
    boxes = [labels.nth(i).bounding_box() for i in range(2)]
    assert all(inside(box, svg) for box in boxes), (boxes, svg)
    assert boxes[0]["x"] + boxes[0]["width"] < boxes[1]["x"]  # side by side, not overlapping


def test_the_parent_of_the_shipped_version_is_not_a_dead_link(newsroom):
    page, shipped = newsroom
    parent = page.locator(f"[data-version='{shipped}'] [data-parent]")
    assert f"Retrained from {SHIPPED_PARENT}, which is no longer kept" in parent.inner_text()
    assert parent.locator("a").count() == 0
    retrained_parent = page.locator(f"[data-version='{RETRAINED}'] [data-parent] a")
    retrained_parent.click()
    assert page.evaluate("location.hash") == f"#v-{shipped}"
    for href in page.locator("a[href^='#v-']").evaluate_all("links => links.map(a => a.hash)"):
        assert page.locator(href).count() == 1, href


def test_made_current_says_when_or_why_not(newsroom):
    page, shipped = newsroom
    retrained = page.locator(f"[data-version='{RETRAINED}'] [data-made-current]").inner_text()
    assert retrained.startswith("Put in service 2099-12-04 18:24 UTC by hand")
    assert page.locator(f"[data-version='{shipped}'] [data-made-current]").inner_text() == (
        f"In service until 2099-12-04 18:24 UTC, when {RETRAINED} replaced it; when it went in "
        "is not on record (the history starts later).")


def test_the_roc_auc_figures_are_a_table_of_one_line_cells(newsroom):
    page, shipped = newsroom
    version = page.locator(f"[data-version='{RETRAINED}']")
    version.locator("summary").click()
    table = version.locator("table.auc")
    main = page.locator("main").bounding_box()
    assert table.locator("tbody tr").count() >= 3
    assert table.bounding_box()["width"] <= main["width"]
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('table.auc td')).lineHeight)")
    for box in table.locator("td").evaluate_all(
            "cells => cells.map(c => c.getBoundingClientRect().height)"):
        assert box < 2 * line  # one line each, not a tall narrow column
    assert version.locator("table.auc tr", has_text="fox").inner_text().split("\t")[-1] == "0.672"


def test_dates_read_as_on_the_other_pages(newsroom):
    page, shipped = newsroom
    times = page.locator("main time").all_inner_texts()
    assert "2099-12-04 18:23 UTC" in times and "2099-12-04 18:24 UTC" in times
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", t) for t in times), times
    assert "T18:2" not in page.locator("main").inner_text()  # no raw ISO string left


def test_each_version_says_what_changed_if_it_is_better_here_and_how_often_overturned(newsroom):
    page, shipped = newsroom
    version = page.locator(f"[data-version='{RETRAINED}']")
    assert version.locator("dt").all_inner_texts() == [
        "In service", "What changed", "Better on this site?", "Overturned by moderators"]
    better = version.locator("[data-on-site]").inner_text()
    assert "Not yet measured on this site's own comments" in better
    assert ("Moderators overturned it less often than the version before (50% of 2 against 67% "
            "of 3)") in better
    assert "ranks an abusive comment above an acceptable one 65% of the time, against 67%" in better
    assert version.locator("[data-overturned]").inner_text().startswith(
        "50% Moderators overturned 1 of the 2 of its decisions they reviewed")
    assert page.locator("h2").all_inner_texts()[:2] == ["On this site", "Overturned decisions"]
