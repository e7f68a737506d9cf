"""The model page in real headless Chromium: from the queue (each item names and links the
version that scored it) to the model page's table and chart, and its reload button switching
this worker to a newly promoted version."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from model.artifact import set_current
from model_versions import two_versions
from review_helpers import PASSWORD, add_comment
from serving import serving
from service.moderation import state_token
from service.scoring import ScorerHolder
from service.tables import Moderator as ModeratorRow, utcnow

pytestmark = pytest.mark.browser


@pytest.fixture
def served(make_app, password_hash, tmp_path):
    """The app on SQLite following a real artifact directory, on a free loopback port; yields
    (app, base URL, directory, old version, new version)."""
    directory = tmp_path / "artifacts"
    old, new = two_versions(directory)
    app = make_app(MODERATION_MODEL_PATH=str(directory))
    app.extensions["scorer"] = ScorerHolder.load(str(directory), check_seconds=3600)
    with app.extensions["store"].engine.begin() as connection:
        connection.execute(insert(ModeratorRow), [
            {"name": "ann", "password_hash": password_hash, "active": True,
             "created_at": utcnow(), "must_change_password": False}])
    with serving(app) as base:
        yield app, base, directory, old, new


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
        page.goto(base + "/review/")
        page.fill("#name", "ann")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/review/")
        assert page.locator(".item a.model").first.inner_text() == "model fake-1"

        page.click("nav >> text=Models")
        page.wait_for_url(base + "/review/models")
        assert page.locator("[data-serving]").inner_text() == old
        assert page.locator(f"tr[data-version='{old}'] .badge").all_inner_texts() == [
            "current", "serving here"]
        fake = page.locator("tr[data-version='fake-1']")
        assert fake.locator(".overturned").inner_text() == "100%"  # approved what it held
        assert page.locator("figure.chart svg rect").count() == 1
        assert page.locator("figure.chart svg").bounding_box()["height"] > 100

        set_current(directory, new)
        page.click("text=Check the pointer now")
        page.wait_for_selector(".flash.ok")
        assert f"now serves {new}" in page.locator(".flash.ok").inner_text()
        assert page.locator("[data-serving]").inner_text() == new
        assert page.locator(f"tr[data-version='{new}'] .badge").all_inner_texts() == [
            "current", "serving here"]
        assert errors == []
    finally:
        context.close()
