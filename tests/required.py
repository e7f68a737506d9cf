"""Servers and tools the tests need from the machine (PostgreSQL, Redis, MariaDB and PHP for
WordPress). On a laptop without one, its tests skip; under CI=true, where `make test` installs or
expects every one of them, they fail instead, so a green CI never hides tests that did not run."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(what: str, message: str) -> NoReturn:
    """Skip the test for want of `what` (e.g. "PostgreSQL"), or fail it under CI=true."""
    if IN_CI:
        pytest.fail(f"{message} (CI=true: the {what} tests must run)")
    pytest.skip(message)
