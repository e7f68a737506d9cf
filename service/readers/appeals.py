"""A commenter's appeal against the rejection of their comment (EU Digital Services Act, Art. 20
asks for one; Art. 17 for the reasons it answers, `notices`).

From their private status link, the commenter of a rejected comment may appeal once, with a note.
The comment goes back to the review queue marked "appeal" (`comments.returned_for`, status
`pending`, so it is no training label meanwhile), with the decision appealed kept on it, and the
audit log gets a row by COMMENTER. The moderator's next decision settles the appeal (`settle`,
called by service/review/queue.py in the decision's transaction): publishing grants it, rejecting
refuses it, with the reason the moderator chooses. Undoing that decision opens it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from service.storage.db import IMMEDIATE
from service.decisions.policy import PENDING, REJECTED
from service.readers.problems import Problem, Refused, unstorable
from service.intake.submission import clean_text, shows_anything
from service.storage.tables import Appeal, AuditEntry, Comment, utcnow

APPEAL = "appeal"
COMMENTER = "(commenter)"  # who put an appealed comment back in the queue, in the audit log
MAX_NOTE = 2000

MESSAGES = {
    "note_required": "Please tell us why the decision should change.",
    "note_too_long": f"Your appeal is too long: {MAX_NOTE} characters at most, please.",
    "note_invalid": "Your appeal has characters that cannot be kept; please remove them.",
    "not_found": "This status link is not valid. Please use the link you were given when you "
                 "posted your comment.",
    "not_rejected": "Only a comment that is not shown on the site can be appealed.",
    "already_appealed": "You have already appealed this decision; a comment can be appealed "
                        "once.",
}


def problem(code: str, field: str | None = None, **answer) -> Problem:
    return Problem(code, MESSAGES[code], field, **answer)


def validate(fields: Mapping[str, str]) -> tuple[str | None, list[Problem]]:
    """The appeal's note, trimmed (required, at most MAX_NOTE characters as sent)."""
    raw = fields.get("note", "")
    if not shows_anything(raw):
        return None, [problem("note_required", "note")]
    if len(raw) > MAX_NOTE:
        return None, [problem("note_too_long", "note")]
    if unstorable(raw):
        return None, [problem("note_invalid", "note")]
    return clean_text(raw), []


class Appeals:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(engine.execution_options(**IMMEDIATE), expire_on_commit=False)

    def file(self, comment_id: int, note: str, rejected_for: str | None,
             now: datetime | None = None) -> Appeal:
        """Appeal the rejection of `comment_id` (`rejected_for`: the reason its commenter was
        given); raises Refused (not_found, not_rejected, already_appealed). The comment and its
        one appeal are checked and changed in one transaction, so a double click appeals
        once."""
        now = now or utcnow()
        with self._write.begin() as session:
            comment = session.get(Comment, comment_id,
                                  with_for_update=self.engine.dialect.name == "postgresql")
            if comment is None:
                raise Refused(problem("not_found", status=404))
            if session.scalar(select(Appeal.id).where(Appeal.comment_id == comment_id)):
                raise Refused(problem("already_appealed", status=409))
            if comment.status != REJECTED:
                raise Refused(problem("not_rejected", status=409))
            appeal = Appeal(comment_id=comment_id, note=note, rejected_for=rejected_for,
                            created_at=now)
            session.add(appeal)
            session.add(AuditEntry.about(comment, COMMENTER, now, PENDING, rejected_for,
                                         action=APPEAL))
            # Who rejected it, when and why stay on the comment: the moderator sees what is
            # appealed, and the retraining script skips a pending comment until it is decided.
            comment.status, comment.returned_for, comment.updated_at = PENDING, APPEAL, now
        return appeal

    def for_comment(self, comment_id: int) -> Appeal | None:
        with self._read() as session:
            return session.scalar(select(Appeal).where(Appeal.comment_id == comment_id))

    def open_for(self, comment_ids: Iterable[int]) -> dict[int, Appeal]:
        """The appeals still waiting for a moderator, by comment."""
        ids = sorted(set(comment_ids))
        if not ids:
            return {}
        with self._read() as session:
            return {appeal.comment_id: appeal for appeal in session.scalars(
                select(Appeal).where(Appeal.comment_id.in_(ids), Appeal.outcome.is_(None)))}


def settle(session: Session, comment_id: int, *, granted: bool, decision_id: int,
           now: datetime) -> int:
    """Settle the comment's open appeal by the decision `decision_id` (inside its transaction);
    1 when there was one."""
    return session.execute(
        update(Appeal).where(Appeal.comment_id == comment_id, Appeal.outcome.is_(None))
        .values(outcome="granted" if granted else "refused", decided_at=now,
                decision_id=decision_id)
        .execution_options(synchronize_session=False)).rowcount


def reopen(session: Session, decision_id: int) -> int:
    """Open again the appeal the (now undone) decision `decision_id` settled."""
    return session.execute(
        update(Appeal).where(Appeal.decision_id == decision_id)
        .values(outcome=None, decided_at=None, decision_id=None)
        .execution_options(synchronize_session=False)).rowcount
