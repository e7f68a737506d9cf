"""Group commit: the comments that arrive together are scored and stored together.

Scoring eight comments in one call costs about a third per comment of scoring them one at a
time, and one transaction for several comments shares SQLite's commit (bench/README.md,
"Intake"). So request threads hand their work to their process's `Batcher` and wait; the
batcher's thread takes everything that queued up while it was busy with the previous group.
Under light load a group is a single comment and nobody waits for company; under load the
groups grow by themselves, with no timer to tune.

A request still gets its answer only after its group is committed: an accepted comment is a
stored comment.
"""

from __future__ import annotations

import os
import queue
import threading
from typing import Callable, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class _Job(Generic[Item, Result]):
    __slots__ = ("item", "result", "error", "done")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.result: Result | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()


class Batcher(Generic[Item, Result]):
    """Runs `work(items)` on groups of submitted items, in one background thread per process.

    `work` returns one result per item, in order; an exception in that list is raised to that
    item's submitter only, an exception raised by `work` itself to every submitter of the
    group. The thread stops after `idle_seconds` without work and starts again on demand, so
    an idle app (or a finished test's) keeps no thread."""

    def __init__(self, work: Callable[[list[Item]], list[Result | BaseException]], *,
                 max_size: int = 32, idle_seconds: float = 5.0,
                 name: str = "batcher") -> None:
        self._work = work
        self.max_size, self.idle_seconds, self.name = max_size, idle_seconds, name
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running_in: int | None = None  # pid whose thread is serving the queue
        self.group_sizes: list[int] = []  # the last groups' sizes, for tests and benchmarks

    def submit(self, item: Item) -> Result:
        """Queue `item`, wait until its group is done, and return its result (or raise)."""
        job: _Job = _Job(item)
        self._queue.put(job)
        with self._lock:
            # A forked child (a gunicorn worker) inherits the attribute but not the thread.
            if self._running_in != os.getpid():
                self._running_in = os.getpid()
                threading.Thread(target=self._serve, name=self.name, daemon=True).start()
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def _serve(self) -> None:
        while True:
            try:
                jobs = [self._queue.get(timeout=self.idle_seconds)]
            except queue.Empty:
                with self._lock:
                    # Checked under the lock submit() takes after queueing, so a job that
                    # arrives now either is seen here or starts a new thread.
                    if self._queue.empty():
                        self._running_in = None
                        return
                continue
            while len(jobs) < self.max_size:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._run(jobs)

    def _run(self, jobs: list[_Job]) -> None:
        try:
            results = self._work([job.item for job in jobs])
            if len(results) != len(jobs):
                raise RuntimeError(f"{self.name}: {len(results)} results for {len(jobs)} items")
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting requests
            results = [exc] * len(jobs)
        self.group_sizes = (self.group_sizes + [len(jobs)])[-1000:]
        for job, result in zip(jobs, results):
            if isinstance(result, BaseException):
                job.error = result
            else:
                job.result = result
            job.done.set()
