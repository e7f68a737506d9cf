"""Why a reader's request was not taken, as a value the views can show: the message in the
site's own words, a machine code, the field at fault, and the HTTP answer (status, and
Retry-After for a limit)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# NUL (PostgreSQL text cannot hold one) and lone surrogates (JSON escapes can spell them; they
# are no characters, and no database takes them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    field: str | None = None
    status: int = 400
    retry_after: int | None = None

    def as_json(self) -> dict:
        return {"field": self.field, "code": self.code, "message": self.message}


class Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem
