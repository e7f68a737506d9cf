"""The review queue's verbs: list, count and page the queue, lease what a moderator is looking at,
decide (one or many), undo, and read the audit log.

Plain functions over a `Moderation` object holding the engine; the review blueprint only parses
requests and renders what these return. Every decision and its audit row are written in one
transaction. The retraining contract (docs/service.md, "Labels for retraining";
`model/decisions.py`):

| action            | status      | decided_by | decided_at | decision_reason                  |
|-------------------|-------------|------------|------------|----------------------------------|
| approve           | `published` | moderator  | now        | NULL                             |
| reject (reason)   | `rejected`  | moderator  | now        | spam, abuse, off-topic or other  |
| undo              | the status before, and decided_by/at/reason as they were before      |

So an undone decision leaves no label behind; "auto-rejected" is `rejected` with decided_by NULL.

The pending tab also shows open spot checks (`service/decisions/spot_checks.py`): comments the
policy published and picked at random. They stay `published` until a moderator rejects them, so
approve keeps them as they are and reject unpublishes them; both set decided_by, which closes the
check. So does a comment readers reported back into the queue while it stays published
(`service/readers/reports.py`). A decision on a comment clears its mark (`returned_for`) and
resolves its open reports (reject upholds them, approve dismisses them) and settles its appeal
(approve grants it, reject refuses it); an undo puts all of it back.

Backends differ only in `_lock_rows`: PostgreSQL locks rows (`FOR UPDATE`, `SKIP LOCKED` when
leasing a page, so two moderators opening the queue at once are handed different comments);
SQLite's write transactions are `BEGIN IMMEDIATE`, which already serialises writers, and leases
are taken with a conditional UPDATE.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, String, and_, cast, func, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from service.articles import records as articles
from service.ops import logs
from service.ops import metrics
from service.articles import sections
from service.decisions import policy, spot_checks
from service.articles.records import like_escape
from service.storage.db import IMMEDIATE
from service.readers import appeals, reports
from service.storage.tables import DECISION_REASONS, RETURN_MARKS, AuditEntry, Comment, utcnow

STATUS_FILTERS = ("pending", "auto-rejected", "approved", "rejected")
# Published comments that wait in the pending tab too: open spot checks, and comments readers
# reported back into the queue while they stay up. Disjoint (reports.LIVE leaves out the first).
AWAITING_PUBLISHED = (spot_checks.OPEN, reports.LIVE)
LABELS = ("spam", "abuse", "rule")
ORDERS = ("risk", "oldest")
ACTIONS = {"approve": "published", "reject": "rejected"}
# Audit actions that decided a comment's status: a moderator's decision, and a ban's rejection
# (service/commenters). Undo reverses only the first; both are what an undo restores or meets.
DECISIONS = ("decide", "ban")
# A language filter: an ISO 639 code, or "unknown" (service.decisions.language).
_LANGUAGE = re.compile(r"^(?:[a-z]{2,3}|unknown)$")

# What put a comment in the queue, read from the policy's reasons (service/decisions/policy.py).
_LABEL_REASONS = {"spam": ("spam_score",), "abuse": ("abuse_score",),
                  "rule": ("blocked_term:", "watched_term:", "links>", "repeated>=",
                           policy.PHONE_NUMBER, policy.STYLED_LETTERS)}


class Refused(Exception):
    """A decision that was not saved; `message` is for the moderator, `code` for machines."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class QueueQuery:
    """What the moderator asked to see. `status` is one of STATUS_FILTERS."""

    status: str = "pending"
    post_id: str | None = None
    title: str | None = None  # words in the article's title (or its id)
    section: str | None = None  # the article's section (service.articles.sections)
    label: str | None = None
    search: str | None = None
    order: str = "risk"
    language: str | None = None
    mark: str | None = None  # one of RETURN_MARKS: back in the queue for reports, or an appeal
    copies_of: int | None = None  # the comments with this comment's text key (a pasted wave)

    def __post_init__(self) -> None:
        if self.language is not None and not _LANGUAGE.match(self.language):
            raise ValueError(f"unknown language {self.language!r}: a code such as id, or unknown")
        if self.status not in STATUS_FILTERS:
            raise ValueError(f"unknown status {self.status!r}")
        if self.label is not None and self.label not in LABELS:
            raise ValueError(f"unknown label {self.label!r}")
        if self.order not in ORDERS:
            raise ValueError(f"unknown order {self.order!r}")
        if self.mark is not None and self.mark not in RETURN_MARKS:
            raise ValueError(f"unknown mark {self.mark!r}")


