"""Shared fixtures: the real classifier (loaded once), databases on SQLite and PostgreSQL, and
apps/clients built by the application factory.

PostgreSQL: MODERATION_TEST_POSTGRES_URL (default the local server's `test` database). Each test
session works in a schema of its own (dropped at the end) and each test starts from empty tables.
When the server is unreachable the PostgreSQL cases skip locally and FAIL under CI=true.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from required import unavailable
from service import create_app
from service.storage.tables import Base
from service.storage.db import make_engine, upgrade

POSTGRES_URL = os.environ.get("MODERATION_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Every table the migrations make, so a test on PostgreSQL starts as empty as one on SQLite.
TABLES = tuple(Base.metadata.tables)

# Fixed keys so tests can compute the hashes the service stores.
TEST_KEYS = {"MODERATION_SECRET_KEY": "test-secret", "MODERATION_IP_HASH_KEY": "test-ip-key",
             "MODERATION_EMAIL_HASH_KEY": "test-email-key"}


@pytest.fixture(scope="session")
def scorer():
    """The real classifier, loaded once for the session: the shipped one, or the artifact that
    MODERATION_MODEL_PATH names (to run the suite against a candidate model)."""
    from model import Scorer

    return Scorer.load(os.environ.get("MODERATION_MODEL_PATH") or None)


# -- databases ------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied per test: cheaper than migrating for every test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_schema_url():
    """A fresh, migrated schema in the PostgreSQL test database; its URL pins the search_path."""
    schema = f"moderation_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # unreachable server, missing database, auth...
        admin.dispose()
        unavailable("PostgreSQL", f"PostgreSQL at {POSTGRES_URL} is not usable: {exc}")
    url = _schema_url(schema)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _schema_url(schema: str) -> str:
    """The test database's URL with its search_path pinned to `schema`."""
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def unmigrated_db_url(request, tmp_path):
    """An empty database without any tables on each backend, for the migration tests."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'unmigrated.sqlite3'}"
        return
    request.getfixturevalue("postgres_schema_url")  # skips, or fails under CI, when unreachable
    schema = f"moderation_migrate_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield _schema_url(schema)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "moderation.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_schema_url")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template) -> str:
    path = tmp_path / "moderation.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


# -- apps -----------------------------------------------------------------------------------------

@pytest.fixture
def make_app(tmp_path, scorer, sqlite_url):
    """Build an app on a fresh SQLite database (or `MODERATION_DATABASE_URL` given), with the
    real classifier, no flood limit, no minimum form time, no background site-layer update and no
    spot checks (random picks would put a published comment in some tests' queues) unless a test
    sets them; each app built with its own `instance_path` is a host of its own."""
    apps = []

    def build(instance_path=None, **overrides):
        config = {"TESTING": True, "SCORER": scorer, "MODERATION_DATABASE_URL": sqlite_url,
                  "MODERATION_RATE_LIMIT": "off", "MODERATION_MIN_SUBMIT_SECONDS": "0",
                  "MODERATION_SITE_LAYER_EVERY": "0", "MODERATION_SPOT_CHECK_SHARE": "0",
                  **TEST_KEYS, **overrides}
        app = create_app(config, instance_path=str(instance_path or tmp_path / "instance"))
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["store"].engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# Debian's Chromium, driven by Playwright (its own browser download is not reachable here); the
# flags keep it from reaching for Google's hosts on a closed network.
@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()
