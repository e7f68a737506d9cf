"""Hot swap inside one worker: a promoted version is followed at the next check, in-flight
scoring finishes on the model it started with, a broken version never replaces a working one,
and a moderator can make the worker look at once."""

from __future__ import annotations

import json
import logging
import threading

import pytest

from model import Scorer
from model.artifact import card_path, set_current
from model.model_store import DirectoryStore
from model_versions import add_version, two_versions
from service.config import from_env
from service.classifier.scoring import ScorerHolder


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def artifacts(tmp_path):
    directory = tmp_path / "artifacts"
    old, new = two_versions(directory)
    return directory, old, new


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def holder(artifacts, clock):
    directory, old, _ = artifacts
    return ScorerHolder(Scorer.load(directory), store=DirectoryStore(directory), check_seconds=10,
                        clock=clock)


def test_a_promoted_version_is_served_from_the_next_check_on(artifacts, holder, clock):
    directory, old, new = artifacts
    assert holder.score("Thanks for the report.").model_version == old
    set_current(directory, new)
    clock.now += 9
    holder.refresh_if_due()
    assert holder.score("Thanks for the report.").model_version == old  # not looked yet
    clock.now += 1
    holder.refresh_if_due()
    scored = holder.score("Thanks for the report.")
    assert scored.model_version == new and set(scored.scores) == {"spam", "abuse"}
    assert scored.thresholds == holder.scorer.card["thresholds"]


def test_an_unchanged_pointer_costs_no_load(artifacts, holder, clock):
    before = holder.scorer
    clock.now += 10
    holder.refresh_if_due()
    assert holder.scorer is before


class Blocking:
    """A scorer that waits inside `score_many` until released: a group of comments in flight."""

    thresholds = {"spam": {"hold": 0.5, "reject": 0.9}, "abuse": {"hold": 0.5, "reject": 0.9}}

    def __init__(self, version: str) -> None:
        self.version = version
        self.entered, self.release = threading.Event(), threading.Event()

    def score_many(self, texts):
        self.entered.set()
        assert self.release.wait(10)
        return [{"spam": 0.1, "abuse": 0.2} for _ in texts]


def test_in_flight_scoring_finishes_on_the_old_model_and_the_next_uses_the_new():
    old, new = Blocking("old"), Blocking("new")
    new.release.set()
    holder = ScorerHolder(old)
    results = []
    request = threading.Thread(target=lambda: results.append(holder.score("in flight")))
    request.start()
    assert old.entered.wait(10)
    holder.swap(new)  # promoted while the request is inside the old model
    assert holder.score("next").model_version == "new"
    old.release.set()
    request.join(10)
    assert results[0].model_version == "old" and results[0].scores == {"spam": 0.1, "abuse": 0.2}
    assert results[0].thresholds is old.thresholds


def test_a_version_that_fails_to_load_leaves_the_old_one_serving_and_is_logged(
        artifacts, holder, clock, caplog):
    directory, old, _ = artifacts
    broken = add_version(directory, "moderation-broken", parent=old)
    card = json.loads(card_path(broken).read_text())
    card_path(broken).write_text(json.dumps({**card, "artifact_sha256": "0" * 64}))
    set_current(directory, "moderation-broken")
    clock.now += 10
    with caplog.at_level(logging.ERROR, logger="service.classifier.scoring"):
        holder.refresh_if_due()
    assert holder.score("Still here?").model_version == old
    assert holder.error is None and "moderation-broken not loaded" in holder.reload_error
    assert "still serving " + old in caplog.text and "sha256" in caplog.text

    caplog.clear()
    clock.now += 10
    with caplog.at_level(logging.ERROR, logger="service.classifier.scoring"):
        holder.refresh_if_due()  # the same pointer: not loaded (nor logged) again
    assert caplog.text == ""


def test_a_broken_version_is_followed_once_the_pointer_moves_on(artifacts, holder, clock):
    directory, old, new = artifacts
    (directory / "CURRENT").write_text("no-such-version\n")
    clock.now += 10
    holder.refresh_if_due()
    assert holder.version == old and "no-such-version" in holder.reload_error
    set_current(directory, new)
    clock.now += 10
    holder.refresh_if_due()
    assert holder.version == new and holder.reload_error is None


def test_reload_now_switches_at_once_and_reports_what_it_did(artifacts, holder):
    directory, old, new = artifacts
    unchanged = holder.reload_now()
    assert (unchanged.version, unchanged.changed, unchanged.error) == (old, False, None)
    set_current(directory, new)
    result = holder.reload_now()
    assert (result.version, result.previous, result.changed) == (new, old, True)
    assert holder.score("x").model_version == new


def test_a_pinned_artifact_file_is_never_swapped(artifacts):
    directory, old, new = artifacts
    holder = ScorerHolder.load(str(directory / f"{old}.joblib"), check_seconds=0)
    set_current(directory, new)
    holder.refresh_if_due()
    assert holder.version == old
    result = holder.reload_now()
    assert result.version == old and not result.changed and "pinned" in result.error


def test_the_app_stores_each_comment_with_the_version_that_scored_it(make_app, artifacts):
    directory, old, new = artifacts
    app = make_app(SCORER=None, MODERATION_MODEL_PATH=str(directory),
                   MODERATION_MODEL_CHECK_SECONDS="0")
    client = app.test_client()

    def post(text):
        response = client.post("/api/comments", json={
            "comment": text, "author": "Ann", "email": "ann@example.org",
            "comment_post_ID": "demo"})
        assert response.status_code == 201, response.get_json()
        return app.extensions["store"].get(response.get_json()["id"]).model_version

    assert post("Before the promotion.") == old
    set_current(directory, new)
    assert post("After the promotion.") == new
    assert client.get("/readyz").get_json()["model_version"] == new


@pytest.mark.parametrize("raw, seconds", [("5", 5.0), ("0.2", 0.2), ("0", 0.0)])
def test_the_check_interval_setting(raw, seconds):
    assert from_env({"MODERATION_MODEL_CHECK_SECONDS": raw})["MODERATION_MODEL_CHECK_SECONDS"] \
        == seconds


@pytest.mark.parametrize("raw", ["-1", "nan", "soon"])
def test_a_bad_check_interval_is_refused_by_name(raw):
    with pytest.raises(ValueError, match="MODERATION_MODEL_CHECK_SECONDS: expected a number of "
                                         "seconds, 0 or more"):
        from_env({"MODERATION_MODEL_CHECK_SECONDS": raw})
