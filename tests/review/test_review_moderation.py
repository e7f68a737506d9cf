"""The queue's verbs, called directly on both stores: listing, leases, decisions, conflicts,
undo, bulk and the audit log (the retraining contract included)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event

from review_helpers import T0, add_comment, reload
from service.review.queue import QueueQuery, Refused, state_token, suggested_reason
from service.storage.tables import Comment

NOW = T0 + timedelta(hours=1)


def ids(page):
    return [c.id for c in page.comments]


def test_pending_queue_is_riskiest_first_by_default_and_oldest_first_on_request(
        review_app, moderation):
    calm = add_comment(review_app, "Calm remark", minutes=1, spam=0.1, abuse=0.2)
    spammy = add_comment(review_app, "casino casino", minutes=2, spam=0.9, abuse=0.1)
    rude = add_comment(review_app, "idiot", minutes=3, spam=0.1, abuse=0.95)
    unscored = add_comment(review_app, "classifier was down", minutes=4, scored=False)
    assert reload(review_app, unscored.id).risk == 1.0
    assert ids(moderation.queue(QueueQuery())) == [unscored.id, rude.id, spammy.id, calm.id]
    assert ids(moderation.queue(QueueQuery(order="oldest"))) == \
        [calm.id, spammy.id, rude.id, unscored.id]


@pytest.mark.parametrize("order", ["risk", "oldest"])
def test_keyset_pages_cover_the_queue_once_in_order(review_app, moderation, order):
    # Ties on risk and on time, so the keyset has to fall through to the id.
    for n in range(23):
        add_comment(review_app, f"comment {n}", minutes=n // 3, spam=(n % 4) / 4, abuse=0.0)
    everything = ids(moderation.queue(QueueQuery(order=order), limit=100))
    seen, after = [], None
    while True:
        page = moderation.queue(QueueQuery(order=order), after=after, limit=5)
        seen += ids(page)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == everything and len(seen) == 23


def _plan(engine, statement: str, parameters) -> str:
    """The plan the database picks for a statement the queue ran. PostgreSQL is told to avoid
    sequential scans and sorts wherever it can, so a small test table shows what it would do
    with a big one; when no index provides the order it still has to sort."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(row[-1] for row in rows)
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("SET LOCAL enable_sort = off")
        return "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}",
                                                                        parameters))


@pytest.mark.parametrize("moderator", [None, "ann"], ids=["read", "leased"])
def test_riskiest_first_pages_seek_in_the_risk_index_without_sorting(
        review_app, moderation, moderator):
    for n in range(30):
        add_comment(review_app, f"comment {n}", minutes=n, spam=(n % 7) / 7, abuse=0.1)
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "ORDER BY comments.risk DESC" in statement:
            seen.append((statement, parameters))

    event.listen(moderation.engine, "before_cursor_execute", record)
    try:
        first = moderation.queue(QueueQuery(), moderator=moderator, limit=5, now=NOW)
        moderation.queue(QueueQuery(), moderator=moderator, after=first.next_cursor, limit=5,
                         now=NOW)
    finally:
        event.remove(moderation.engine, "before_cursor_execute", record)
    # Each page reads the held comments, the open spot checks and the reported comments still
    # published, each from an index of its own (the spot checks' and the reported comments' hold
    # only them, not every published comment).
    assert len(seen) == 6
    for statement, parameters in seen:
        where = statement.split("WHERE")[1]
        index = "ix_comments_reported_risk" if "returned_for" in where \
            else "ix_comments_spot_check_open_risk" if "spot_check" in where \
            else "ix_comments_status_risk"
        plan = _plan(moderation.engine, statement, parameters)
        assert index in plan, plan
        assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


