"""Nothing accepted is lost when gunicorn dies: a few thousand comments posted concurrently to a
real gunicorn with 2 workers; a third of the way in one worker is SIGKILLed, two thirds in the
master and its workers are; gunicorn is started again on the same database and the client goes
on. Every comment that got a 201 or a 303 is in the database exactly once, with the status it
was answered with. Requests that failed while the server died (connection errors, 5xx) may or
may not be stored, but never twice."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest

from comment_helpers import good_form
from hardening_helpers import Gunicorn, stored_comments

COMMENTS = 2000
CLIENTS = 12
MARKER = re.compile(r"\[crash-(\d+)\]")
_LOCATION_ID = re.compile(r"(?:#comment-|unapproved=)(\d+)")


@dataclass
class Answer:
    phase: str  # "running", "one worker killed", "down", "restarted"
    status: int | None  # None: no HTTP answer at all (connection refused or cut)
    comment_id: int | None = None
    comment_status: str | None = None  # as the answer told it ("held" for form redirects)


def _fields(i: int) -> dict:
    # Unique text and author per comment, so the duplicate check never folds two together;
    # some look like spam, so the answers carry more than one status.
    text = (f"Comment number {i} on the bridge works [crash-{i}]" if i % 5 else
            f"BUY CHEAP PILLS NOW visit cheap-pills.example.com [crash-{i}]")
    return good_form(comment=text, author=f"Reader {i}", email=f"reader{i}@example.org")


def _post(port: int, i: int, phase: str) -> Answer:
    as_json = i % 2 == 0
    if as_json:
        path, body = "/api/comments", json.dumps(_fields(i)).encode()
        headers = {"Content-Type": "application/json"}
    else:
        path, body = "/comments", urlencode(_fields(i)).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        payload = response.read()
    except (OSError, http.client.HTTPException):
        return Answer(phase, None)
    finally:
        connection.close()
    if response.status == 201:
        data = json.loads(payload)
        return Answer(phase, 201, data["id"], data["status"])
    if response.status == 303:
        location = response.getheader("Location")
        held = "unapproved=" in location
        return Answer(phase, 303, int(_LOCATION_ID.search(location).group(1)),
                      "held" if held else "published")
    return Answer(phase, response.status)


class Client:
    """CLIENTS threads posting comments 0..COMMENTS-1 against whichever server is up."""

    def __init__(self) -> None:
        self.answers: dict[int, Answer] = {}
        self.phase = "running"
        self.port = 0
        self._next = iter(range(COMMENTS))
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run) for _ in range(CLIENTS)]

    def start(self, port: int) -> None:
        self.port = port
        for thread in self._threads:
            thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                i = next(self._next, None)
            if i is None:
                return
            answer = _post(self.port, i, self.phase)
            self.answers[i] = answer
            if answer.status is None:
                time.sleep(0.25)  # the server is down: do not burn through the comments

    def wait_for(self, count: int) -> None:
        while len(self.answers) < count and any(t.is_alive() for t in self._threads):
            time.sleep(0.05)

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=300)


def _crash_and_restart(env: dict, tmp_path) -> Client:
    env = {"MODERATION_RATE_LIMIT": "off", "MODERATION_MIN_SUBMIT_SECONDS": "0",
           "MODERATION_INSTANCE_PATH": str(tmp_path / "instance"), "GUNICORN_WORKERS": "2",
           "MODERATION_SECRET_KEY": "crash", "MODERATION_IP_HASH_KEY": "crash",
           "MODERATION_EMAIL_HASH_KEY": "crash", **env}
    log = tmp_path / "gunicorn.log"
    first = Gunicorn(env, log).start()
    client = Client()
    restarted = None
    try:
        client.start(first.port)
        client.wait_for(COMMENTS // 3)
        victim = first.workers()[0]
        os.kill(victim, signal.SIGKILL)
        client.phase = "one worker killed"
        client.wait_for(2 * COMMENTS // 3)
        first.kill()
        client.phase = "down"
        restarted = Gunicorn(env, log)
        restarted.port = first.port  # same address: the client carries on
        restarted.start()
        client.phase = "restarted"
        client.join()
    finally:
        first.stop()
        if restarted is not None:
            restarted.stop()
    return client


def _check(client: Client, url: str) -> None:
    rows = stored_comments(url)
    markers = Counter(int(MARKER.search(row.text).group(1)) for row in rows)
    assert [i for i, n in markers.items() if n > 1] == []  # nothing stored twice
    by_marker = {int(MARKER.search(row.text).group(1)): row for row in rows}
    accepted = {i: a for i, a in client.answers.items() if a.status in (201, 303)}
    missing = [i for i in accepted if i not in by_marker]
    assert missing == [], f"{len(missing)} accepted comments lost"
    for i, answer in accepted.items():
        row = by_marker[i]
        told = "held" if row.status in ("pending", "rejected") and answer.status == 303 \
            else row.status
        assert (row.id, told) == (answer.comment_id, answer.comment_status), i
    # The crash really happened mid-stream, and the service came back: answers in every phase.
    phases = Counter(a.phase for a in accepted.values())
    assert all(phases[p] > 0 for p in ("running", "one worker killed", "restarted")), phases
    assert len(client.answers) == COMMENTS
    statuses = Counter(a.comment_status for a in accepted.values())
    assert len(statuses) > 1, statuses


def test_sigkilled_gunicorn_on_sqlite_loses_no_accepted_comment(tmp_path, sqlite_url):
    client = _crash_and_restart({"MODERATION_DATABASE_URL": sqlite_url}, tmp_path)
    _check(client, sqlite_url)


@pytest.mark.postgres
def test_sigkilled_gunicorn_on_postgres_loses_no_accepted_comment(tmp_path, postgres_url):
    client = _crash_and_restart({"MODERATION_DATABASE_URL": postgres_url}, tmp_path)
    _check(client, postgres_url)


def _metrics_dirs() -> set[Path]:
    return set(Path("/dev/shm").glob("moderation-metrics-*"))


def _held_metrics_dir(server: Gunicorn) -> Path:
    """The metrics directory whose lock `server`'s master holds (other tests may run servers of
    their own at the same time)."""
    held = {Path(os.readlink(fd)).parent for fd in Path(f"/proc/{server.process.pid}/fd").iterdir()
            if "moderation-metrics-" in os.readlink(fd)}
    [directory] = held
    return directory


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="metrics go to /dev/shm on Linux")
def test_a_master_killed_with_sigkill_leaves_no_metrics_directory_after_the_next_start(
        tmp_path, sqlite_template, monkeypatch):
    # gunicorn removes its metrics directory on exit; SIGKILL skips that, and every crash used
    # to leave one behind in memory.
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    database = tmp_path / "moderation.sqlite3"
    database.write_bytes(sqlite_template.read_bytes())
    env = {"MODERATION_DATABASE_URL": f"sqlite:///{database}",
           "MODERATION_INSTANCE_PATH": str(tmp_path / "instance"), "GUNICORN_WORKERS": "1"}
    first = Gunicorn(env, tmp_path / "first.log").start()
    killed_dir = _held_metrics_dir(first)
    first.kill()
    assert killed_dir.exists()  # nothing could clean up after a SIGKILL
    second = Gunicorn(env, tmp_path / "second.log").start()
    try:
        assert not killed_dir.exists()
        live_dir = _held_metrics_dir(second)
        assert live_dir != killed_dir and live_dir in _metrics_dirs()
    finally:
        second.stop()
    assert not live_dir.exists()  # a clean stop removes its own, as before