@dataclass(frozen=True)
class QueuePage:
    comments: list[Comment]
    next_cursor: str | None  # pass as `after` for the next page; None on the last page
    mine: set[int] = field(default_factory=set)  # ids from the moderator's own sections


@dataclass
class BulkResult:
    decided: list[Comment] = field(default_factory=list)
    refused: dict[int, Refused] = field(default_factory=dict)


def suggested_reason(comment: Comment, reported: str | None = None) -> str | None:
    """The reject reason a comment's review form starts with: the one already decided, else the
    one every reader who reported it gave (`reported`), else the label whose score held (or
    auto-rejected) it, when exactly one did. None where nothing says which (a rule or term, the
    scorer down, both scores, readers who disagree, nothing at all): the moderator must then
    choose, because a pre-selected guess becomes a training label on a quick reject."""
    if comment.decision_reason or reported:
        return comment.decision_reason or reported
    held_for = {label for label in ("spam", "abuse") for reason in comment.reasons or ()
                if reason.startswith(_LABEL_REASONS[label])}
    return held_for.pop() if len(held_for) == 1 else None


def state_token(comment: Comment) -> str:
    """What a moderator saw of a comment's decision state. A decision carries it back, and is
    refused when the comment has changed since (someone else decided or undid meanwhile)."""
    at = comment.decided_at.isoformat() if comment.decided_at else ""
    return f"{comment.status}|{comment.decided_by or ''}|{at}"


def status_filter(name: str):
    """The SQL condition for one of STATUS_FILTERS (for "pending", the held comments alone;
    `Moderation._rows` adds the open spot checks)."""
    return {
        "pending": Comment.status == "pending",
        "auto-rejected": and_(Comment.status == "rejected", Comment.decided_by.is_(None)),
        # Published by the policy or by a moderator: both can be reversed from here.
        "approved": Comment.status == "published",
        "rejected": and_(Comment.status == "rejected", Comment.decided_by.is_not(None)),
    }[name]


def _encode_cursor(comment: Comment) -> str:
    return f"{comment.risk!r}~{comment.created_at.isoformat()}~{comment.id}"


def _split_cursor(cursor: str | None, parts: int) -> tuple[int, str | None]:
    """Which part of the queue (own sections first, then the rest) a cursor is in, and its
    position there. A cursor of the other kind (the moderator's sections changed meanwhile)
    goes on from its position in the part there is."""
    if cursor is None:
        return 0, None
    part, bar, key = cursor.partition("|")
    if not bar:
        return 0, cursor
    if part not in ("0", "1"):
        raise ValueError(f"bad cursor {cursor!r}")
    return min(int(part), parts - 1), key


def _decode_cursor(cursor: str) -> tuple[float, datetime, int]:
    try:
        risk, created, ident = cursor.split("~")
        return float(risk), datetime.fromisoformat(created), int(ident)
    except ValueError as exc:
        raise ValueError(f"bad cursor {cursor!r}") from exc