def test_filters_by_status_article_label_and_search(review_app, moderation):
    spam = add_comment(review_app, "casino bonus", reasons=["spam_score>=0.5"], post_id="a1")
    rude = add_comment(review_app, "you idiot", reasons=["abuse_score>=0.5"], post_id="a2")
    rule = add_comment(review_app, "see lawsuit", reasons=["watched_term:lawsuit"], post_id="a1")
    auto = add_comment(review_app, "casino casino casino", status="rejected",
                       reasons=["spam_score>=0.97"])
    human = add_comment(review_app, "no thanks", status="rejected", decided_by="bob")
    published = add_comment(review_app, "Lovely", status="published")

    def found(**query):
        return set(ids(moderation.queue(QueueQuery(**query), limit=50)))

    assert found() == {spam.id, rude.id, rule.id}
    assert found(status="auto-rejected") == {auto.id}
    assert found(status="rejected") == {human.id}
    assert found(status="approved") == {published.id}
    assert found(post_id="a1") == {spam.id, rule.id}
    assert found(label="spam") == {spam.id}
    assert found(label="abuse") == {rude.id}
    assert found(label="rule") == {rule.id}
    assert found(search="IDIOT") == {rude.id}
    assert found(search="100%_") == set()  # LIKE wildcards are searched literally
    assert moderation.counts() == {"pending": 3, "auto-rejected": 1, "approved": 1,
                                   "rejected": 1}
    assert moderation.counts("a1") == {"pending": 2, "auto-rejected": 0, "approved": 0,
                                       "rejected": 0}


def test_two_moderators_opening_the_queue_are_leased_different_comments(review_app, moderation):
    made = [add_comment(review_app, f"c{n}", minutes=n) for n in range(6)]
    first = ids(moderation.queue(QueueQuery(), moderator="ann", limit=3, now=NOW))
    second = ids(moderation.queue(QueueQuery(), moderator="bob", limit=3, now=NOW))
    assert not set(first) & set(second)
    assert set(first) | set(second) == {c.id for c in made}
    # Ann sees her own leased comments again; after the lease runs out Bob may take them.
    assert ids(moderation.queue(QueueQuery(), moderator="ann", limit=3, now=NOW)) == first
    later = NOW + timedelta(seconds=301)
    assert set(first) <= set(ids(moderation.queue(QueueQuery(), moderator="bob", limit=6,
                                                  now=later)))


def test_approve_and_reject_write_the_retraining_contract_and_an_audit_row(review_app,
                                                                          moderation):
    good = add_comment(review_app, "Useful context")
    bad = add_comment(review_app, "casino bonus pills")
    moderation.decide(good.id, "ann", "approve", seen=state_token(good), now=NOW)
    moderation.decide(bad.id, "ann", "reject", "spam", seen=state_token(bad), now=NOW)
    good, bad = reload(review_app, good.id), reload(review_app, bad.id)
    assert (good.status, good.decided_by, good.decided_at, good.decision_reason) == \
        ("published", "ann", NOW, None)
    assert (bad.status, bad.decided_by, bad.decided_at, bad.decision_reason) == \
        ("rejected", "ann", NOW, "spam")
    [entry] = moderation.history(bad.id)
    assert (entry.moderator, entry.at, entry.old_status, entry.new_status, entry.reason,
            entry.model_version, entry.spam_score, entry.abuse_score) == \
        ("ann", NOW, "pending", "rejected", "spam", "fake-1", bad.spam_score, bad.abuse_score)


def test_reject_needs_a_known_reason(review_app, moderation):
    comment = add_comment(review_app)
    for reason in (None, "boring"):
        with pytest.raises(Refused) as refused:
            moderation.decide(comment.id, "ann", "reject", reason, seen=state_token(comment))
        assert refused.value.code == "bad_reason"
    assert reload(review_app, comment.id).status == "pending"


