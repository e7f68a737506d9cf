"""Hot swap under load, the way it runs in production: gunicorn with 2 workers, each following
the artifact directory's pointer on its own, while threads post comments through the site's
form; a new version is promoted midway with `model.artifact.set_current`, as `model.promote`
does. Nothing may fail, and the stored comments tell which version scored them."""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from model.artifact import set_current
from model_versions import two_versions
from serving import free_port
from service.storage.db import make_engine, upgrade

ROOT = Path(__file__).resolve().parents[2]
THREADS = 4
BEFORE_SWITCH = 100  # requests answered before the promotion
SETTLED = 40  # the newest comments that must all carry the new version

OPENINGS = ("Thanks for covering the council vote.", "The bridge closure is a real pain for us.",
            "Good piece, but the figures in paragraph three look off.",
            "My kids' school is on that road, so this matters.",
            "Check out my channel for free gift cards!!! http://spam.example",
            "Does anyone know when the consultation closes?",
            "This reporter clearly didn't read the report.")


@dataclass
class Answer:
    started: float
    ended: float
    status: int | None
    comment_id: int | None
    problem: str | None = None



def _post_comment(port: int, n: int) -> Answer:
    """One form post as the site's comment form sends it; the 303's Location names the id."""
    rng = random.Random(n)
    body = urllib.parse.urlencode({
        "comment": f"{rng.choice(OPENINGS)} (reader {n})", "author": f"Reader {n % 17}",
        "email": f"reader{n % 17}@example.org", "url": "", "comment_post_ID": str(100 + n % 5),
        "comment_parent": "0"})
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/comments", body,
                           {"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        response.read()
        found = re.search(r"(?:comment-|unapproved=)(\d+)", response.getheader("Location") or "")
        return Answer(started, time.monotonic(), response.status,
                      int(found.group(1)) if found else None)
    except (OSError, http.client.HTTPException) as exc:
        return Answer(started, time.monotonic(), None, None, repr(exc))
    finally:
        connection.close()


class Load:
    """THREADS clients posting back to back until stopped."""

    def __init__(self, port: int) -> None:
        self.port, self.answers, self.stop = port, [], threading.Event()
        self._lock, self._counter = threading.Lock(), 0
        self.threads = [threading.Thread(target=self._run) for _ in range(THREADS)]

    def _run(self) -> None:
        while not self.stop.is_set():
            with self._lock:
                self._counter += 1
                n = self._counter
            answer = _post_comment(self.port, n)
            with self._lock:
                self.answers.append(answer)

    def answered(self) -> int:
        with self._lock:
            return len(self.answers)

    def __enter__(self) -> "Load":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)


def _wait_until(condition, what: str, server, seconds: float = 45) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert server.poll() is None, f"gunicorn exited while waiting for {what}"
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def _readyz(port: int) -> dict | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/readyz")
        response = connection.getresponse()
        return json.loads(response.read()) if response.status == 200 else None
    except OSError:
        return None
    finally:
        connection.close()


def _workers_report(port: int) -> dict[int, str]:
    """Model version per worker pid, from concurrent /readyz calls (so both workers answer)."""
    seen: dict[int, str] = {}
    with ThreadPoolExecutor(THREADS) as pool:
        for body in pool.map(lambda _: _readyz(port), range(4 * THREADS)):
            if body:
                seen[body["worker"]] = body["model_version"]
    return seen


@contextmanager
def gunicorn(tmp_path: Path, artifacts: Path) -> Iterator[tuple[subprocess.Popen, int, Path]]:
    """gunicorn with 2 workers on a fresh SQLite store, following `artifacts` every 0.2 s;
    yields (process, port, database). Its stderr is checked for tracebacks at the end."""
    database = tmp_path / "moderation.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    engine.dispose()
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    log_file = log_path.open("w")
    env = {**os.environ, "MODERATION_INSTANCE_PATH": str(tmp_path / "instance"),
           "MODERATION_DATABASE_URL": f"sqlite:///{database}",
           "MODERATION_MODEL_PATH": str(artifacts), "MODERATION_MODEL_CHECK_SECONDS": "0.2",
           "MODERATION_RATE_LIMIT": "off", "MODERATION_MIN_SUBMIT_SECONDS": "0",
           "GUNICORN_WORKERS": "2", "GUNICORN_ACCESSLOG": "", "GUNICORN_LOGLEVEL": "warning"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--config", "service/gunicorn_conf.py",
         "--bind", f"127.0.0.1:{port}", "service:create_app()"],
        # A file, not a pipe: the request log writes a line per request, and a pipe read only at
        # the end would fill up and block the workers.
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log_file)
    try:
        _wait_until(lambda: _readyz(port) is not None, "gunicorn to be ready", server)
        yield server, port, database
    finally:
        server.terminate()
        server.wait(timeout=30)
        log_file.close()
        log = log_path.read_text()
    assert "Traceback" not in log, log


def test_promoting_under_load_fails_no_request_and_switches_every_worker(tmp_path):
    artifacts = tmp_path / "artifacts"
    old, new = two_versions(artifacts)
    workers: dict[int, str] = {}

    def both_switched() -> bool:
        # A worker answers with the old version while another of its threads is still loading
        # the new one (the check does not wait for a load in progress): ask again until both say
        # the new one, or the wait gives up.
        workers.update(_workers_report(port))
        return len(workers) == 2 and set(workers.values()) == {new}

    with gunicorn(tmp_path, artifacts) as (server, port, database), \
            closing(sqlite3.connect(database)) as db:

        def settled() -> bool:
            newest = db.execute("SELECT model_version FROM comments ORDER BY id DESC LIMIT ?",
                                (SETTLED,)).fetchall()
            return len(newest) == SETTLED and {v for (v,) in newest} == {new}

        with Load(port) as load:
            _wait_until(lambda: load.answered() >= BEFORE_SWITCH, "the first answers", server)
            switched_at = time.monotonic()
            set_current(artifacts, new)  # what `model.promote` does
            _wait_until(settled, "the newest comments to carry the new version", server)
            _wait_until(both_switched, "both workers to answer /readyz with the new version",
                        server)
        versions = dict(db.execute("SELECT id, model_version FROM comments").fetchall())

    failed = [a for a in load.answers if a.status != 303 or a.comment_id is None]
    assert failed == []
    assert len(versions) == len(load.answers)  # every answered comment was stored, once
    before = [versions[a.comment_id] for a in load.answers if a.ended < switched_at]
    assert len(before) >= BEFORE_SWITCH and set(before) == {old}
    assert set(versions.values()) == {old, new}
    assert set(workers.values()) == {new}  # each worker followed the pointer on its own
