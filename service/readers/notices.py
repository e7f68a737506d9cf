"""What a commenter is told about their own comment (EU Digital Services Act, Art. 17: a
statement of reasons for a restriction).

- **A private status link**, `/comments/status/<token>`: the token is the comment's id signed with
  the app's secret (itsdangerous, which Flask ships), so it needs no login and cannot be guessed
  for another comment. The commenter gets it in the "awaiting moderation" notice, in the JSON
  receipt (`status_url`), in the embed, and in e-mails. It does not expire: the outcome of a
  decision or an appeal may come days later.
- **The statement** (`statement`, `sentences`): awaiting moderation, published, or not shown,
  with the reason in plain words (the site's settings MODERATION_REASON_*), taken from the
  moderator's choice or from the rule or score that decided, and whether a person or the
  site's filters decided. Then the appeal (`appeals`) and its outcome.
- **Notices in the audit log**: a row (`action = 'notice'`) when the status page first shows a
  rejection to the commenter (by STATUS_PAGE), and for each e-mail sent (by EMAIL).
- **E-mail**, off by default (MODERATION_NOTIFY_COMMENTERS): a notice when a comment is rejected
  and when an appeal is decided, queued in the alert outbox (`alert_outbox`, channel
  "commenter") and sent by the alerts runner through the existing SMTP settings. The address is
  read from the comment when sending, so a purged or erased comment gets none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Engine, Row, func, insert, select
from sqlalchemy.orm import Session

from service.storage.db import IMMEDIATE, lock_names
from service.decisions.policy import PENDING, PUBLISHED, REJECTED
from service.readers.reports import REPORTED
from service.storage.tables import AlertDelivery, Appeal, AuditEntry, Comment, utcnow

NOTICE = "notice"
STATUS_PAGE, EMAIL = "(status page)", "(e-mail)"  # who gave the notice, in the audit log
CHANNEL = "commenter"  # the alert outbox's channel for e-mails to commenters

# The reasons a commenter may be given, and the setting that words each.
REASON_SETTINGS = {"spam": "MODERATION_REASON_SPAM", "abuse": "MODERATION_REASON_ABUSE",
                   "off-topic": "MODERATION_REASON_OFF_TOPIC", "other": "MODERATION_REASON_OTHER",
                   "blocked_term": "MODERATION_REASON_BLOCKED_TERM"}
_SCORE = re.compile(r"^(spam|abuse)_score>=([0-9.e-]+)$")
_TOKEN_SALT = "comment-status"
# The form of a status token (itsdangerous: payload, then signature, in base64url; a compressed
# payload starts with a dot). service/openapi.json states it.
STATUS_TOKEN_PATTERN = "^\\.?[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$"
_TOKEN_FORM = re.compile(STATUS_TOKEN_PATTERN)
# The query parameter that carries the token back to the article with the "awaiting moderation"
# marker, so the article's page can show the link.
STATUS_TOKEN = "status_token"
MAX_ID = 2**31 - 1


# -- the link -------------------------------------------------------------------------------------

def status_token(secret_key: str, comment_id: int) -> str:
    return _serializer(secret_key).dumps(comment_id)


@lru_cache(maxsize=4)
def _serializer(secret_key: str) -> URLSafeSerializer:
    # One per key, kept: building it (and its signer) per comment cost intake as much as the
    # signature itself. The serializer holds no state between calls, so threads share it.
    return URLSafeSerializer(secret_key, salt=_TOKEN_SALT)


def comment_for(secret_key: str, token: str | None) -> int | None:
    """The comment a status token was signed for; None for anything else."""
    if not token or not _TOKEN_FORM.fullmatch(token):
        return None
    try:
        comment_id = _serializer(secret_key).loads(token)
    except BadSignature:
        return None
    if type(comment_id) is not int or not 0 < comment_id <= MAX_ID:
        return None
    return comment_id


# -- the reason -----------------------------------------------------------------------------------

def rule_reason(reasons: Iterable[str]) -> str:
    """Why the policy rejected a comment, from its reason codes: a blocked term; else the score
    recorded at the highest line (a reject line lies above every hold line, and a comment the
    policy rejected for a score has one); else "other"."""
    codes = list(reasons)
    if any(code.startswith("blocked_term:") for code in codes):
        return "blocked_term"
    lines = [(float(match.group(2)), match.group(1))
             for match in map(_SCORE.match, codes) if match]
    return max(lines)[1] if lines else "other"


def reason_for(comment: Comment) -> str:
    """The reason a comment was (last) rejected: the moderator's, else the policy's."""
    if comment.decided_by:
        return comment.decision_reason or "other"
    return rule_reason(comment.reasons or ())


def reason_texts(config: Mapping[str, Any]) -> dict[str, str]:
    return {reason: config[setting] for reason, setting in REASON_SETTINGS.items()}


# -- the statement --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Statement:
    """What the commenter is told. `status` as they see it: pending, published or rejected (not
    shown); for a rejection, and for one under appeal, the `reason` (a REASON_SETTINGS key),
    its `explanation` and whether a moderator decided (`by_person`: False when the site's
    filters alone did); `appeal`: None, pending, granted or refused."""

    comment_id: int
    status: str
    reason: str | None = None
    explanation: str | None = None
    by_person: bool | None = None
    hidden_for_reports: bool = False
    appeal: str | None = None
    appealed_at: datetime | None = None
    appeal_decided_at: datetime | None = None

    @property
    def can_appeal(self) -> bool:
        return self.status == REJECTED and self.appeal is None


def statement(comment: Comment, appeal: Appeal | None, texts: Mapping[str, str]) -> Statement:
    appeal_state = None if appeal is None else appeal.outcome or "pending"
    common = dict(comment_id=comment.id, appeal=appeal_state,
                  appealed_at=appeal.created_at if appeal else None,
                  appeal_decided_at=appeal.decided_at if appeal else None)
    if appeal_state == "pending":
        # The decision appealed: the reason the commenter was given for it.
        reason = appeal.rejected_for or reason_for(comment)
    elif comment.status == REJECTED:
        reason = reason_for(comment)
    else:
        return Statement(
            status=comment.status,
            hidden_for_reports=comment.status == PENDING and comment.returned_for == REPORTED,
            **common)
    return Statement(status=comment.status, reason=reason, explanation=texts[reason],
                     by_person=comment.decided_by is not None, **common)


def sentences(said: Statement) -> list[str]:
    """The statement in the site's words, one sentence (or two) a line: the status page shows
    them, and the e-mail sends them."""
    if said.appeal == "pending":
        return [f"You appealed this decision on {_day(said.appealed_at)}. A moderator will look "
                "at your comment again; the outcome will be shown here.",
                f"The decision you appealed: your comment is not shown on the site. Why: "
                f"{said.explanation}"]
    if said.status == PENDING:
        if said.hidden_for_reports:
            return ["Readers reported your comment, so it is hidden until a moderator has "
                    "looked at it."]
        return ["Your comment is awaiting moderation. It will appear on the article once a "
                "moderator has checked it."]
    if said.status == PUBLISHED:
        return ["Your appeal was accepted: your comment is published." if said.appeal ==
                "granted" else "Your comment is published."]
    lines = ["A moderator reviewed your appeal, and the decision stands: your comment is not "
             "shown on the site." if said.appeal == "refused"
             else "Your comment is not shown on the site.",
             f"Why: {said.explanation}",
             "A moderator decided this." if said.by_person
             else "The site's automatic filters decided this; no person has looked at it yet."]
    if said.can_appeal:
        lines.append("If you think this is wrong, you can ask a moderator to look at it again, "
                     "once.")
    return lines


def _day(at: datetime | None) -> str:
    return f"{at:%d %B %Y}" if at else "an earlier day"


def as_json(said: Statement) -> dict:
    appeal = None if said.appeal is None else {
        "status": said.appeal, "created_at": said.appealed_at.isoformat(),
        "decided_at": said.appeal_decided_at.isoformat() if said.appeal_decided_at else None}
    decided = None if said.by_person is None else "moderator" if said.by_person else "automated"
    return {"comment_id": said.comment_id, "status": said.status, "reason": said.reason,
            "explanation": said.explanation, "decided_by": decided,
            "hidden_for_reports": said.hidden_for_reports, "appeal": appeal,
            "can_appeal": said.can_appeal, "message": " ".join(sentences(said))}


# -- notices --------------------------------------------------------------------------------------

def record_shown(engine: Engine, comment_id: int, said: Statement,
                 now: datetime | None = None) -> bool:
    """Record in the audit log that the status page showed the commenter their comment's
    rejection and its reason: once per decision (True when this call recorded it)."""
    if said.status != REJECTED:
        return False
    now = now or utcnow()
    with Session(engine.execution_options(**IMMEDIATE)) as session, session.begin():
        lock_names(session.connection(), [f"notice:{comment_id}"])
        changed = session.scalar(select(func.max(AuditEntry.id)).where(
            AuditEntry.comment_id == comment_id, AuditEntry.action != NOTICE)) or 0
        if session.scalar(select(AuditEntry.id).where(
                AuditEntry.comment_id == comment_id, AuditEntry.action == NOTICE,
                AuditEntry.moderator == STATUS_PAGE, AuditEntry.id > changed).limit(1)):
            return False
        comment = session.get(Comment, comment_id)
        session.add(AuditEntry.about(comment, STATUS_PAGE, now, comment.status, said.reason,
                                     action=NOTICE))
    return True


def email_text(said: Statement, status_url: str, article: str) -> tuple[str, str]:
    """(subject, text) of the e-mail notice; no comment text and no address in it."""
    if said.status == PUBLISHED and said.appeal == "granted":
        subject = "Your appeal was accepted"
    elif said.appeal == "refused":
        subject = "Your appeal was reviewed"
    else:
        subject = "Your comment is not shown on the site"
    text = "\n\n".join([f"About your comment on {article}:", *sentences(said),
                        f"Your private status link (keep it to yourself): {status_url}"])
    return subject, text


def queue_email(engine: Engine, said: Statement, subject: str, text: str,
                now: datetime | None = None) -> None:
    now = now or utcnow()
    with engine.execution_options(**IMMEDIATE).begin() as connection:
        connection.execute(insert(AlertDelivery.__table__).values(
            kind=NOTICE, channel=CHANNEL, target=f"comment:{said.comment_id}",
            subject=subject[:200],
            payload={"text": text, "reason": said.reason, "status": said.status},
            created_at=now, attempts=0, next_attempt_at=now))


def send_email(engine: Engine, config: Mapping[str, Any], delivery: Row, send) -> str:
    """Deliver one queued notice with `send(config, subject, text, to)`; "dropped" when the
    comment no longer has an address (purged, erased) or its status moved on since (an undo, an
    appeal: the status link says what holds now). Records the notice in the audit log."""
    comment_id = int(delivery.target.removeprefix("comment:"))
    with Session(engine) as session:
        comment = session.get(Comment, comment_id)
    if comment is None or not comment.email or comment.status != delivery.payload["status"]:
        return "dropped"
    send(config, delivery.subject, delivery.payload["text"], [comment.email])
    with Session(engine.execution_options(**IMMEDIATE)) as session, session.begin():
        comment = session.get(Comment, comment_id)
        session.add(AuditEntry.about(comment, EMAIL, utcnow(), comment.status,
                                     delivery.payload.get("reason"), action=NOTICE))
    return "sent"
