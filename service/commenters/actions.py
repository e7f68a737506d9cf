"""What moderators decide about a commenter or an e-mail domain, as plain verbs over the engine.

A commenter is their keyed e-mail hash (service/privacy/keys.py), the key trust already uses: a ban
is enforced without any raw address. Each action is one transaction that writes the standing or
domain rule intake reads (`commenter_standings`, `email_domain_rules`) and an append-only
`commenter_actions` row saying who did it, when and why. A ban may also reject the commenter's
published and waiting comments: each gets an `audit_log` row (action `ban`, one batch), and its
reason becomes their training label like any moderator's rejection.

| action  | the commenter's next comments                 | standing  |
|---------|-----------------------------------------------|-----------|
| `ban`   | refused, with the reason told to the reader   | `banned`  |
| `hold`  | held for a moderator, whatever the scores say | `hold`    |
| `trust` | trusted, as after MODERATION_TRUSTED_AFTER    | `trusted` |
| `clear` | the policy alone decides again                | (none)    |

E-mail domains take `hold`, `reject` (refused, as a ban) or `clear`. A commenter's own standing
comes first: a domain rule applies to commenters without one (service/decisions/policy.py).
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from service.ops import logs
from service.ops import metrics
from service.privacy import keys as privacy
from service.storage.db import IMMEDIATE, lock_names
from service.review.queue import Refused, _audit, settle_returns
from service.storage.tables import (DECISION_REASONS, Comment, CommenterAction, CommenterStanding,
                                    EmailDomainRule, utcnow)

# Action -> the standing it sets (None: removes it).
STANDING_OF = {"ban": "banned", "hold": "hold", "trust": "trusted", "clear": None}
DOMAIN_RULE_OF = {"hold": "hold", "reject": "reject", "clear": None}
# A ban may reject what the commenter has on the site or in the queue; auto-rejected and
# rejected comments are left as they are.
STILL_STANDING = ("published", "pending")
_DOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9_-]+(\.[a-z0-9_-]+)+$")

_DONE = {
    "ban": "Banned this commenter ({reason}): their next comments are refused.",
    "hold": "Every comment of this commenter is now held for review.",
    "trust": "This commenter is now trusted.",
    "clear": "This commenter is back to normal: the policy alone decides.",
}
_DOMAIN_DONE = {
    "hold": "Every comment from addresses at {domain} is now held for review.",
    "reject": "Comments from addresses at {domain} are now refused.",
    "clear": "The rule for {domain} is removed.",
}


@dataclass(frozen=True)
class ActionResult:
    action: CommenterAction
    rejected: list[Comment]  # the comments a ban rejected, by id
    message: str  # for the moderator


@dataclass(frozen=True)
class Profile:
    """One commenter as their page shows them."""

    email_hash: str
    standing: CommenterStanding | None
    actions: list[CommenterAction]  # newest first
    comments: list[Comment]  # newest first, at most the page's limit
    counts: dict[str, int]  # every stored comment of theirs, by status
    names: list[str]  # the names they signed with, most recent first
    domain: str  # of their newest comment that still has an address; "" when none does
    domain_rule: EmailDomainRule | None


def normalise_domain(raw: str) -> str:
    """A domain as a moderator types it ("Example.ORG", "@example.org", "bücher.de"), in the
    form intake matches (privacy.email_domain). Raises Refused when it is not a domain name."""
    typed = raw.strip().removeprefix("@")
    domain = privacy.email_domain("x@" + typed)
    # A whole address is refused, not read as its domain: a moderator who meant one commenter
    # must not refuse everyone at example.org.
    if "@" in typed or not _DOMAIN.match(domain):
        raise Refused("bad_domain", f"\u201c{raw.strip()[:100]}\u201d is not an email domain "
                                    "such as example.org; nothing was saved.")
    return domain


def describe_standing(standing: CommenterStanding | None) -> str:
    """A standing in a moderator's words: "banned (spam) by ann at 2026-11-24 09:00 UTC"."""
    if standing is None:
        return "no action in force: the policy decides"
    what = {"banned": "banned", "hold": "always held", "trusted": "trusted"}[standing.standing]
    if standing.reason:
        what += f" ({standing.reason})"
    return f"{what} by {standing.moderator} at {standing.since:%Y-%m-%d %H:%M} UTC"