class Moderation:
    def __init__(self, engine: Engine, lease_seconds: int = 300) -> None:
        self.engine = engine
        self.lease = timedelta(seconds=lease_seconds)
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(engine.execution_options(**IMMEDIATE), expire_on_commit=False)

    @property
    def _postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    # -- the queue ------------------------------------------------------------------------------

    @staticmethod
    def _conditions(query: QueueQuery) -> list:
        """The filters besides the status."""
        conditions = []
        if query.post_id:
            conditions.append(Comment.post_id == query.post_id)
        if query.title:
            conditions.append(articles.titled(query.title))
        if query.section:
            conditions.append(sections.in_section([query.section]))
        if query.language:
            conditions.append(Comment.language == query.language)
        if query.mark:
            conditions.append(Comment.returned_for == query.mark)
        if query.copies_of is not None:
            # The same text pasted by several commenters (service.decisions.rules.repeat_key):
            # a moderator who rejects one copy of a wave finds the others here.
            original = aliased(Comment)
            conditions.append(Comment.text_key == select(original.text_key).where(
                original.id == query.copies_of).scalar_subquery())
        if query.label:
            reasons = cast(Comment.reasons, String)
            conditions.append(or_(*(reasons.like(f"%{like_escape(marker)}%", escape="\\")
                                    for marker in _LABEL_REASONS[query.label])))
        if query.search:
            pattern = f"%{like_escape(query.search)}%"
            conditions.append(or_(Comment.text.ilike(pattern, escape="\\"),
                                  Comment.author.ilike(pattern, escape="\\")))
        return conditions

    def _keyset(self, query: QueueQuery, after: str | None):
        """ORDER BY and the "after this row" condition. Keyset, not OFFSET, and each order has an
        index to seek in (`ix_comments_status_risk`, `ix_comments_status_created`), so page 4,000
        of a 100,000-comment queue costs what page 1 does."""
        ordering = _ordering(query.order)
        if after is None:
            return ordering, []
        risk, created, ident = _decode_cursor(after)
        # The first term of each pair is implied by the second; it is there because it is a
        # plain range on the index's next column, which the planners (SQLite's especially) seek
        # to, where the OR alone would have them walk the index from the start.
        later = [Comment.created_at >= created,
                 or_(Comment.created_at > created, Comment.id > ident)]
        if query.order == "risk":
            later = [Comment.risk <= risk,
                     or_(Comment.risk < risk, and_(Comment.risk == risk, *later))]
        return ordering, later

    def queue(self, query: QueueQuery, *, moderator: str | None = None, after: str | None = None,
              limit: int = 25, now: datetime | None = None,
              first: tuple[str, ...] = ()) -> QueuePage:
        """One page of the queue. With `moderator` and the pending status, the page is leased to
        them: comments another moderator holds are left out, and the ones returned are theirs
        for `lease_seconds`. `first`: the moderator's sections, whose comments come before all
        others (unless the query picks a section itself); each comment of the page says which
        part it is from in `QueuePage.mine`."""
        parts = [None] if not first or query.section else \
            [sections.in_section(first), ~sections.in_section(first)]
        start, key = _split_cursor(after, len(parts))
        leasing = moderator is not None and query.status == "pending"
        now = now or utcnow()

        def read(session: Session) -> list[tuple[int, Comment]]:
            found: list[tuple[int, Comment]] = []
            for index in range(start, len(parts)):
                ordering, keyset = self._keyset(query, key if index == start else None)
                filters = [*self._conditions(query), *keyset]
                filters += [parts[index]] if parts[index] is not None else []
                filters += [self._free_for(moderator, now)] if leasing else []
                # PostgreSQL: another moderator's page being leased right now: take the next
                # rows instead of waiting for theirs.
                found += [(index, comment) for comment in self._rows(
                    session, query, filters, ordering, limit + 1 - len(found),
                    lock=leasing and self._postgres)]
                if len(found) > limit:
                    break
            return found

        if not leasing:
            with self._read() as session:
                rows = read(session)
        else:
            with self._write.begin() as session:
                rows = read(session)
                ids = [comment.id for _, comment in rows[:limit]]
                if ids:
                    session.execute(update(Comment).where(Comment.id.in_(ids))
                                    .values(lease_owner=moderator, lease_until=now + self.lease)
                                    .execution_options(synchronize_session=False))
                    for _, comment in rows[:limit]:
                        comment.lease_owner, comment.lease_until = moderator, now + self.lease
        cursor = None
        if len(rows) > limit:
            part, last = rows[limit - 1]
            cursor = _encode_cursor(last) if len(parts) == 1 else f"{part}|{_encode_cursor(last)}"
        mine = {comment.id for part, comment in rows[:limit] if len(parts) == 2 and part == 0}
        return QueuePage([comment for _, comment in rows[:limit]], cursor, mine)

    @staticmethod
    def _rows(session: Session, query: QueueQuery, filters: list, ordering: tuple, n: int,
              lock: bool = False) -> list[Comment]:
        """The first `n` comments of a page. The pending tab reads held comments, open spot
        checks and reported comments still published apart, each seeking in an index of its own
        (one OR would have the planners sort every pending comment for each page), and merges
        them. The published ones are merged by their keys alone, read from their index without
        touching the table, and loaded only when they make the page: riskiest first, the
        default order, spot checks mostly come last."""
        def locked(statement):
            return statement.with_for_update(skip_locked=True, of=Comment) if lock else statement

        rows = list(session.scalars(locked(
            select(Comment).where(status_filter(query.status), *filters)
            .order_by(*ordering).limit(n))))
        if query.status != "pending":
            return rows
        keys = [key for awaiting in AWAITING_PUBLISHED for key in session.execute(locked(
            select(Comment.id, Comment.risk, Comment.created_at).where(awaiting, *filters)
            .order_by(*ordering).limit(n))).all()]
        order = _sort_key(query.order)
        wanted = [key.id for key in sorted([*rows, *keys], key=order)[:n]
                  if not isinstance(key, Comment)]
        if wanted:
            rows += session.scalars(select(Comment).where(Comment.id.in_(wanted)))
        return sorted(rows, key=order)[:n]

    @staticmethod
    def _free_for(moderator: str, now: datetime):
        return or_(Comment.lease_owner.is_(None), Comment.lease_owner == moderator,
                   Comment.lease_until < now)

    def counts(self, post_id: str | None = None) -> dict[str, int]:
        """How many comments each status filter holds (for one article, or all)."""
        # Grouped by the moderator's name, not by "decided_by IS NULL", so the groups come
        # straight off ix_comments_status_decided_by with no sort (a few rows per moderator).
        statement = select(Comment.status, Comment.decided_by, func.count()) \
            .group_by(Comment.status, Comment.decided_by)
        if post_id:
            statement = statement.where(Comment.post_id == post_id)
        counts = dict.fromkeys(STATUS_FILTERS, 0)
        with self._read() as session:
            # Open spot checks and reported comments still up wait in the pending tab, and are
            # counted there too; they are also published, so "approved" counts them as well.
            for awaiting in AWAITING_PUBLISHED:
                waiting = select(func.count()).select_from(Comment).where(awaiting)
                if post_id:
                    waiting = waiting.where(Comment.post_id == post_id)
                counts["pending"] += session.scalar(waiting) or 0
            for status, decided_by, n in session.execute(statement):
                if status == "pending":
                    counts["pending"] += n
                elif status == "published":
                    counts["approved"] += n
                else:
                    counts["rejected" if decided_by else "auto-rejected"] += n
        return counts

    def histories(self, email_hashes) -> dict[str, dict[str, int]]:
        """Per commenter (e-mail hash): how many of their comments are published and rejected."""
        hashes = sorted(set(email_hashes))
        out: dict[str, dict[str, int]] = defaultdict(lambda: {"published": 0, "rejected": 0})
        if not hashes:
            return out
        with self._read() as session:
            for email_hash, status, n in session.execute(
                    select(Comment.email_hash, Comment.status, func.count())
                    .where(Comment.email_hash.in_(hashes),
                           Comment.status.in_(("published", "rejected")))
                    .group_by(Comment.email_hash, Comment.status)):
                out[email_hash][status] = n
        return out

    def get(self, comment_id: int) -> Comment | None:
        with self._read() as session:
            return session.get(Comment, comment_id)

    def claim(self, comment_id: int, moderator: str, now: datetime | None = None) -> bool:
        """Lease one comment to `moderator` (e.g. when opened on its own page); False when
        another moderator holds it or it no longer waits for one (pending, or an open spot
        check)."""
        now = now or utcnow()
        # No SKIP LOCKED here, unlike leasing a queue page: a comment someone is claiming at this
        # moment is theirs, and the page must say so. The UPDATE waits for that claim to commit
        # (SQLite: the write lock; PostgreSQL: the row lock, then its WHERE is checked again
        # against the committed lease), so the page drawn after it shows who holds it.
        with self._write.begin() as session:
            result = session.execute(
                update(Comment)
                .where(Comment.id == comment_id,
                       or_(Comment.status == "pending", *AWAITING_PUBLISHED),
                       self._free_for(moderator, now))
                .values(lease_owner=moderator, lease_until=now + self.lease)
                .execution_options(synchronize_session=False))
            return result.rowcount == 1

    # -- decisions ------------------------------------------------------------------------------

    def decide(self, comment_id: int, moderator: str, action: str, reason: str | None = None,
               seen: str | None = None, now: datetime | None = None) -> Comment:
        """Approve or reject one comment; raises `Refused` when it is not saved."""
        result = self.decide_many([comment_id], moderator, action, reason,
                                  {comment_id: seen} if seen is not None else {}, now=now)
        if result.refused:
            raise result.refused[comment_id]
        return result.decided[0]

    def decide_many(self, comment_ids, moderator: str, action: str, reason: str | None = None,
                    seen: dict[int, str] | None = None, now: datetime | None = None
                    ) -> BulkResult:
        """Approve or reject several comments in one transaction. Each comment is checked on its
        own: the ones someone else decided or holds are refused (and reported), the rest saved.
        `seen` maps comment ids to the `state_token` the moderator was shown."""
        new_status = _validate(action, reason)
        seen = seen or {}
        now = now or utcnow()
        ids = sorted(set(comment_ids))
        batch = uuid.uuid4().hex if len(ids) > 1 else None
        result = BulkResult()
        entries = []
        with self._write.begin() as session:
            comments = {c.id: c for c in self._lock_rows(session, ids)}
            for comment_id in ids:
                comment = comments.get(comment_id)
                try:
                    _check(comment, comment_id, moderator, seen.get(comment_id), now)
                except Refused as refused:
                    result.refused[comment_id] = refused
                    continue
                entries.append(_audit(comment, moderator, now, new_status,
                                      reason if new_status == "rejected" else None, batch=batch))
                comment.status = new_status
                comment.decision_reason = reason if new_status == "rejected" else None
                comment.decided_by, comment.decided_at = moderator, now
                comment.lease_owner = comment.lease_until = None
                comment.returned_for = None
                comment.updated_at = now
                result.decided.append(comment)
            settle_returns(session, entries, published=new_status == "published", now=now)
        metrics.moderator_decided(action, len(result.decided))
        logs.decisions(result.decided, action, moderator)
        return result

    def _lock_rows(self, session: Session, ids: list[int]) -> list[Comment]:
        statement = select(Comment).where(Comment.id.in_(ids)).order_by(Comment.id)
        if self._postgres:
            # Wait (no SKIP LOCKED): the loser of a race must see the winner's decision and be
            # refused, not slip past it. Locking in id order keeps two bulk actions deadlock-free.
            statement = statement.with_for_update(of=Comment)
        return list(session.scalars(statement))

    def undo_last(self, moderator: str, now: datetime | None = None) -> BulkResult:
        """Reverse `moderator`'s last decision (all of it, for a bulk action): each comment gets
        back its status and decided_by/decided_at/decision_reason from before, and an audit row
        of its own. A comment someone decided again since is refused, not overwritten."""
        now = now or utcnow()
        result = BulkResult()
        with self._write.begin() as session:
            last = self._last_undoable(session, moderator)
            if not last:
                raise Refused("nothing_to_undo", "There is no decision of yours left to undo.")
            comments = {c.id: c for c in self._lock_rows(session, [e.comment_id for e in last])}
            for entry in last:
                comment = comments[entry.comment_id]
                stack = _effective(self._entries(session, comment.id))
                if not stack or stack[-1].id != entry.id:
                    result.refused[comment.id] = _changed_since(comment,
                                                                stack[-1] if stack else entry)
                    continue
                earlier = stack[:-1]
                before = next((e for e in reversed(earlier) if e.action in DECISIONS), None)
                session.add(_audit(comment, moderator, now, entry.old_status,
                                   before.reason if before else None, action="undo",
                                   undoes=entry.id, batch=entry.batch))
                comment.status = entry.old_status
                comment.decided_by = before.moderator if before else None
                comment.decided_at = before.at if before else None
                comment.decision_reason = before.reason if before else None
                # Back in the queue for what had put it there (readers' reports, an appeal),
                # with the reports or the appeal the decision had settled open again.
                comment.returned_for = earlier[-1].action \
                    if earlier and earlier[-1].action in RETURN_MARKS else None
                reports.reopen(session, entry.id)
                appeals.reopen(session, entry.id)
                comment.updated_at = now
                if awaits_moderator(comment):
                    # Back in the undoer's hands, so no one else grabs it mid-thought.
                    comment.lease_owner, comment.lease_until = moderator, now + self.lease
                result.decided.append(comment)
        metrics.moderator_decided("undo", len(result.decided))
        logs.decisions(result.decided, "undo", moderator)
        return result

    def _last_undoable(self, session: Session, moderator: str) -> list[AuditEntry]:
        undone = select(AuditEntry.undoes).where(AuditEntry.undoes.is_not(None))
        latest = session.scalars(
            select(AuditEntry).where(AuditEntry.moderator == moderator,
                                     AuditEntry.action == "decide", AuditEntry.id.not_in(undone))
            .order_by(AuditEntry.id.desc()).limit(1)).first()
        if latest is None or latest.batch is None:
            return [latest] if latest else []
        return list(session.scalars(
            select(AuditEntry).where(AuditEntry.batch == latest.batch,
                                     AuditEntry.action == "decide", AuditEntry.id.not_in(undone))
            .order_by(AuditEntry.id)))

    @staticmethod
    def _entries(session: Session, comment_id: int) -> list[AuditEntry]:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.comment_id == comment_id)
                                    .order_by(AuditEntry.id)))

    # -- the audit log --------------------------------------------------------------------------

    def history(self, comment_id: int) -> list[AuditEntry]:
        """Every audit row of one comment, oldest first."""
        with self._read() as session:
            return self._entries(session, comment_id)

    def audit(self, *, moderator: str | None = None, post_id: str | None = None,
              before: int | None = None, limit: int = 50
              ) -> tuple[list[tuple[AuditEntry, Comment]], int | None]:
        """The audit log, newest first, with each row's comment; and the `before` id of the
        next page (None on the last)."""
        statement = (select(AuditEntry, Comment).join(Comment, Comment.id == AuditEntry.comment_id)
                     .order_by(AuditEntry.id.desc()).limit(limit + 1))
        if moderator:
            statement = statement.where(AuditEntry.moderator == moderator)
        if post_id:
            statement = statement.where(Comment.post_id == post_id)
        if before is not None:
            statement = statement.where(AuditEntry.id < before)
        with self._read() as session:
            rows = [tuple(row) for row in session.execute(statement).all()]
        more = rows[limit - 1][0].id if len(rows) > limit else None
        return rows[:limit], more


