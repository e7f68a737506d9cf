"""Readers' reports of published comments.

A reader reports a published comment for one of the moderators' own reasons (spam, abuse,
off-topic, other), with an optional note. The reader is known only by a keyed hash of their IP
address (`privacy.reporter_hash`): enough to count each reader once per comment and to hold them
to MODERATION_REPORT_RATE_LIMIT reports, never the address itself.

When MODERATION_REPORTS_TO_QUEUE readers' reports are open on a comment, it goes back to the
review queue marked "reported" (`comments.returned_for`), staying published meanwhile or hidden
(MODERATION_HIDE_REPORTED), and the audit log gets a row by READERS. The moderator's decision
resolves the open reports (`resolve`, called by service/review/queue.py in the decision's
transaction): a reject upholds them, and is a label for retraining like any rejection, with the
reason the moderator chose; an approve dismisses them. Undoing the decision reopens them.

Plain functions and a `Reports` object over the engine; `service/readers/views.py` only reads
requests and answers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Mapping

from sqlalchemy import Engine, and_, func, literal_column, not_, select, update
from sqlalchemy.orm import Session, sessionmaker

from service.decisions import spot_checks
from service.config import RateLimit
from service.storage.db import IMMEDIATE, lock_names
from service.decisions.policy import PENDING, PUBLISHED
from service.readers.problems import Problem, Refused, unstorable
from service.intake.submission import clean_text
from service.storage.tables import DECISION_REASONS, AuditEntry, Comment, Report, utcnow

REPORTED = "reported"
READERS = "(readers)"  # who put a reported comment back in the queue, in the audit log
MAX_NOTE = 500
MAX_ID = 2**31 - 1  # the largest comment id both databases' integers hold

# What readers are offered, in their words; the stored reason is the moderators' code.
REASON_LABELS = {"spam": "Spam or advertising",
                 "abuse": "Abusive, hateful or harassing",
                 "off-topic": "Off-topic",
                 "other": "Something else"}
assert tuple(REASON_LABELS) == DECISION_REASONS

MESSAGES = {
    "reason_required": "Please choose why you are reporting this comment.",
    "reason_invalid": "Please choose one of the reasons listed: spam, abuse, off-topic or "
                      "other.",
    "note_too_long": f"Your note is too long: {MAX_NOTE} characters at most, please.",
    "note_invalid": "Your note has characters that cannot be kept; please remove them.",
    "not_found": "There is no such comment.",
    "not_published": "Only comments published on the site can be reported.",
    "report_flood": "You have sent a lot of reports in a short time. Please wait a while "
                    "before sending more.",
    "form_expired": "This report form has expired. Please open it again from the comment.",
}
THANKS = "Thank you. A moderator will look at this comment."
ALREADY = "You have already reported this comment. Thank you."

# Reported, published, and not already waiting as an open spot check (which the queue lists
# anyway): the published comments readers sent back to the queue. Literals, not parameters, as
# with spot_checks.OPEN.
LIVE = and_(Comment.returned_for == literal_column(f"'{REPORTED}'"),
            Comment.status == literal_column(f"'{PUBLISHED}'"), not_(spot_checks.OPEN))


def is_live(comment: Comment) -> bool:
    """The Python twin of `LIVE`."""
    return comment.returned_for == REPORTED and comment.status == PUBLISHED \
        and not spot_checks.is_open(comment)


def problem(code: str, field: str | None = None, **answer) -> Problem:
    return Problem(code, MESSAGES[code], field, **answer)


@dataclass(frozen=True)
class ReportInput:
    reason: str
    note: str


@dataclass(frozen=True)
class Filed:
    """What filing a report did: `counted` False when this reader had reported the comment
    before (nothing changed); `returned` when this report sent the comment back to the queue."""

    counted: bool
    returned: bool = False


def validate(fields: Mapping[str, str]) -> tuple[ReportInput | None, list[Problem]]:
    """The reason (required, one of DECISION_REASONS) and the note (optional, trimmed, at most
    MAX_NOTE characters as sent); every problem found."""
    reason = fields.get("reason", "")
    raw_note = fields.get("note", "")
    problems = []
    if not reason.strip():
        problems.append(problem("reason_required", "reason"))
    elif reason not in DECISION_REASONS:
        problems.append(problem("reason_invalid", "reason"))
    if len(raw_note) > MAX_NOTE:
        problems.append(problem("note_too_long", "note"))
    elif unstorable(raw_note):
        problems.append(problem("note_invalid", "note"))
    if problems:
        return None, problems
    return ReportInput(reason, clean_text(raw_note)), []


def reportable(comment: Comment) -> bool:
    """Published; or hidden because readers reported it, for a reader whose page still shows
    it (their report is still worth having)."""
    return comment.status == PUBLISHED \
        or (comment.status == PENDING and comment.returned_for == REPORTED)


def commonest(reasons: Iterable[str]) -> str | None:
    counts = Counter(reasons).most_common()
    return counts[0][0] if counts else None


def agreed(reports: Iterable[Report]) -> str | None:
    """The reason every open report gives, when they all give the same one; else None (the
    moderator must choose: a reason pre-selected on a guess would become a training label)."""
    reasons = {report.reason for report in reports}
    return reasons.pop() if len(reasons) == 1 else None


class Reports:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(engine.execution_options(**IMMEDIATE), expire_on_commit=False)

    def file(self, comment_id: int, reporter: str, report: ReportInput, *, threshold: int,
             hide: bool, rate: RateLimit | None, now: datetime | None = None) -> Filed:
        """Record one reader's report; raises Refused (not_found, not_published, report_flood).

        One transaction, holding the reader (PostgreSQL: an advisory lock; SQLite: the write
        lock) and the comment's row, so the limit holds for a reader's simultaneous reports and
        exactly one report moves the comment back to the queue."""
        now = now or utcnow()
        if not 0 <= comment_id <= MAX_ID:
            raise Refused(problem("not_found", status=404))
        with self._write.begin() as session:
            lock_names(session.connection(), [f"reporter:{reporter}"])
            comment = session.get(Comment, comment_id,
                                  with_for_update=self.engine.dialect.name == "postgresql")
            if comment is None:
                raise Refused(problem("not_found", status=404))
            if not reportable(comment):
                raise Refused(problem("not_published", status=409))
            if session.scalar(select(Report.id).where(Report.comment_id == comment_id,
                                                      Report.reporter_hash == reporter)):
                return Filed(counted=False)
            if rate is not None:
                _check_rate(session, reporter, rate, now)
            session.add(Report(comment_id=comment_id, reporter_hash=reporter,
                               reason=report.reason, note=report.note, created_at=now))
            session.flush()
            open_reasons = list(session.scalars(select(Report.reason).where(
                Report.comment_id == comment_id, Report.resolution.is_(None))))
            if len(open_reasons) < threshold or comment.returned_for is not None:
                return Filed(counted=True)
            new_status = PENDING if hide else comment.status
            session.add(AuditEntry.about(comment, READERS, now, new_status,
                                         commonest(open_reasons), action=REPORTED))
            comment.status, comment.returned_for, comment.updated_at = new_status, REPORTED, now
        return Filed(counted=True, returned=True)

    def open_for(self, comment_ids: Iterable[int]) -> dict[int, list[Report]]:
        """The open reports of each comment, oldest first (comments without any are absent)."""
        ids = sorted(set(comment_ids))
        found: dict[int, list[Report]] = {}
        if not ids:
            return found
        with self._read() as session:
            for report in session.scalars(
                    select(Report).where(Report.comment_id.in_(ids), Report.resolution.is_(None))
                    .order_by(Report.created_at, Report.id)):
                found.setdefault(report.comment_id, []).append(report)
        return found


def _check_rate(session: Session, reporter: str, rate: RateLimit, now: datetime) -> None:
    """Refused when the reader has `rate.count` reports in the window; Retry-After is when the
    oldest of them leaves it."""
    nth = session.scalar(select(Report.created_at).where(
        Report.reporter_hash == reporter, Report.created_at > now - timedelta(seconds=rate.seconds))
        .order_by(Report.created_at.desc()).offset(rate.count - 1).limit(1))
    if nth is not None:
        wait = (nth + timedelta(seconds=rate.seconds) - now).total_seconds()
        raise Refused(problem("report_flood", status=429, retry_after=max(1, int(wait) + 1)))


def resolve(session: Session, comment_id: int, *, upheld: bool, decision_id: int,
            now: datetime) -> int:
    """Close the comment's open reports by the decision `decision_id` (inside its
    transaction); how many there were."""
    return session.execute(
        update(Report).where(Report.comment_id == comment_id, Report.resolution.is_(None))
        .values(resolution="upheld" if upheld else "dismissed", resolved_at=now,
                decision_id=decision_id)
        .execution_options(synchronize_session=False)).rowcount


def reopen(session: Session, decision_id: int) -> int:
    """Open again the reports the (now undone) decision `decision_id` closed."""
    return session.execute(
        update(Report).where(Report.decision_id == decision_id)
        .values(resolution=None, resolved_at=None, decision_id=None)
        .execution_options(synchronize_session=False)).rowcount


def counts(engine: Engine) -> dict[str, int]:
    """Reports by state, for /metrics: open, upheld, dismissed."""
    state = func.coalesce(Report.resolution, "open")
    with engine.connect() as connection:
        found = dict(connection.execute(select(state, func.count()).group_by(state)).all())
    return {name: found.get(name, 0) for name in ("open", "upheld", "dismissed")}
