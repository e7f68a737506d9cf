"""API keys from the command line: shown once, stored as a keyed hash, listed, revoked."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from integration_helpers import BLOG
from service.integrations.apikeys import active_key, key_hash
from service.storage.tables import ApiKey


def _add(runner, name: str) -> str:
    result = runner.invoke(args=["apikeys", "add", "--name", name])
    assert result.exit_code == 0, result.output
    return re.search(r": ([0-9a-f]{12})\n", result.output).group(1)


def test_add_prints_a_key_once_and_stores_only_its_keyed_hash(integration_app):
    runner = integration_app.test_cli_runner()
    key = _add(runner, "Daily Planet WordPress")
    engine = integration_app.extensions["store"].engine
    row = active_key(engine, "test-api-key-hash-key-unused", key)
    assert row is None  # the hash is keyed: the wrong key finds nothing
    row = active_key(engine, integration_app.config["MODERATION_API_KEY_HASH_KEY"], key)
    assert row.name == "Daily Planet WordPress" and row.hint == key[-4:]
    assert row.key_hash == key_hash(integration_app.config["MODERATION_API_KEY_HASH_KEY"], key)
    assert key not in " ".join(str(value) for value in vars(row).values())

    listing = runner.invoke(args=["apikeys", "list"]).output
    assert "Daily Planet WordPress" in listing and f"...{key[-4:]}" in listing
    assert key not in listing and "active" in listing


def test_the_key_works_until_revoked(integration_app):
    runner = integration_app.test_cli_runner()
    key = _add(runner, "Daily Planet WordPress")
    client = integration_app.test_client()
    form = {"key": key, "blog": BLOG}
    assert client.post("/1.1/verify-key", data=form).get_data(as_text=True) == "valid"

    result = runner.invoke(args=["apikeys", "revoke", "Daily Planet WordPress"])
    assert result.exit_code == 0 and "revoked" in result.output
    assert client.post("/1.1/verify-key", data=form).get_data(as_text=True) == "invalid"
    assert "revoked 20" in runner.invoke(args=["apikeys", "list"]).output


def test_names_are_unique_and_mistakes_are_explained(integration_app):
    runner = integration_app.test_cli_runner()
    _add(runner, "Daily Planet WordPress")
    again = runner.invoke(args=["apikeys", "add", "--name", "Daily Planet WordPress"])
    assert again.exit_code != 0 and "already exists" in again.output
    missing = runner.invoke(args=["apikeys", "revoke", "Nobody"])
    assert missing.exit_code != 0 and "No API key named 'Nobody'" in missing.output
    blank = runner.invoke(args=["apikeys", "add", "--name", "  "])
    assert blank.exit_code != 0 and "1 to 100 characters" in blank.output


def test_keys_differ_each_time(integration_app):
    runner = integration_app.test_cli_runner()
    assert _add(runner, "one") != _add(runner, "two")
    with Session(integration_app.extensions["store"].engine) as db:
        assert db.scalar(select(func.count()).select_from(ApiKey)) == 2
