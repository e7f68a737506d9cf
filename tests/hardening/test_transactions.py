"""A moderator's decision and its audit row are one transaction: a failure or a crash between
the two writes leaves neither, on both stores.

Within one flush SQLAlchemy writes the audit row first and then the comment's new status, so
the failures are injected right after each of the two statements: after the audit INSERT (the
"decided" UPDATE not yet sent) and after the UPDATE (both sent, COMMIT not yet). Each hook
first checks, on the transaction's own connection, that the statements before it really ran."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from service.storage.db import make_engine
from service.review.queue import Moderation
from service.decisions.policy import Decision
from service.storage.store import Candidate, Store
from service.storage.tables import AuditEntry, Comment

ROOT = Path(__file__).resolve().parents[2]
# (mapper, event) right after each of the decision's two statements.
CRASH_POINTS = [(AuditEntry, "after_insert"), (Comment, "after_update")]


class Crash(Exception):
    """Stands for the process dying mid-transaction."""


def _pending(store: Store, n: int) -> list[int]:
    ids = []
    for i in range(n):
        outcome = store.enqueue(
            Candidate(post_id="demo", author=f"Reader {i}", email=f"r{i}@example.org",
                      email_hash=f"e{i}", text=f"Held comment {i}", ip_hash=f"i{i}"),
            lambda history: Decision("pending", ("spam_score>=0.5",), "pending"),
            duplicate_window=600, rate=None)
        ids.append(outcome.comment.id)
    return ids


def _state(engine) -> tuple[list[tuple], int]:
    with engine.connect() as connection:
        comments = connection.execute(select(
            Comment.id, Comment.status, Comment.decided_by, Comment.decision_reason)
            .order_by(Comment.id)).all()
        audit = connection.execute(select(func.count()).select_from(AuditEntry)).scalar()
    return [tuple(row) for row in comments], audit


def _crash_after(target, name: str, on_crash):
    """Listen for `name` on `target`; when it fires, check what the transaction has written so
    far and call `on_crash` (raise, or kill the process)."""
    def hook(mapper, connection, row):
        audit_rows = connection.execute(select(func.count()).select_from(AuditEntry)).scalar()
        status = connection.execute(select(Comment.status).where(
            Comment.id == row.comment_id if target is AuditEntry else Comment.id == row.id)
        ).scalar()
        assert audit_rows >= 1  # the audit INSERT is in the transaction already
        if target is Comment:
            assert status == row.status  # and so is the decision's UPDATE
        on_crash()
    event.listen(target, name, hook)
    return lambda: event.remove(target, name, hook)


def _raise():
    raise Crash()


VERBS = {
    "approve": lambda mod, store, ids: mod.decide(ids[0], "ann", "approve"),
    "reject": lambda mod, store, ids: mod.decide(ids[0], "ann", "reject", "spam"),
    "bulk": lambda mod, store, ids: mod.decide_many(ids, "ann", "reject", "abuse"),
    "store.decide": lambda mod, store, ids: store.decide(ids[0], "ann", "published"),
}


@pytest.mark.parametrize("target, name", CRASH_POINTS, ids=["after-audit", "after-status"])
@pytest.mark.parametrize("verb", VERBS)
def test_a_failed_decision_leaves_neither_status_nor_audit(db_url, verb, target, name):
    engine = make_engine(db_url)
    store, moderation = Store(engine), Moderation(engine)
    ids = _pending(store, 2)
    before = _state(engine)
    remove = _crash_after(target, name, _raise)
    try:
        with pytest.raises(Crash):
            VERBS[verb](moderation, store, ids)
    finally:
        remove()
    assert _state(engine) == before
    # Nothing is wedged: the same decision then goes through, with its audit row.
    VERBS[verb](moderation, store, ids)
    comments, audit = _state(engine)
    decided = [c for c in comments if c[1] != "pending"]
    assert audit == len(decided) >= 1
    assert all(c[2] == "ann" for c in decided)
    engine.dispose()


@pytest.mark.parametrize("target, name", CRASH_POINTS, ids=["after-audit", "after-status"])
def test_a_failed_undo_keeps_the_decision_and_its_single_audit_row(db_url, target, name):
    engine = make_engine(db_url)
    moderation = Moderation(engine)
    [comment_id] = _pending(Store(engine), 1)
    moderation.decide(comment_id, "ann", "reject", "spam")
    before = _state(engine)
    assert before == ([(comment_id, "rejected", "ann", "spam")], 1)
    remove = _crash_after(target, name, _raise)
    try:
        with pytest.raises(Crash):
            moderation.undo_last("ann")
    finally:
        remove()
    assert _state(engine) == before
    engine.dispose()


# The same crash for real: a moderator's process killed with SIGKILL mid-transaction.
_KILLED_MID_DECISION = """
import os, signal, sys
from service.storage.db import make_engine
from service.review.queue import Moderation
sys.path.insert(0, {tests!r})
from test_transactions import CRASH_POINTS, _crash_after
target, name = CRASH_POINTS[int(sys.argv[2])]
_crash_after(target, name, lambda: os.kill(os.getpid(), signal.SIGKILL))
Moderation(make_engine(sys.argv[1])).decide(int(sys.argv[3]), "ann", "approve")
print("survived")
"""


def test_a_moderator_process_killed_mid_decision_leaves_neither(db_url):
    """Killed after the audit INSERT, before the status UPDATE: between the two writes. (A
    subprocess imports the whole service, scikit-learn included, which is slow on a busy
    machine; the in-process tests above cover the other crash point.)"""
    point = 0
    engine = make_engine(db_url)
    [comment_id] = _pending(Store(engine), 1)
    before = _state(engine)
    script = _KILLED_MID_DECISION.format(tests=str(Path(__file__).parent))
    result = subprocess.run([sys.executable, "-c", script, db_url, str(point), str(comment_id)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert "survived" not in result.stdout
    assert _state(engine) == before
    # The dead transaction left no lock behind: the decision can be made now.
    Moderation(engine).decide(comment_id, "bob", "approve")
    assert _state(engine) == ([(comment_id, "published", "bob", None)], 1)
    engine.dispose()
