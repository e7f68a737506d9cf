"""Fixtures for the integrations: apps on both stores, the service on a loopback port, and real
Akismet clients (the `akismet` package from PyPI) pointed at it."""

from __future__ import annotations

import akismet
import httpx
import pytest
from sqlalchemy import text

from integration_helpers import BLOG, ToLoopback, new_api_key
from serving import serving
from service.storage.db import make_engine


@pytest.fixture
def db_url(db_url):
    """The shared fixture empties the comment tables on PostgreSQL; these are ours to empty."""
    if db_url.startswith("postgresql"):
        engine = make_engine(db_url)
        with engine.begin() as connection:
            connection.execute(text("TRUNCATE api_keys, integration_checks RESTART IDENTITY "
                                    "CASCADE"))
        engine.dispose()
    return db_url


@pytest.fixture
def integration_app(make_app, db_url):
    return make_app(MODERATION_DATABASE_URL=db_url)


@pytest.fixture
def api_key(integration_app) -> str:
    return new_api_key(integration_app)


@pytest.fixture
def live_url(integration_app):
    with serving(integration_app) as url:
        yield url


@pytest.fixture
def http_client(live_url):
    """The library's documented hook for custom HTTP behaviour: its own httpx client."""
    with httpx.Client(transport=ToLoopback(live_url), timeout=30,
                      headers={"User-Agent": akismet.USER_AGENT}) as client:
        yield client


@pytest.fixture
def akismet_client(api_key, http_client):
    """A validated client, built the way the library recommends (verify-key first)."""
    return akismet.SyncClient.validated_client(config=akismet.Config(key=api_key, url=BLOG),
                                               http_client=http_client)