@pytest.mark.parametrize("reasons, decided, expected", [
    (["abuse_score>=0.5"], None, "abuse"),                     # held for abuse
    (["spam_score>=0.5"], None, "spam"),                       # held for spam
    (["spam_score>=0.97"], None, "spam"),                      # auto-rejected as spam
    (["trusted:approved>=3", "abuse_score>=0.65"], None, "abuse"),
    (["abuse_score>=0.5", "watched_term:council"], None, "abuse"),
    (["spam_score>=0.5", "abuse_score>=0.5"], None, None),     # both: nothing says which
    (["watched_term:council"], None, None),                    # a rule, not a label
    (["blocked_term:slur"], None, None),
    (["links>2"], None, None),
    (["scorer_unavailable"], None, None),
    ([], None, None),                                          # published by the policy
    (["watched_term:spam_score"], None, None),                 # a term is not a score
    (["spam_score>=0.5"], "off-topic", "off-topic"),           # a decided reason stands
])
def test_the_reject_reason_starts_from_what_held_the_comment(reasons, decided, expected):
    comment = Comment(reasons=reasons, decision_reason=decided)
    assert suggested_reason(comment) == expected


def test_a_decision_on_a_comment_someone_else_decided_is_refused_not_overwritten(
        review_app, moderation):
    comment = add_comment(review_app)
    seen = state_token(comment)  # both moderators loaded the page showing it pending
    moderation.decide(comment.id, "ann", "approve", seen=seen, now=NOW)
    with pytest.raises(Refused) as refused:
        moderation.decide(comment.id, "bob", "reject", "abuse", seen=seen, now=NOW)
    assert refused.value.code == "already_decided"
    assert "approved by ann" in refused.value.message
    stored = reload(review_app, comment.id)
    assert (stored.status, stored.decided_by) == ("published", "ann")
    assert len(moderation.history(comment.id)) == 1


def test_a_comment_leased_to_another_moderator_cannot_be_decided(review_app, moderation):
    comment = add_comment(review_app)
    assert moderation.claim(comment.id, "ann", now=NOW)
    assert not moderation.claim(comment.id, "bob", now=NOW)
    with pytest.raises(Refused) as refused:
        moderation.decide(comment.id, "bob", "approve", seen=state_token(comment), now=NOW)
    assert refused.value.code == "leased" and "ann is reviewing" in refused.value.message
    # Once the lease has run out, Bob may decide.
    moderation.decide(comment.id, "bob", "approve", seen=state_token(comment),
                      now=NOW + timedelta(minutes=6))


