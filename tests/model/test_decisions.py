"""Moderators' decisions in the service's store become training labels for `model.train`."""

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

from model import train
from model.artifact import current_stem
from model.decisions import labels_for, load_decisions
from service.db import make_engine, upgrade
from service.tables import Comment

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
    assert train._hide_password("postgresql://mod:s3cret@db/news") == "postgresql://mod:***@db/news"
    assert train._hide_password("--quiet") == "--quiet"
