"""Helpers shared by the hardening tests: the stored rows, a free port, a real gunicorn. The
comment to post (`good_form`, `PUBLISH_ALL`) is the service tests' own, from
tests/service/comment_helpers.py."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from serving import free_port
from service.storage.tables import Comment

ROOT = Path(__file__).resolve().parents[2]


def stored_comments(url: str) -> list[Comment]:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(Comment).order_by(Comment.id)))
    finally:
        engine.dispose()



class Gunicorn:
    """A real gunicorn (service/gunicorn_conf.py) serving the app on a free port, with its log in
    `log_path`; `workers()` lists its worker processes."""

    def __init__(self, env: dict[str, str], log_path: Path, *args: str) -> None:
        self.port = free_port()
        self.env = {**os.environ, "GUNICORN_ACCESSLOG": "", **env}
        self.log_path = log_path
        self.args = args
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> "Gunicorn":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "--config",
                 "service/gunicorn_conf.py", "--bind", f"127.0.0.1:{self.port}",
                 # Several test servers may run at once: none claims the shared control socket.
                 "--no-control-socket", *self.args,
                 "service:create_app()"], cwd=ROOT, env=self.env, stdout=log, stderr=log)
        expected = int(self.env.get("GUNICORN_WORKERS", "2"))
        deadline = time.monotonic() + timeout
        while not (self._ready() and len(self.workers()) == expected):
            assert self.process.poll() is None, self.log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not become ready"
            time.sleep(0.2)
        return self

    def _ready(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request("GET", "/readyz")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def workers(self) -> list[int]:
        """The pids of the master's children (its workers), from /proc."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended meanwhile
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def kill(self) -> None:
        """SIGKILL the master, then its workers: the whole server dies at once, no cleanup."""
        workers = self.workers()
        os.kill(self.process.pid, signal.SIGKILL)
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
