"""Group commit: the comments that arrive together are scored and stored together.

Scoring eight comments in one call costs about a third per comment of scoring them one at a
time, and one transaction for several comments shares SQLite's commit (bench/README.md,
"Service: comment intake under load"). So a request does not score and store its own comment: it queues it, and one of the
waiting requests, the leader, works off everything queued in one go while the others wait for
their answers. When the leader is done and more has queued up meanwhile, it hands the lead to
the oldest waiting request and returns its own answer.

Under light load a group is a single comment, worked off by its own request's thread, with no
hand-over and no timer; under load the groups grow by themselves. A request still gets its
answer only after its group is committed: an accepted comment is a stored comment.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Callable, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class _Job(Generic[Item, Result]):
    __slots__ = ("item", "result", "error", "finished", "promoted", "wake")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.result: Result | None = None
        self.error: BaseException | None = None
        self.finished = False  # result or error is set
        self.promoted = False  # asked to lead the next group
        self.wake = threading.Event()

    def answer(self) -> Result:
        if self.error is not None:
            raise self.error
        return self.result


class Batcher(Generic[Item, Result]):
    """Runs `work(items)` on groups of submitted items, one group at a time per batcher.

    `work` returns one result per item, in order; an exception in that list is raised to that
    item's submitter only, an exception raised by `work` itself to every submitter of the
    group. There is no thread of its own: the submitting threads take turns to lead."""

    def __init__(self, work: Callable[[list[Item]], list[Result | BaseException]], *,
                 max_size: int = 32) -> None:
        self._work = work
        self.max_size = max_size
        self._lock = threading.Lock()
        self._pending: list[_Job] = []
        self._leading = False  # a thread is working off groups
        self.group_sizes: deque[int] = deque(maxlen=1000)  # the last groups' sizes

    def submit(self, item: Item) -> Result:
        """Queue `item`, wait until its group is done, and return its result (or raise)."""
        job: _Job = _Job(item)
        with self._lock:
            self._pending.append(job)
            lead = not self._leading
            self._leading = True
        if not lead:
            job.wake.wait()  # set when our group is done, or when the lead is handed to us
            if job.finished:
                return job.answer()
        # Leading: work off groups until our own comment is done (it is queued, perhaps behind
        # a full group), then pass the lead on to whoever waits, or put it down.
        while not job.finished:
            with self._lock:
                group = self._pending[:self.max_size]
                del self._pending[:self.max_size]
            self._run(group)
        with self._lock:
            if self._pending:
                successor = self._pending[0]
                successor.promoted = True
                successor.wake.set()
            else:
                self._leading = False
        return job.answer()

    def _run(self, jobs: list[_Job]) -> None:
        try:
            results = self._work([job.item for job in jobs])
            if len(results) != len(jobs):
                raise RuntimeError(f"{len(results)} results for {len(jobs)} items")
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting requests
            results = [exc] * len(jobs)
        self.group_sizes.append(len(jobs))
        for job, result in zip(jobs, results):
            if isinstance(result, BaseException):
                job.error = result
            else:
                job.result = result
            job.finished = True
            job.wake.set()
