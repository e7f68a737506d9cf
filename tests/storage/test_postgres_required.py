"""The PostgreSQL store tests skip on a laptop without the server, but must fail under CI=true."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = "tests/storage/test_store.py::test_ping"


def _run_store_test(ci: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": ci,
           # Nothing listens on port 1: the server is "unreachable".
           "MODERATION_TEST_POSTGRES_URL": "postgresql+psycopg://postgres@127.0.0.1:1/test"}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-rs", TARGET], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("ci, outcome", [("true", "failed"), ("", "skipped")])
def test_unreachable_postgres_fails_only_under_ci(ci, outcome):
    result = _run_store_test(ci)
    summary = result.stdout.strip().splitlines()[-1]
    assert "1 passed" in summary  # the SQLite case runs either way
    if outcome == "failed":
        assert result.returncode != 0 and "error" in summary, result.stdout
        assert "CI=true: the PostgreSQL tests must run" in result.stdout
    else:
        assert result.returncode == 0 and "1 skipped" in summary, result.stdout
