"""The model store in the service's database, on SQLite and PostgreSQL: the shipped model seeds an
empty store, promotions, refusals and rollbacks keep the same history as a directory, artifacts
are fetched once into the instance folder and checked against their card, and the command-line
tools write where the settings say."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import update

from model import ArtifactError, Scorer, artifact, promote, rollback
from model.database_store import DatabaseStore, artifacts as artifacts_table
from model.model_store import DirectoryStore, configured, parse_store_kind, store_kind
from model_versions import carded_file, copy_current
from service.config import from_env

A, B, C = "moderation-20261101-000000", "moderation-20261102-000000", "moderation-20261103-000000"


@pytest.fixture
def open_store(db_url, tmp_path):
    """Stores on the test database, as separate hosts would open them (each its own cache)."""
    stores = []

    def open_(seed=None, host="host-a"):
        store = DatabaseStore.from_url(db_url, cache=tmp_path / host / "models", seed=seed)
        stores.append(store)
        return store

    yield open_
    for store in stores:
        store.close()


@pytest.fixture
def three(tmp_path, open_store):
    """A store holding A, B and C (stand-in artifacts), A current."""
    store = open_store()
    for day, stem in enumerate((A, B, C), start=1):
        store.add(carded_file(tmp_path / "versions", stem,
                              created_at=f"2026-11-0{day}T00:00:00+00:00",
                              parent=None if stem == A else A))
    store.promote(A, "first")
    return store


def test_an_empty_store_serves_the_shipped_model_on_first_use(tmp_path, open_store):
    seed = tmp_path / "shipped"
    seed.mkdir()
    stem = copy_current(artifact.DEFAULT_DIR, seed)
    store = open_store(seed=seed)
    assert store.signature() is None  # nothing yet
    assert store.current() == stem
    [entry] = store.history()
    assert (entry["action"], entry["version"], entry["previous"]) == ("promote", stem, None)
    assert "first use of the database store" in entry["reason"]
    path = store.fetch(stem)
    assert path == tmp_path / "host-a" / "models" / f"{stem}.joblib"
    assert Scorer.load(path).version == stem  # verified against its card, then unpickled


def test_a_seed_that_does_not_match_its_card_is_not_imported(tmp_path, open_store):
    seed = tmp_path / "shipped"
    carded_file(seed, A).write_bytes(b"changed after its card was written")
    artifact.set_current(seed, A)
    store = open_store(seed=seed)
    with pytest.raises(ArtifactError, match="does not match its card"):
        store.current()
    assert store.versions() == [] and store.signature() is None


def test_hosts_starting_together_seed_the_store_once(tmp_path, open_store):
    seed = tmp_path / "shipped"
    carded_file(seed, A)
    artifact.set_current(seed, A)
    hosts = [open_store(seed=seed, host=f"host-{n}") for n in range(4)]
    seen, start = [], threading.Barrier(len(hosts))

    def first_request(store):
        start.wait()
        seen.append(store.current())

    threads = [threading.Thread(target=first_request, args=(store,)) for store in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [A] * 4
    assert [e["action"] for e in hosts[0].history()] == ["promote"]


def test_promote_refuse_and_rollback_keep_the_history_as_a_directory_does(three):
    assert three.promote(B, "better") == A
    three.refuse(C, "worse on this site")
    assert three.current() == B  # a refusal does not move the pointer
    assert three.promote(C, "by hand") == B
    assert three.rollback("bad morning") == (B, C)
    assert three.rollback("still bad") == (A, B)  # two rollbacks go two versions back
    with pytest.raises(ArtifactError, match="has no previous version"):
        three.rollback("once more")
    assert [(e["action"], e["version"], e["previous"]) for e in three.history()] == [
        ("promote", A, None), ("promote", B, A), ("refused", C, B), ("promote", C, B),
        ("rollback", B, C), ("rollback", A, B)]


def test_a_version_the_store_does_not_hold_is_not_promoted(three):
    with pytest.raises(ArtifactError, match="no version moderation-19990101-000000 in the database"):
        three.promote("moderation-19990101-000000", "typo")
    assert three.current() == A


def test_a_name_keeps_meaning_one_model(three, tmp_path):
    other = carded_file(tmp_path / "elsewhere", B, content=b"another model under B's name")
    with pytest.raises(ArtifactError, match="already holds a different " + B):
        three.add(other)
    assert three.add(tmp_path / "versions" / f"{B}.joblib") == B  # the same bytes again: fine


def test_a_fetched_version_is_cached_and_a_damaged_copy_fetched_again(three, tmp_path,
                                                                     open_store):
    path = three.fetch(B)
    assert path.read_bytes() == b"model " + B.encode()
    assert artifact.read_card(path)["version"] == B
    before = path.stat()
    restarted = open_store(host="host-a")  # the same host after a restart: same cache folder
    assert restarted.fetch(B) == path
    assert path.stat().st_ino == before.st_ino  # not written again
    path.write_bytes(b"truncat")
    assert restarted.fetch(B).read_bytes() == b"model " + B.encode()


def test_bytes_changed_in_the_database_are_refused_before_anything_is_cached(three, tmp_path):
    with three.engine.begin() as conn:
        conn.execute(update(artifacts_table).where(artifacts_table.c.stem == C)
                     .values(content=b"not the model that was stored"))
    with pytest.raises(ArtifactError, match=f"refusing {C} .*do not match its card"):
        three.fetch(C)
    assert not (tmp_path / "host-a" / "models" / f"{C}.joblib").exists()


def test_a_directory_moves_in_with_its_versions_history_and_pointer(tmp_path, open_store):
    directory = tmp_path / "artifacts"
    for stem in (A, B, C):
        carded_file(directory, stem)
    directory_store = DirectoryStore(directory)
    directory_store.promote(A, "first")
    directory_store.promote(C, "retrained")
    store = open_store()
    done = store.import_directory(directory)
    assert (sorted(done["added"]), done["history"], done["current"]) == ([A, B, C], 2, C)
    assert store.current() == C and store.rollback("back") == (A, C)
    again = store.import_directory(directory)  # safe to repeat: nothing doubled
    assert (again["added"], sorted(again["present"]), again["history"]) == ([], [A, B, C], 0)
    assert store.current() == A  # the rollback made in the database stands
    assert [e["action"] for e in store.history()] == ["promote", "promote", "promote", "rollback"]


def test_the_command_line_tools_write_to_the_configured_store(three, db_url, tmp_path,
                                                              monkeypatch, capsys):
    monkeypatch.setenv("MODERATION_MODEL_STORE", "database")
    monkeypatch.setenv("MODERATION_DATABASE_URL", db_url)
    monkeypatch.setenv("MODERATION_INSTANCE_PATH", str(tmp_path / "operator"))
    assert promote.main([B]) == 0
    assert three.current() == B and f"{B} is now current (was {A}), in the database" in \
        capsys.readouterr().out
    assert three.read_card(B)["promotion"]["promoted"] is True
    assert rollback.main([]) == 0 and three.current() == A
    assert promote.main(["moderation-19990101-000000"]) == 1
    assert "not promoted: no version moderation-19990101-000000 in the database" in \
        capsys.readouterr().err


def test_a_database_that_is_not_upgraded_is_named_in_the_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MODERATION_MODEL_STORE", "database")
    monkeypatch.setenv("MODERATION_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert rollback.main([]) == 1
    assert "is its schema upgraded (`flask --app service init-db`)?" in capsys.readouterr().err


@pytest.mark.parametrize("setting, url, kind", [
    (None, None, "directory"),                               # the default SQLite file
    (None, "sqlite:////srv/moderation.sqlite3", "directory"),
    (None, "postgresql+psycopg://moderation@db/moderation", "database"),
    ("directory", "postgresql+psycopg://moderation@db/moderation", "directory"),
    ("database", None, "database"),
])
def test_the_store_follows_the_database_unless_the_setting_says(setting, url, kind):
    assert store_kind(setting, url) == kind


def test_the_tools_find_the_store_the_service_uses(tmp_path):
    env = {"MODERATION_DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}",
           "MODERATION_MODEL_STORE": "database", "MODERATION_INSTANCE_PATH": str(tmp_path)}
    store = configured(env)
    try:
        assert store.kind == "database" and store.cache == tmp_path / "models"
        assert store.seed == artifact.DEFAULT_DIR
    finally:
        store.close()
    assert configured({}).directory == artifact.DEFAULT_DIR
    assert configured(env, out=tmp_path / "elsewhere").directory == tmp_path / "elsewhere"


def test_an_unknown_store_is_refused_by_name():
    assert parse_store_kind(" Database ") == "database" and parse_store_kind("") is None
    with pytest.raises(ValueError, match="MODERATION_MODEL_STORE: expected directory or database"):
        from_env({"MODERATION_MODEL_STORE": "s3"})


def test_importing_leaves_a_pointer_an_operator_moved_in_the_database(tmp_path, open_store):
    directory = tmp_path / "artifacts"
    for stem in (A, B):
        carded_file(directory, stem)
    DirectoryStore(directory).promote(B, "retrained")
    store = open_store(seed=directory)
    assert store.current() == B  # seeded with the directory's current version alone
    store.add(directory / f"{A}.joblib")
    store.promote(A, "by hand, in the database")
    store.import_directory(directory)
    assert store.current() == A


def test_training_keeps_the_new_version_in_the_database_store(tiny_data, db_url, tmp_path,
                                                              monkeypatch):
    from model import train

    seed = tmp_path / "shipped"
    seed.mkdir()
    shipped = copy_current(artifact.DEFAULT_DIR, seed)
    monkeypatch.setenv("MODERATION_MODEL_STORE", "database")
    monkeypatch.setenv("MODERATION_DATABASE_URL", db_url)
    monkeypatch.setenv("MODERATION_MODEL_PATH", str(seed))
    monkeypatch.setenv("MODERATION_INSTANCE_PATH", str(tmp_path / "trainer"))
    assert train.main(["--data", str(tiny_data), "--no-found-data", "--no-decisions",
                       "--promote", "--quiet"]) == 0
    store = configured()
    try:
        stem = store.current()
        assert stem != shipped and store.read_card(stem)["parent"] == shipped
        assert [(e["action"], e["version"]) for e in store.history()] == [
            ("promote", shipped), ("promote", stem)]
        assert Scorer.load(store.fetch(stem)).version == stem
    finally:
        store.close()
    assert not (seed / f"{stem}.joblib").exists()  # nothing written beside the seed