class Commenters:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(engine.execution_options(**IMMEDIATE), expire_on_commit=False)

    # -- commenters -----------------------------------------------------------------------------

    def act(self, email_hash: str, action: str, moderator: str, *, reason: str | None = None,
            comment_id: int | None = None, reject_existing: bool = False,
            now: datetime | None = None) -> ActionResult:
        """Set (or clear) the commenter's standing, recording who did it and from which comment.
        A ban needs a reason, and with `reject_existing` rejects the commenter's published and
        waiting comments with that reason. Raises Refused when nothing is saved."""
        if action not in STANDING_OF:
            raise Refused("bad_action", f"Unknown action {action!r}.")
        reason = reason if action == "ban" else None
        if action == "ban" and reason not in DECISION_REASONS:
            raise Refused("bad_reason", "Choose a reason to ban (" + ", ".join(DECISION_REASONS)
                          + "); nothing was saved.")
        now = now or utcnow()
        with self._write.begin() as session:
            # Intake takes the same lock for each comment (PostgreSQL; SQLite's write lock
            # covers it), so a comment arriving during a ban is either swept up by it or
            # refused by it, never missed between the two.
            lock_names(session.connection(), [f"email:{email_hash}"])
            self._check_commenter(session, email_hash, comment_id)
            standing = session.get(CommenterStanding, email_hash)
            if action == "clear" and standing is None:
                raise Refused("nothing_to_clear", "This commenter has no action in force; "
                                                  "nothing changed.")
            if STANDING_OF[action] is None:
                session.delete(standing)
            else:
                standing = standing or CommenterStanding(email_hash=email_hash)
                standing.standing, standing.reason = STANDING_OF[action], reason
                standing.moderator, standing.since = moderator, now
                session.add(standing)
            rejected = self._reject_all(session, email_hash, moderator, reason, now) \
                if action == "ban" and reject_existing else []
            row = CommenterAction(email_hash=email_hash, action=action, reason=reason,
                                  moderator=moderator, at=now, comment_id=comment_id,
                                  rejected=len(rejected))
            session.add(row)
        metrics.moderator_decided("ban", len(rejected))
        logs.decisions(rejected, "ban", moderator)
        message = _DONE[action].format(reason=reason)
        if rejected:
            message += f" Rejected {len(rejected)} of their comments."
        return ActionResult(row, rejected, message)

    @staticmethod
    def _check_commenter(session: Session, email_hash: str, comment_id: int | None) -> None:
        # Erased comments share the empty hash: it is no one.
        if not email_hash or session.scalar(select(Comment.id).where(
                Comment.email_hash == email_hash).limit(1)) is None:
            raise Refused("not_found", "No comment of this commenter is stored; nothing changed.")
        if comment_id is not None:
            comment = session.get(Comment, comment_id)
            if comment is None or comment.email_hash != email_hash:
                raise Refused("not_found", f"Comment {comment_id} is not this commenter's; "
                                           "nothing changed.")

    def _reject_all(self, session: Session, email_hash: str, moderator: str, reason: str,
                    now: datetime) -> list[Comment]:
        statement = select(Comment).where(Comment.email_hash == email_hash,
                                          Comment.status.in_(STILL_STANDING)).order_by(Comment.id)
        if self.engine.dialect.name == "postgresql":
            # In id order, as the review queue locks rows, so the two cannot deadlock.
            statement = statement.with_for_update(of=Comment)
        comments = list(session.scalars(statement))
        # Not undone by the queue's `u` (it undoes decisions, and these rows say `ban`): a
        # moderator who changes their mind approves the comments again one by one.
        batch = uuid.uuid4().hex
        entries = []
        for comment in comments:
            entries.append(_audit(comment, moderator, now, "rejected", reason, action="ban",
                                  batch=batch))
            comment.status, comment.decision_reason = "rejected", reason
            comment.decided_by, comment.decided_at = moderator, now
            comment.lease_owner = comment.lease_until = None
            comment.returned_for = None
            comment.updated_at = now
        # Readers' reports of them are upheld, an appeal of theirs refused (service/readers).
        settle_returns(session, entries, published=False, now=now)
        return comments

    def standings(self, email_hashes) -> dict[str, CommenterStanding]:
        """The standing of each of these commenters that has one."""
        hashes = sorted(set(email_hashes) - {""})
        if not hashes:
            return {}
        with self._read() as session:
            return {row.email_hash: row for row in session.scalars(
                select(CommenterStanding).where(CommenterStanding.email_hash.in_(hashes)))}

    def profile(self, email_hash: str, limit: int = 100) -> Profile | None:
        """The commenter's page, or None when no comment of theirs is stored."""
        if not email_hash:
            return None
        with self._read() as session:
            comments = list(session.scalars(
                select(Comment).where(Comment.email_hash == email_hash)
                .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit)))
            if not comments:
                return None
            counts = Counter(dict(session.execute(
                select(Comment.status, func.count()).where(Comment.email_hash == email_hash)
                .group_by(Comment.status)).all()))
            actions = list(session.scalars(
                select(CommenterAction).where(CommenterAction.email_hash == email_hash)
                .order_by(CommenterAction.id.desc())))
            domain = next((privacy.email_domain(c.email) for c in comments if c.email), "")
            return Profile(
                email_hash, session.get(CommenterStanding, email_hash), actions, comments,
                {status: counts[status] for status in ("published", "pending", "rejected")},
                list(dict.fromkeys(c.author for c in comments if c.author)), domain,
                session.get(EmailDomainRule, domain) if domain else None)

    # -- e-mail domains -------------------------------------------------------------------------

    def set_domain_rule(self, raw_domain: str, rule: str, moderator: str,
                        now: datetime | None = None) -> tuple[CommenterAction, str]:
        """Hold or refuse every comment from addresses at a domain, or clear its rule; returns
        the action row and a message for the moderator. Raises Refused when nothing is saved."""
        if rule not in DOMAIN_RULE_OF:
            raise Refused("bad_rule", f"Unknown rule {rule!r}: hold, reject or clear.")
        domain = normalise_domain(raw_domain)
        now = now or utcnow()
        with self._write.begin() as session:
            lock_names(session.connection(), [f"domain:{domain}"])
            existing = session.get(EmailDomainRule, domain)
            if DOMAIN_RULE_OF[rule] is None:
                if existing is None:
                    raise Refused("not_found", f"There is no rule for {domain}; nothing changed.")
                session.delete(existing)
            else:
                existing = existing or EmailDomainRule(domain=domain)
                existing.rule, existing.moderator, existing.since = rule, moderator, now
                session.add(existing)
            row = CommenterAction(domain=domain, action=rule, moderator=moderator, at=now)
            session.add(row)
        return row, _DOMAIN_DONE[rule].format(domain=domain)

    def domain_rules(self) -> list[EmailDomainRule]:
        with self._read() as session:
            return list(session.scalars(select(EmailDomainRule).order_by(EmailDomainRule.domain)))

    # -- the audit log --------------------------------------------------------------------------

    def recent_actions(self, *, moderator: str | None = None, before: int | None = None,
                       limit: int = 50) -> tuple[list[CommenterAction], int | None]:
        """Commenter and domain actions, newest first, and the `before` id of the next page."""
        statement = select(CommenterAction).order_by(CommenterAction.id.desc()).limit(limit + 1)
        if moderator:
            statement = statement.where(CommenterAction.moderator == moderator)
        if before is not None:
            statement = statement.where(CommenterAction.id < before)
        with self._read() as session:
            rows = list(session.scalars(statement))
        return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)
