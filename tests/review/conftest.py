"""Fixtures for the review queue: apps on both stores with moderators ann and bob, logged-in
clients, and the deterministic scorer from `review_helpers`."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from review_helpers import PASSWORD, FakeScorer, Moderator, add_moderators
from service.review.auth import hash_password


@pytest.fixture(scope="session")
def scorer():
    return FakeScorer()


@pytest.fixture(scope="session")
def password_hash() -> str:
    # scrypt is slow on purpose; hash the shared test password once per session.
    return hash_password(PASSWORD)


@pytest.fixture
def review_app(make_app, db_url, password_hash):
    """The app on each store (SQLite and PostgreSQL), with moderators ann and bob."""
    app = make_app(MODERATION_DATABASE_URL=db_url)
    with app.extensions["store"].engine.begin() as connection:
        connection.execute(text("DELETE FROM login_failures"))
    add_moderators(app, password_hash, "ann", "bob")
    return app


@pytest.fixture
def moderation(review_app):
    return review_app.extensions["moderation"]


@pytest.fixture
def ann(review_app) -> Moderator:
    moderator = Moderator(review_app, "ann")
    assert moderator.login().status_code == 302
    return moderator


@pytest.fixture
def bob(review_app) -> Moderator:
    moderator = Moderator(review_app, "bob")
    assert moderator.login().status_code == 302
    return moderator


@pytest.fixture
def person(browser):
    """A browser of its own for each person in a story (reader, commenter, moderator), with a
    list of its script errors (`page.errors`). Given an `address`, the person reaches a service
    behind one proxy hop (MODERATION_PROXY_HOPS=1) from it (X-Forwarded-For)."""
    contexts = []

    def open_as(address: str | None = None):
        headers = {"extra_http_headers": {"X-Forwarded-For": address}} if address else {}
        context = browser.new_context(**headers)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield open_as
    for context in contexts:
        context.close()