def test_concurrent_decisions_one_wins_the_other_is_told(review_app, moderation):
    comment = add_comment(review_app)
    seen = state_token(comment)
    barrier = threading.Barrier(2)
    outcomes = {}

    def decide(name, action, reason):
        barrier.wait()
        try:
            moderation.decide(comment.id, name, action, reason, seen=seen)
            outcomes[name] = "saved"
        except Refused as refused:
            outcomes[name] = refused.code

    threads = [threading.Thread(target=decide, args=("ann", "approve", None)),
               threading.Thread(target=decide, args=("bob", "reject", "spam"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["already_decided", "saved"], outcomes
    winner = next(name for name, outcome in outcomes.items() if outcome == "saved")
    assert reload(review_app, comment.id).decided_by == winner
    assert [e.moderator for e in moderation.history(comment.id)] == [winner]


def test_undo_restores_the_state_before_and_leaves_no_label(review_app, moderation):
    comment = add_comment(review_app)
    moderation.decide(comment.id, "ann", "reject", "abuse", seen=state_token(comment), now=NOW)
    result = moderation.undo_last("ann", now=NOW + timedelta(seconds=5))
    assert [c.id for c in result.decided] == [comment.id] and not result.refused
    stored = reload(review_app, comment.id)
    assert (stored.status, stored.decided_by, stored.decided_at, stored.decision_reason) == \
        ("pending", None, None, None)
    assert stored.lease_owner == "ann"  # back in her hands
    decide, undo = moderation.history(comment.id)
    assert (undo.action, undo.undoes, undo.old_status, undo.new_status) == \
        ("undo", decide.id, "rejected", "pending")
    with pytest.raises(Refused) as refused:
        moderation.undo_last("ann")
    assert refused.value.code == "nothing_to_undo"


def test_undo_of_a_reversal_restores_the_earlier_decision(review_app, moderation):
    comment = add_comment(review_app, status="rejected")  # auto-rejected by the policy
    moderation.decide(comment.id, "bob", "approve", seen=state_token(comment), now=NOW)
    first = reload(review_app, comment.id)
    later = NOW + timedelta(minutes=1)
    moderation.decide(comment.id, "ann", "reject", "other", seen=state_token(first), now=later)
    moderation.undo_last("ann", now=later + timedelta(minutes=1))
    stored = reload(review_app, comment.id)
    assert (stored.status, stored.decided_by, stored.decided_at, stored.decision_reason) == \
        ("published", "bob", NOW, None)
    moderation.undo_last("bob")
    stored = reload(review_app, comment.id)
    assert (stored.status, stored.decided_by) == ("rejected", None)  # auto-rejected again


def test_undo_is_refused_when_someone_decided_since(review_app, moderation):
    comment = add_comment(review_app)
    moderation.decide(comment.id, "ann", "approve", seen=state_token(comment), now=NOW)
    moderation.decide(comment.id, "bob", "reject", "spam",
                      seen=state_token(reload(review_app, comment.id)), now=NOW)
    result = moderation.undo_last("ann")
    assert not result.decided and result.refused[comment.id].code == "decided_since"
    assert reload(review_app, comment.id).decided_by == "bob"


def test_bulk_decides_the_free_ones_reports_the_rest_and_undoes_as_one(review_app, moderation):
    mine = [add_comment(review_app, f"spam {n}") for n in range(3)]
    taken = add_comment(review_app, "bob has it")
    moderation.claim(taken.id, "bob", now=NOW)
    every = mine + [taken]
    result = moderation.decide_many([c.id for c in every], "ann", "reject", "spam",
                                    {c.id: state_token(c) for c in every}, now=NOW)
    assert sorted(c.id for c in result.decided) == [c.id for c in mine]
    assert result.refused[taken.id].code == "leased"
    assert {reload(review_app, c.id).status for c in mine} == {"rejected"}
    undone = moderation.undo_last("ann", now=NOW)
    assert sorted(c.id for c in undone.decided) == [c.id for c in mine]
    assert {reload(review_app, c.id).status for c in mine} == {"pending"}


def test_audit_log_filters_by_moderator_and_article_newest_first(review_app, moderation):
    a = add_comment(review_app, post_id="bridge")
    b = add_comment(review_app, post_id="budget")
    moderation.decide(a.id, "ann", "approve", seen=state_token(a), now=NOW)
    moderation.decide(b.id, "bob", "reject", "off-topic", seen=state_token(b), now=NOW)
    rows, more = moderation.audit()
    assert [(e.moderator, c.id) for e, c in rows] == [("bob", b.id), ("ann", a.id)]
    assert more is None
    assert [e.moderator for e, _ in moderation.audit(moderator="ann")[0]] == ["ann"]
    assert [c.post_id for _, c in moderation.audit(post_id="budget")[0]] == ["budget"]
    first, more = moderation.audit(limit=1)
    assert more is not None
    assert [e.moderator for e, _ in moderation.audit(before=more, limit=1)[0]] == ["ann"]


def test_commenter_history_counts_by_email_hash(review_app, moderation):
    add_comment(review_app, "one", status="published", email_hash="regular")
    add_comment(review_app, "two", status="published", email_hash="regular")
    add_comment(review_app, "three", status="rejected", email_hash="regular")
    add_comment(review_app, "other person", status="rejected", email_hash="someone")
    assert moderation.histories(["regular"])["regular"] == {"published": 2, "rejected": 1}
