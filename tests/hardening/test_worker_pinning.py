"""GUNICORN_PIN_WORKERS: each worker of a real gunicorn bound to a core of its own, and a worker
that dies replaced on the core it left; without the setting the workers may run anywhere."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hardening_helpers import ROOT, Gunicorn
from serving import gunicorn_conf


def test_new_workers_take_the_least_used_core():
    least_used_cpu = gunicorn_conf().least_used_cpu
    assert least_used_cpu([0, 1], []) == 0
    assert least_used_cpu([0, 1], [0]) == 1
    assert least_used_cpu([0, 1], [1]) == 0            # the replacement of the worker on core 0
    assert least_used_cpu([2, 5, 7], [2, 5]) == 7      # only the cores this server may use
    assert least_used_cpu([0, 1], [0, 1, None]) == 0   # more workers than cores: spread evenly
    assert least_used_cpu([0, 1], [0, 1, 0]) == 1


def _cores(pid: int) -> set[int]:
    return os.sched_getaffinity(pid)


def _server(tmp_path: Path, **env: str) -> Gunicorn:
    environment = {"MODERATION_INSTANCE_PATH": str(tmp_path / "instance"),
                   "GUNICORN_WORKERS": "2", **env}
    subprocess.run([sys.executable, "-m", "flask", "--app", "service", "init-db"], cwd=ROOT,
                   env={**os.environ, **environment}, check=True, capture_output=True)
    return Gunicorn(environment, tmp_path / "gunicorn.log").start()


def _pinned_core(pid: int) -> set[int]:
    """The one core `pid` is bound to, once it has bound itself (right after its fork)."""
    deadline = time.monotonic() + 30
    while len(cores := _cores(pid)) != 1:
        assert time.monotonic() < deadline, f"worker {pid} runs on {cores}, not on one core"
        time.sleep(0.05)
    return cores


def test_pinned_workers_each_keep_a_core_of_their_own(tmp_path):
    allowed = sorted(os.sched_getaffinity(0))
    server = _server(tmp_path, GUNICORN_PIN_WORKERS="1")
    try:
        first, second = server.workers()
        # Two different cores, or the one there is.
        assert sorted([*_pinned_core(first), *_pinned_core(second)]) == \
            sorted([allowed[0], allowed[1 % len(allowed)]])
        freed = _cores(first)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while not set(server.workers()) - {first, second}:
            assert time.monotonic() < deadline, "the dead worker was not replaced"
            time.sleep(0.1)
        replacement, = set(server.workers()) - {first, second}
        assert _pinned_core(replacement) == freed
    finally:
        server.stop()


def test_without_the_setting_workers_may_use_every_core(tmp_path):
    server = _server(tmp_path)
    try:
        assert [_cores(pid) for pid in server.workers()] == [os.sched_getaffinity(0)] * 2
    finally:
        server.stop()
