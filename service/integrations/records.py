"""What the integrations keep: one `integration_checks` row per comment another system asked
about (scores, model version, our answer, a keyed hash of the IP: never the text, the author or
the raw IP), and, for Akismet's submit-spam/submit-ham, a labelled comment in `comments` that the
retraining script reads like any moderator decision (docs/service.md, "Labels for retraining").
"""

from __future__ import annotations

import dataclasses
import hashlib

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from service.integrations.assessment import Assessment
from service.storage.store import Candidate, Store
from service.storage.tables import IntegrationCheck, utcnow

# Labels arrive long after the check; any earlier copy of the same comment is the one to relabel.
_SAME_COMMENT_SECONDS = 10 * 365 * 86400
LABEL_DECISIONS = {"spam": ("rejected", "spam"), "ham": ("published", None)}


def fingerprint(*parts: str) -> str:
    """The same comment, as the caller describes it again in a later call."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def record_check(engine: Engine, *, source: str, fingerprint: str, article: str,
                 assessment: Assessment, answer: str, ip_hash: str | None = None,
                 api_key_id: int | None = None, is_test: bool = False) -> int:
    scores = assessment.scores or {}
    with Session(engine) as db, db.begin():
        row = IntegrationCheck(
            source=source, api_key_id=api_key_id, fingerprint=fingerprint,
            article=article[:2000], ip_hash=ip_hash, spam_score=scores.get("spam"),
            abuse_score=scores.get("abuse"), model_version=assessment.model_version,
            status=assessment.decision.status, reasons=list(assessment.decision.reasons),
            answer=answer, is_test=is_test, created_at=utcnow())
        db.add(row)
        db.flush()
        return row.id


def latest_check(engine: Engine, fingerprint: str, api_key_id: int) -> IntegrationCheck | None:
    with Session(engine) as db:
        return db.scalars(select(IntegrationCheck).where(
            IntegrationCheck.fingerprint == fingerprint,
            IntegrationCheck.api_key_id == api_key_id,
        ).order_by(IntegrationCheck.created_at.desc(), IntegrationCheck.id.desc())).first()


def record_label(store: Store, *, label: str, decided_by: str, candidate: Candidate,
                 assessment: Assessment, check_fingerprint: str, api_key_id: int) -> int:
    """Store a moderator's spam/ham call from another system as a decided comment; returns its
    id. The same comment labelled again (ham after spam) is relabelled, not stored twice, so
    retraining sees only the latest call."""
    candidate = dataclasses.replace(candidate, scores=assessment.scores,
                                    model_version=assessment.model_version)
    outcome = store.enqueue(
        candidate, lambda _history: assessment.decision,
        duplicate_window=_SAME_COMMENT_SECONDS, rate=None, trust_cap=0)
    status, reason = LABEL_DECISIONS[label]
    comment = store.decide(outcome.comment.id, decided_by, status, reason)
    check = latest_check(store.engine, check_fingerprint, api_key_id)
    if check is not None:
        with Session(store.engine) as db, db.begin():
            row = db.get(IntegrationCheck, check.id)
            row.label, row.labelled_at, row.comment_id = label, utcnow(), comment.id
    return comment.id