def _ordering(order: str) -> tuple:
    if order == "oldest":
        return (Comment.created_at, Comment.id)
    # Riskiest first (Comment.risk is tables.risk_of: unscored counts as riskiest).
    return (Comment.risk.desc(), Comment.created_at, Comment.id)


def _sort_key(order: str):
    if order == "oldest":
        return lambda comment: (comment.created_at, comment.id)
    return lambda comment: (-comment.risk, comment.created_at, comment.id)


def _validate(action: str, reason: str | None) -> str:
    if action not in ACTIONS:
        raise Refused("bad_action", f"Unknown action {action!r}.")
    if action == "reject" and reason not in DECISION_REASONS:
        raise Refused("bad_reason", "Choose a reason to reject ("
                      + ", ".join(DECISION_REASONS) + "); nothing was saved.")
    return ACTIONS[action]


def awaits_moderator(comment: Comment) -> bool:
    """Whether a comment waits in the pending tab: held, an open spot check, or reported back
    into the queue while it stays published."""
    return comment.status == "pending" or spot_checks.is_open(comment) \
        or reports.is_live(comment)


def describe(comment: Comment) -> str:
    """A comment's decision state in a moderator's words: "rejected (spam) by ann at 10:02"."""
    if comment.returned_for == reports.REPORTED:
        shown = "still published" if comment.status == "published" \
            else "hidden until a moderator decides"
        earlier = f"; approved by {_by(comment)}" if comment.decided_by else ""
        return f"reported by readers, {shown}{earlier}"
    if comment.returned_for == appeals.APPEAL:
        appealed = f"rejected ({comment.decision_reason}) by {_by(comment)}" \
            if comment.decided_by else "auto-rejected"
        return f"appealed by its commenter; was {appealed}"
    if spot_checks.is_open(comment):
        return "published by the policy; no moderator has checked it yet"
    status = {"published": "approved", "pending": "pending"}.get(comment.status, comment.status)
    if comment.status == "rejected" and comment.decision_reason:
        status += f" ({comment.decision_reason})"
    if comment.decided_by:
        status += f" by {_by(comment)}"
    elif comment.status == "rejected":
        status = "auto-rejected"
    return status


