"""Moderators' decisions in the service's store become training labels for `model.train`."""

import hashlib
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from model import train
from model.artifact import current_stem
from model import decisions as site_store
from model.decisions import hide_password, labels_for, load_decisions
from service.storage.db import make_engine, upgrade
from service.storage.tables import Comment

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)

DECISIONS = [  # text, status, decision_reason, decided_by
    ("Win a free iPhone at www.prize-now.biz, claim today", "rejected", "spam", "ann"),
    ("Cheap followers and likes, visit www.boost-fans.shop", "rejected", "spam", "ann"),
    ("You utter moron, nobody wants your opinion", "rejected", "abuse", "bob"),
    ("Thanks, the bus timetable change explains a lot", "published", None, "bob"),
    ("This has nothing to do with the article", "rejected", "off-topic", "ann"),
    ("Held by the policy, nobody decided yet", "pending", None, None),
    ("Published by the policy, no human involved", "published", None, None),
]


@pytest.fixture
def store_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        for i, (text, status, reason, who) in enumerate(DECISIONS):
            at = T0 + timedelta(minutes=i)
            session.add(Comment(
                post_id="a1", author=f"reader{i}", email=f"r{i}@example.org", email_hash=f"h{i}",
                url="", text=text, permalink="", status=status, policy_status="pending",
                fingerprint=hashlib.sha256(text.encode()).hexdigest(), reasons=[],
                spam_score=0.5, abuse_score=0.5, model_version="m-1", ip_hash="ip",
                user_agent="", created_at=at, updated_at=at, decided_by=who,
                decided_at=at if who else None, decision_reason=reason))
    engine.dispose()
    return url


def test_the_label_mapping():
    assert labels_for("published", None) == (0, 0)
    assert labels_for("published", "spam") == (0, 0)     # an approval carries no reason
    assert labels_for("rejected", "spam") == (1, 0)
    assert labels_for("rejected", "abuse") == (0, 1)
    assert labels_for("rejected", "off-topic") is None
    assert labels_for("rejected", "other") is None


def test_only_human_decisions_that_name_a_label_are_read(store_url):
    examples = load_decisions(store_url)
    assert [(e.text[:12], e.spam, e.abuse) for e in examples] == [
        ("Win a free i", 1, 0), ("Cheap follow", 1, 0), ("You utter mo", 0, 1), ("Thanks, the ", 0, 0)]
    assert all(e.source == "moderators" and e.group.startswith("commenter:") for e in examples)


def test_training_joins_the_corpora_with_the_decisions(store_url, tiny_data, tmp_path):
    out = tmp_path / "artifacts"
    assert train.main(["--data", str(tiny_data), "--database-url", store_url, "--out", str(out),
                       "--quiet"]) == 0
    stem = next(out.glob("*.joblib")).stem
    card = json.loads((out / f"{stem}.json").read_text())
    assert {"name": "moderators", "rows": 4} in card["data"]
    assert card["command"].startswith("python -m model.train") and "--database-url" in card["command"]
    # The first version in an empty folder has nothing to be compared with: it becomes current.
    assert current_stem(out) == stem
    assert card["parent"] is None
    assert card["promotion"] == {"promoted": True, "reasons": ["no current model to compare with"],
                                 "comparison": None}


def test_the_card_never_records_a_database_password():
    assert hide_password("postgresql://mod:s3cret@db/news") == "postgresql://mod:***@db/news"
    assert hide_password("--quiet") == "--quiet"


# -- which store `python -m model.train` reads --------------------------------------------------

def _read_by_default(argv, capsys):
    """The decisions `model.train` would read for these arguments, and what it printed."""
    parser = train._parser()
    decisions = train._load_site_decisions(parser.parse_args(argv), parser)
    return decisions, capsys.readouterr()


@pytest.fixture
def service_env(monkeypatch, tmp_path):
    """The environment `make serve` runs in, with its instance folder in tmp_path."""
    monkeypatch.delenv("MODERATION_DATABASE_URL", raising=False)
    monkeypatch.setenv("MODERATION_INSTANCE_PATH", str(tmp_path / "instance"))
    return tmp_path / "instance"


def test_the_default_instance_folder_is_the_one_flask_finds_for_the_service():
    from flask import Flask

    assert Flask("service").instance_path == str(site_store.CHECKOUT_INSTANCE)
    assert site_store.store_url() == \
        f"sqlite:///{site_store.CHECKOUT_INSTANCE / 'moderation.sqlite3'}"


def test_retraining_reads_the_store_the_service_writes_by_default(service_env, scorer, tiny_data,
                                                                  tmp_path, capsys):
    from service import create_app

    app = create_app({"SCORER": scorer})  # settings from the environment, as `make serve`
    served = app.extensions["store"].engine
    upgrade(served)
    url = served.url.render_as_string(hide_password=False)
    assert url == f"sqlite:///{service_env / 'moderation.sqlite3'}"
    with Session(served) as session, session.begin():
        session.add(Comment(
            post_id="a1", author="r", email="r@example.org", email_hash="h", url="",
            text="You utter moron, nobody wants your opinion", permalink="", status="rejected",
            policy_status="pending", fingerprint="f", reasons=[], spam_score=0.1, abuse_score=0.9,
            model_version="m-1", ip_hash="ip", user_agent="", created_at=T0, updated_at=T0,
            decided_by="ann", decided_at=T0, decision_reason="abuse"))
    served.dispose()

    assert train.main(["--data", str(tiny_data), "--out", str(tmp_path / "out"), "--quiet",
                       "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert (f"moderators' decisions: read 1 on English comments from {url} "
            "(the service's default store)") in out
    assert "moderators' decisions: used 1 decisions: 1 to train on, 0 (the newest) to " \
           "validate on" in out


def test_the_environment_then_the_command_line_name_another_store(service_env, store_url,
                                                                   monkeypatch, capsys):
    monkeypatch.setenv("MODERATION_DATABASE_URL", store_url)
    decisions, printed = _read_by_default([], capsys)
    assert len(decisions) == 4
    assert f"read 4 on English comments from {store_url} (MODERATION_DATABASE_URL)" in printed.out

    monkeypatch.setenv("MODERATION_DATABASE_URL", "sqlite:////nowhere/at/all.sqlite3")
    decisions, printed = _read_by_default(["--database-url", store_url], capsys)
    assert len(decisions) == 4
    assert f"read 4 on English comments from {store_url} (--database-url)" in printed.out


def test_no_decisions_trains_on_the_corpora_alone_and_says_so(service_env, store_url, monkeypatch,
                                                               capsys):
    monkeypatch.setenv("MODERATION_DATABASE_URL", store_url)
    decisions, printed = _read_by_default(["--no-decisions"], capsys)
    assert decisions == []
    assert "moderators' decisions: none (--no-decisions); training on the public corpora " \
           "alone" in printed.out
    with pytest.raises(SystemExit):  # one or the other, not both
        train._parser().parse_args(["--no-decisions", "--database-url", store_url])


def test_a_missing_default_store_is_an_error_that_names_the_way_out(service_env, capsys):
    with pytest.raises(SystemExit) as exited:
        _read_by_default([], capsys)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"no database at {service_env / 'moderation.sqlite3'}" in err
    assert "--database-url URL" in err and "--no-decisions" in err
    assert not (service_env / "moderation.sqlite3").exists()  # and none was created


def test_the_shipped_model_is_rebuilt_from_the_corpora_alone():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "-m model.train --data ../shared/data --no-decisions --promote" in makefile


def test_the_training_command_does_not_import_flask():
    code = "import sys, model.train; sys.exit('flask' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2]
                          ).returncode == 0
