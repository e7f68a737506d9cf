"""Group commit: comments that arrive together are scored and stored together, and each reader
still gets the answer about their own comment only."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from service.intake.batching import Batcher
from service.storage.store import ParentError

from comment_helpers import PUBLISH_ALL, all_comments, good_form


class Gate:
    """Work that holds its first group until released, so the next submissions pile up."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()
        self.groups: list[list] = []

    def work(self, items: list) -> list:
        self.groups.append(list(items))
        if len(self.groups) == 1:
            self.entered.set()
            assert self.release.wait(10)
        return [ValueError(item) if item == "bad" else item.upper() for item in items]


def _wait_until(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert condition()


def _submit_while_the_first_is_held(batcher: Batcher, gate: Gate, items: str) -> list:
    """Submit the first item, and the rest while its group is held in `gate.work`; release it
    once all the rest are queued. The results, in order."""
    with ThreadPoolExecutor(len(items)) as pool:
        first = pool.submit(batcher.submit, items[0])
        assert gate.entered.wait(10)
        rest = [pool.submit(batcher.submit, item) for item in items[1:]]
        _wait_until(lambda: len(batcher._pending) == len(rest))
        gate.release.set()
        return [future.result(10) for future in [first, *rest]]


def test_what_queues_while_a_group_is_worked_on_becomes_the_next_group():
    gate = Gate()
    batcher = Batcher(gate.work)
    assert _submit_while_the_first_is_held(batcher, gate, "abcdef") == list("ABCDEF")
    assert [sorted(group) for group in gate.groups] == [["a"], list("bcdef")]
    assert list(batcher.group_sizes) == [1, 5]


def test_a_failed_item_fails_only_its_own_submitter():
    gate = Gate()
    gate.release.set()
    batcher = Batcher(gate.work)
    with ThreadPoolExecutor(3) as pool:
        futures = {item: pool.submit(batcher.submit, item) for item in ("x", "bad", "y")}
        assert futures["x"].result(10) == "X" and futures["y"].result(10) == "Y"
        with pytest.raises(ValueError):
            futures["bad"].result(10)


def test_work_that_raises_fails_every_submitter_of_the_group_and_the_batcher_carries_on():
    calls = []

    def work(items):
        calls.append(items)
        if len(calls) == 1:
            raise RuntimeError("database gone")
        return items

    batcher = Batcher(work)
    with pytest.raises(RuntimeError, match="database gone"):
        batcher.submit("first")
    assert batcher.submit("second") == "second"


def test_a_lone_comment_is_worked_off_in_its_own_requests_thread():
    threads = []
    batcher = Batcher(lambda items: threads.append(threading.current_thread()) or items)
    assert batcher.submit("alone") == "alone"
    assert threads == [threading.current_thread()]


def test_a_long_queue_is_worked_off_in_groups_of_at_most_max_size():
    gate = Gate()
    batcher = Batcher(gate.work, max_size=3)
    assert _submit_while_the_first_is_held(batcher, gate, "abcdefg") == list("ABCDEFG")
    assert list(batcher.group_sizes) == [1, 3, 3]


def _post_concurrently(app, forms: list[dict]) -> list:
    barrier = threading.Barrier(len(forms))

    def post(form):
        client = app.test_client()
        barrier.wait()
        return client.post("/comments", data=form, headers={"Accept": "application/json"})

    with ThreadPoolExecutor(len(forms)) as pool:
        return list(pool.map(post, forms))


def test_concurrent_comments_are_all_stored_each_reader_gets_their_own(make_app):
    app = make_app(**PUBLISH_ALL, MODERATION_RATE_LIMIT="off")
    forms = [good_form(comment=f"Comment number {n} on the bridge works.", author=f"Reader {n}")
             for n in range(12)]
    responses = _post_concurrently(app, forms)
    assert [r.status_code for r in responses] == [201] * 12
    stored = {c.id: c.text for c in all_comments(app)}
    assert sorted(stored.values()) == sorted(form["comment"] for form in forms)
    for form, response in zip(forms, responses):
        assert stored[response.get_json()["id"]] == form["comment"]


def test_a_double_click_in_the_same_group_is_stored_once(make_app):
    app = make_app(**PUBLISH_ALL, MODERATION_RATE_LIMIT="off")
    responses = _post_concurrently(app, [good_form(), good_form(), good_form()])
    assert sorted(r.status_code for r in responses) == [201, 409, 409]
    assert len(all_comments(app)) == 1
    assert len({r.get_json()["id"] for r in responses}) == 1


def test_a_reply_to_a_missing_parent_does_not_cost_its_group_the_others(make_app, scorer):
    from service.intake.views import decide_and_store
    from service.storage.store import Candidate

    app = make_app(**PUBLISH_ALL, MODERATION_RATE_LIMIT="off")
    good = Candidate(post_id="demo", author="Ann", email="ann@example.org", email_hash="e",
                     text="A fine point about the bridge.", ip_hash="i")
    orphan = Candidate(post_id="demo", author="Bo", email="bo@example.org", email_hash="f",
                       text="Replying to nothing.", ip_hash="j", parent_id=9999)
    first, second = decide_and_store(app, [good, orphan])
    assert first.kind == "created" and first.comment.status == "published"
    assert isinstance(second, ParentError)
    stored = all_comments(app)
    assert [c.text for c in stored] == ["A fine point about the bridge."]
    assert stored[0].model_version == scorer.version
