"""Every setting of the service: its environment variable, default, parser and one line of doc.

This is the only module that reads the environment. `create_app` calls `from_env()` and lays
`test_config` over it; everything else reads `app.config[...]` under the same names. The README's
configuration table is generated from `SETTINGS` (`markdown_table()`), and a test checks the
two agree.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping


def parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true/false, got {raw!r}")


def parse_terms(raw: str) -> tuple[str, ...]:
    """Comma-separated words or phrases; blanks dropped, case kept (matching folds case)."""
    return tuple(term.strip() for term in raw.split(",") if term.strip())


def parse_origins(raw: str) -> tuple[str, ...]:
    return tuple(origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip())


_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class RateLimit:
    """At most `count` comments per `seconds` from one commenter."""

    count: int
    seconds: int


def parse_rate(raw: str) -> RateLimit | None:
    """`5/minute`, `20/10minutes`, `100/day`; `off` (or empty) disables flood control."""
    if raw.strip().lower() in {"off", "none", "0", ""}:
        return None
    match = _RATE.match(raw)
    if not match:
        raise ValueError(f"expected COUNT/PERIOD such as 5/minute, or off; got {raw!r}")
    count, multiple, period = match.groups()
    seconds = int(multiple or 1) * _PERIODS[period.lower()]
    if int(count) < 1:
        raise ValueError("a rate limit needs a count of at least 1; use off to disable")
    return RateLimit(int(count), seconds)


def parse_optional_float(raw: str) -> float | None:
    if not raw.strip():
        return None
    value = float(raw)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"expected a probability in [0, 1], got {raw!r}")
    return value


def parse_optional_str(raw: str) -> str | None:
    return raw.strip() or None


@dataclass(frozen=True)
class Setting:
    name: str  # both the environment variable and the app.config key
    default: str  # as it would be written in the environment
    parse: Callable[[str], Any]
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting("MODERATION_INSTANCE_PATH", "", parse_optional_str,
            "Directory for the SQLite file and generated keys; empty means `instance/` in the "
            "checkout. Put it on a persistent volume in containers."),
    Setting("MODERATION_DATABASE_URL", "", parse_optional_str,
            "SQLAlchemy URL of the store; empty means SQLite at `instance/moderation.sqlite3`. "
            "PostgreSQL: `postgresql+psycopg://user@host/db`."),
    Setting("MODERATION_SECRET_KEY", "", parse_optional_str,
            "Signs the demo form's timestamp and sessions. Empty: generated once into "
            "`instance/secret_key` so every worker agrees."),
    Setting("MODERATION_IP_HASH_KEY", "", parse_optional_str,
            "HMAC key for client IP hashes (raw IPs are never stored). Empty: generated into "
            "`instance/ip_hash_key`."),
    Setting("MODERATION_EMAIL_HASH_KEY", "", parse_optional_str,
            "HMAC key for e-mail hashes (trust and flood matching). Empty: generated into "
            "`instance/email_hash_key`. Keep it stable: changing it forgets every commenter."),
    Setting("MODERATION_MODEL_PATH", "", parse_optional_str,
            "Classifier artifact to load; empty means the shipped one named by "
            "`model/artifacts/CURRENT`."),
    Setting("MODERATION_SPAM_HOLD", "", parse_optional_float,
            "Spam probability at or above which a comment is held; empty: the model card's value."),
    Setting("MODERATION_SPAM_REJECT", "", parse_optional_float,
            "Spam probability at or above which a comment is rejected (kept, reversible); "
            "empty: the model card's value."),
    Setting("MODERATION_ABUSE_HOLD", "", parse_optional_float,
            "Abuse probability at or above which a comment is held; empty: the model card's "
            "value."),
    Setting("MODERATION_ABUSE_REJECT", "", parse_optional_float,
            "Abuse probability at or above which a comment is rejected; empty: the model card's "
            "value."),
    Setting("MODERATION_MAX_LINKS", "2", int,
            "A comment with more links than this is held."),
    Setting("MODERATION_BLOCKED_TERMS", "", parse_terms,
            "Comma-separated words or phrases that reject a comment (whole words, any case)."),
    Setting("MODERATION_WATCHED_TERMS", "", parse_terms,
            "Comma-separated words or phrases that hold a comment (whole words, any case)."),
    Setting("MODERATION_TRUSTED_AFTER", "3", int,
            "Earlier approved comments (same e-mail) after which a commenter is trusted; 0 "
            "disables trust."),
    Setting("MODERATION_TRUSTED_HOLD_BOOST", "0.15", float,
            "How far a trusted commenter's hold thresholds are raised (never past the reject "
            "thresholds); the link rule is waived for them."),
    Setting("MODERATION_LOG_ONLY", "false", parse_bool,
            "Score and record every decision but publish everything (a newsroom's first weeks)."),
    Setting("MODERATION_RATE_LIMIT", "5/minute", parse_rate,
            "Flood limit per commenter (IP or e-mail), e.g. `5/minute`, `20/hour`; `off` "
            "disables."),
    Setting("MODERATION_DUPLICATE_WINDOW_SECONDS", "600", int,
            "The same author posting the same text on the same article within this many seconds "
            "gets the first comment back instead of a second copy."),
    Setting("MODERATION_MIN_SUBMIT_SECONDS", "3", float,
            "The demo form must be open this long before it is submitted (signed timestamp); "
            "forms without the timestamp are accepted."),
    Setting("MODERATION_CORS_ORIGINS", "", parse_origins,
            "Comma-separated site origins allowed to call the JSON API from a browser and to be "
            "redirected back to, e.g. `https://news.example`; `*` allows any for the feed."),
    Setting("MODERATION_FEED_PAGE_SIZE", "50", int,
            "Top-level comments per page of the published feed (clients may ask for up to 200)."),
    Setting("MODERATION_PROXY_HOPS", "0", int,
            "Reverse proxies in front of the service whose X-Forwarded-For is trusted for the "
            "client IP."),
    Setting("MODERATION_SECURE_COOKIES", "false", parse_bool,
            "Send the moderators' session cookie only over HTTPS (`Secure`); turn on in "
            "production behind TLS."),
    Setting("MODERATION_LEASE_SECONDS", "300", int,
            "How long a comment shown to one moderator is reserved for them in the review queue."),
    Setting("MODERATION_LOGIN_FREE_FAILURES", "5", int,
            "Failed logins (per name, and per client) allowed in 15 minutes before each further "
            "attempt must wait, doubling from 2 s up to 15 minutes."),
    Setting("MODERATION_QUEUE_PAGE_SIZE", "25", int,
            "Comments per page of the review queue."),
    Setting("MODERATION_DB_WAIT_SECONDS", "10", float,
            "How long a request waits for a locked or unreachable database (SQLite's busy "
            "timeout; retries on PostgreSQL) before answering 503 with `Retry-After`; keep it "
            "well under `GUNICORN_TIMEOUT`."),
)

_BY_NAME = {setting.name: setting for setting in SETTINGS}


def from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Parse every setting from `environ` (default `os.environ`); unknown variables are ignored."""
    environ = os.environ if environ is None else environ
    values = {}
    for setting in SETTINGS:
        raw = environ.get(setting.name, setting.default)
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            raise ValueError(f"{setting.name}: {exc}") from exc
    return values


def normalise(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Let tests pass settings as environment strings or as already-parsed values."""
    out = {}
    for name, value in overrides.items():
        setting = _BY_NAME.get(name)
        out[name] = setting.parse(value) if setting and isinstance(value, str) else value
    return out


def markdown_table() -> str:
    lines = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for setting in SETTINGS:
        default = f"`{setting.default}`" if setting.default else "(empty)"
        lines.append(f"| `{setting.name}` | {default} | {setting.doc} |")
    return "\n".join(lines)