def _by(comment: Comment) -> str:
    return f"{comment.decided_by} at {comment.decided_at:%Y-%m-%d %H:%M} UTC"


def _check(comment: Comment | None, comment_id: int, moderator: str, seen: str | None,
           now: datetime) -> None:
    if comment is None:
        raise Refused("not_found", f"Comment {comment_id} does not exist.")
    changed = state_token(comment) != seen if seen is not None else \
        comment.decided_by not in (None, moderator)
    if changed:
        raise Refused("already_decided", f"Comment {comment_id} was already decided: "
                      f"{describe(comment)}. Your decision was not saved.")
    if comment.lease_owner not in (None, moderator) and comment.lease_until \
            and comment.lease_until > now:
        raise Refused("leased", f"{comment.lease_owner} is reviewing comment {comment_id} "
                      f"(reserved until {comment.lease_until:%H:%M:%S} UTC). Your decision was "
                      "not saved.")


def _audit(comment: Comment, moderator: str, now: datetime, new_status: str, reason: str | None,
           *, action: str = "decide", undoes: int | None = None,
           batch: str | None = None) -> AuditEntry:
    return AuditEntry.about(comment, moderator, now, new_status, reason, action=action,
                            undoes=undoes, batch=batch)


def settle_returns(session: Session, entries: list[AuditEntry], *, published: bool,
                   now: datetime) -> None:
    """Add decisions' audit rows, and settle by each what had sent its comment back to the
    queue: readers' reports (upheld by a rejection, dismissed by an approval) and its
    commenter's appeal (granted by an approval, refused by a rejection). Inside the decisions'
    transaction; the comments' `returned_for` is the caller's to clear."""
    session.add_all(entries)
    session.flush()  # the rows' ids, which the reports and the appeal keep (an undo reopens)
    for entry in entries:
        reports.resolve(session, entry.comment_id, upheld=not published, decision_id=entry.id,
                        now=now)
        appeals.settle(session, entry.comment_id, granted=published, decision_id=entry.id,
                       now=now)


def _effective(entries: list[AuditEntry]) -> list[AuditEntry]:
    """The decisions still in force on a comment, and the rows that put it back in the queue
    since (RETURN_MARKS), oldest first: each undo removes its target."""
    stack: list[AuditEntry] = []
    for entry in entries:
        if entry.action == "undo":
            stack = [e for e in stack if e.id != entry.undoes]
        elif entry.action in DECISIONS or entry.action in RETURN_MARKS:
            stack.append(entry)
    return stack


def _changed_since(comment: Comment, latest: AuditEntry) -> Refused:
    """Why a decision cannot be undone: the comment moved on after it."""
    if latest.action in DECISIONS:
        happened = "decided again"
    else:
        happened = {"reported": "reported by readers",
                    "appeal": "appealed by its commenter"}[latest.action]
    return Refused("decided_since", f"Comment {comment.id} was {happened} since (now "
                   f"{describe(comment)}); your decision was not undone.")
