"""Loading refuses an artifact it cannot verify: joblib files are pickles and run code on load."""

import json

import pytest

from model import ArtifactError, Scorer
from model.artifact import set_current
from model_versions import copy_current


@pytest.fixture
def copy(tiny_artifacts, tmp_path):
    return tmp_path, copy_current(tiny_artifacts, tmp_path)


def test_a_verified_artifact_loads(copy):
    directory, stem = copy
    assert Scorer.load(directory).version == stem
    assert Scorer.load(directory / f"{stem}.joblib").version == stem


def test_a_tampered_artifact_is_refused(copy):
    directory, stem = copy
    with open(directory / f"{stem}.joblib", "ab") as f:
        f.write(b"\0")
    with pytest.raises(ArtifactError, match="sha256"):
        Scorer.load(directory)


def test_a_missing_card_is_refused(copy):
    directory, stem = copy
    (directory / f"{stem}.json").unlink()
    with pytest.raises(ArtifactError, match="card .* is missing"):
        Scorer.load(directory)


def test_another_scikit_learn_version_is_refused(copy):
    directory, stem = copy
    card_path = directory / f"{stem}.json"
    card = json.loads(card_path.read_text())
    card["versions"]["scikit-learn"] = "0.24.2"
    card_path.write_text(json.dumps(card))
    with pytest.raises(ArtifactError, match="scikit-learn 0.24.2"):
        Scorer.load(directory)


def test_a_missing_pointer_is_a_clear_error(tmp_path):
    with pytest.raises(ArtifactError, match="no current model"):
        Scorer.load(tmp_path)


def test_the_pointer_only_names_existing_versions(copy):
    directory, _ = copy
    with pytest.raises(ArtifactError, match="no artifact"):
        set_current(directory, "moderation-19990101-000000")
