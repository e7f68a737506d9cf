"""The shipped classifier refuses to load when its file differs from the sha256 on its card:
joblib files are pickles, and unpickling a hostile one runs its code."""

from __future__ import annotations

import pickle

import pytest

from model import ArtifactError, Scorer
from model.artifact import DEFAULT_DIR
from model_versions import copy_current


class _RunsOnLoad:
    """A pickle that, when loaded, writes a marker file: what a planted artifact would do."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def shipped_copy(tmp_path):
    """The shipped artifact and its card, copied; (directory, stem)."""
    return tmp_path, copy_current(DEFAULT_DIR, tmp_path)


def test_the_untouched_copy_loads(shipped_copy):
    directory, stem = shipped_copy
    assert Scorer.load(directory).version == stem


def test_a_planted_pickle_is_refused_before_it_runs(shipped_copy, tmp_path):
    directory, stem = shipped_copy
    marker = tmp_path / "the-pickle-ran"
    (directory / f"{stem}.joblib").write_bytes(pickle.dumps(_RunsOnLoad(str(marker))))
    with pytest.raises(ArtifactError, match="sha256"):
        Scorer.load(directory)
    assert not marker.exists()


def test_a_single_flipped_byte_is_refused(shipped_copy):
    directory, stem = shipped_copy
    path = directory / f"{stem}.joblib"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="sha256"):
        Scorer.load(path)


def test_the_service_holds_every_comment_rather_than_use_a_tampered_model(shipped_copy,
                                                                         make_app):
    directory, stem = shipped_copy
    with open(directory / f"{stem}.joblib", "ab") as handle:
        handle.write(b"\0")
    app = make_app(SCORER=None, MODERATION_MODEL_PATH=str(directory))
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "sha256" in ready.get_json()["checks"]["model"]
    body = client.post("/api/comments", json={
        "comment": "Fine words.", "author": "Ann", "email": "ann@example.org",
        "comment_post_ID": "demo"}).get_json()
    assert body["status"] == "pending" and body["reasons"] == ["scorer_unavailable"]
