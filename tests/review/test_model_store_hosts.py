"""Every host serves the same model: two hosts (two apps from the factory on one database, each
with its own instance folder) follow the database store. A promotion on one host's models page,
and a rollback from the command line, reach both while comments keep arriving from threads on
both hosts, and not one of those requests fails. On SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import insert, text

from model import Scorer, rollback
from model.database_store import DatabaseStore
from model_versions import two_versions
from review_helpers import Moderator
from service.classifier.scoring import ScorerHolder
from service.storage.tables import Moderator as ModeratorRow, utcnow


@pytest.fixture
def hosts(make_app, db_url, tmp_path, password_hash):
    """(host A, host B, old, new): both hosts started on an empty database store, seeded from
    an artifact directory holding the shipped version (current) and a second one."""
    seed = tmp_path / "artifacts"
    old, new = two_versions(seed)
    settings = dict(SCORER=None, MODERATION_DATABASE_URL=db_url, MODERATION_MODEL_STORE="database",
                    MODERATION_MODEL_PATH=str(seed), MODERATION_MODEL_CHECK_SECONDS="0")
    a = make_app(instance_path=tmp_path / "host-a", **settings)
    b = make_app(instance_path=tmp_path / "host-b", **settings)
    # model.train on host A saved the second version into the store, refused by the gate.
    a.extensions["model_store"].add(seed / f"{new}.joblib")
    with a.extensions["store"].engine.begin() as connection:
        connection.execute(text("DELETE FROM login_failures"))
        connection.execute(insert(ModeratorRow), [{
            "name": "ann", "password_hash": password_hash, "active": True,
            "created_at": utcnow(), "must_change_password": False}])
    return a, b, old, new


class Traffic:
    """Threads posting comments to both hosts until stopped; every answer is kept."""

    def __init__(self, apps) -> None:
        self.stop = threading.Event()
        self.answers: list[tuple[object, int, dict]] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._post, args=(app, n))
                         for n, app in enumerate(apps * 2)]

    def _post(self, app, n: int) -> None:
        client, i = app.test_client(), 0
        while not self.stop.is_set():
            i += 1
            response = client.post("/api/comments", json={
                "comment": f"Reader {n} on the bridge vote, take {i}.", "author": f"Reader {n}",
                "email": f"reader{n}@example.org", "comment_post_ID": "bridge"})
            with self._lock:
                self.answers.append((app, response.status_code, response.get_json()))

    def __enter__(self) -> "Traffic":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(60)

    def wait_for(self, count: int) -> None:
        """Until `count` more answers came back (requests really are in flight around a swap)."""
        target = len(self.answers) + count
        while len(self.answers) < target and not self.stop.wait(0.01):
            pass


def version_of(app, answer: dict) -> str:
    return app.extensions["store"].get(answer["id"]).model_version


_checks = itertools.count()


def served_next(app) -> str:
    """The version that scores the host's next comment."""
    n = next(_checks)
    response = app.test_client().post("/api/comments", json={
        "comment": f"Checking which model answers, number {n}.", "author": f"Checker {n}",
        "email": f"checker{n}@example.org", "comment_post_ID": "bridge"})
    assert response.status_code == 201
    return version_of(app, response.get_json())


def serves(app, version: str) -> bool:
    """Whether the host's comments are scored by `version` from its next check on. A request
    that finds another thread loading the new version does not wait for it (it is scored by the
    version still loaded), so each look first lets a load in flight finish."""
    holder = app.extensions["scorer"]
    for _ in range(20):
        with holder._reload_lock:
            pass
        if served_next(app) == version:
            return True
    return False


def test_a_promotion_and_a_rollback_on_one_host_reach_both_with_no_failed_request(
        hosts, db_url, tmp_path, monkeypatch):
    a, b, old, new = hosts
    assert (served_next(a), served_next(b)) == (old, old)  # both serve the seed
    ann = Moderator(a, "ann")
    ann.login()
    with Traffic([a, b]) as traffic:
        traffic.wait_for(8)
        promoted = ann.post("/admin/model/promote", {"version": new},
                            headers={"Accept": "application/json"})
        assert promoted.status_code == 200 and promoted.get_json()["current"] == new
        traffic.wait_for(8)
        # The check interval is 0 here: each host's next check follows the pointer.
        assert serves(a, new) and serves(b, new)
        traffic.wait_for(8)

        # An operator on host B rolls back from the command line.
        monkeypatch.setenv("MODERATION_MODEL_STORE", "database")
        monkeypatch.setenv("MODERATION_DATABASE_URL", db_url)
        monkeypatch.setenv("MODERATION_INSTANCE_PATH", str(tmp_path / "host-b"))
        assert rollback.main([]) == 0
        traffic.wait_for(8)
        assert serves(a, old) and serves(b, old)
    failed = [(status, body) for _, status, body in traffic.answers if status != 201]
    assert failed == [] and len(traffic.answers) >= 24
    for app in (a, b):  # the threads' comments on each host were scored by both versions
        versions = [version_of(app, body) for host, _, body in traffic.answers if host is app]
        assert set(versions) == {old, new} and versions[0] == old
    for app in (a, b):
        assert app.test_client().get("/readyz").get_json()["model_version"] == old


def test_each_host_reads_the_shared_pointer_once_per_check_interval(hosts, db_url, tmp_path,
                                                                     scorer):
    a, _, old, new = hosts
    now = [1000.0]
    store = DatabaseStore.from_url(db_url, cache=tmp_path / "host-c" / "models")
    try:
        holder = ScorerHolder.follow(store, check_seconds=10, clock=lambda: now[0])
        a.extensions["model_store"].promote(new, "better on this site")
        now[0] += 9
        holder.refresh_if_due()
        assert holder.version == old  # not looked yet
        now[0] += 1
        holder.refresh_if_due()
        assert holder.version == new
        assert (tmp_path / "host-c" / "models" / f"{new}.joblib").exists()  # cached on this host
    finally:
        store.close()


def test_the_models_page_names_the_shared_store(hosts):
    a, _, old, new = hosts
    ann = Moderator(a, "ann")
    ann.login()
    page = ann.get("/review/models").get_data(as_text=True)
    assert "The pointer in the database" in page and "every worker on every host checks it" in page
    assert f"Make {new} current" in page
    assert Scorer.load(a.extensions["model_store"].fetch(old)).version == old
