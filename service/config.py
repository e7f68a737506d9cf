"""Every setting of the service: its environment variable, default, parser and one line of doc.

This is the only module that reads the environment. `create_app` calls `from_env()` and lays
`test_config` over it; everything else reads `app.config[...]` under the same names. The
configuration table in docs/configuration.md is generated from `SETTINGS` (`markdown_table()`),
and a test checks the two agree.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Mapping

from model.model_store import parse_store_kind


# The phrases of online-gambling ("judi online") promotion, which fill the comment sections of
# Indonesian news sites under every article. Only the promoters' own phrases: words a reader uses
# to discuss the crackdown on gambling ("judi online", "situs judi", "bandar togel") are not here,
# nor "gacor" alone, which football fans say of a team on form.
GAMBLING_PROMOTION = ("slot gacor, pola gacor, situs gacor, maxwin, scatter hitam, rtp live, "
                      "bonus new member, deposit pulsa, depo pulsa, link alternatif, anti rungkad")


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


_CODE = re.compile(r"^[a-z]{2,3}$")
LANGUAGE_CHOICES = ("rules", "hold", "model")


def parse_languages(raw: str) -> tuple[str, ...]:
    """Comma-separated ISO 639-1 codes such as `en,id`; empty: every language the model knows.
    Whether the model knows them is checked when the app starts (service.decisions.language)."""
    codes = tuple(dict.fromkeys(code.strip().lower() for code in raw.split(",") if code.strip()))
    bad = [code for code in codes if not _CODE.match(code)]
    if bad:
        raise ValueError(f"expected language codes such as en,id; got {', '.join(bad)}")
    return codes


def _per_language(raw: str, separator: str) -> list[tuple[str, str]]:
    pairs = []
    for part in raw.split(separator):
        if not part.strip():
            continue
        code, colon, value = part.partition(":")
        code = code.strip().lower()
        if not colon or not (code == "*" or code == "unknown" or _CODE.match(code)):
            raise ValueError(f"expected LANGUAGE:VALUE such as id:rules, got {part.strip()!r}")
        pairs.append((code, value.strip()))
    return pairs


def parse_language_policy(raw: str) -> dict[str, str]:
    """`id:rules, zh:hold, *:rules`: per language code (`*` any other, `unknown` comments whose
    language is not told) one of rules, hold or model."""
    policy = {}
    for code, choice in _per_language(raw, ","):
        if choice.lower() not in LANGUAGE_CHOICES:
            raise ValueError(f"{code}: expected one of {', '.join(LANGUAGE_CHOICES)}, got "
                             f"{choice!r}")
        policy[code] = choice.lower()
    return policy


def parse_terms_by_language(raw: str) -> dict[str, tuple[str, ...]]:
    """`id: bangsat, anjing; ms: ...`: per language code, comma-separated terms; `;` between
    languages."""
    terms: dict[str, tuple[str, ...]] = {}
    for code, listed in _per_language(raw, ";"):
        terms[code] = terms.get(code, ()) + parse_terms(listed)
    return terms


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


def parse_repeat_limit(raw: str) -> RateLimit | None:
    """`3/day`: the third copy of one text in a day is held; `off` disables. At least 2: the
    first copy is the reader's own comment."""
    limit = parse_rate(raw)
    if limit is not None and limit.count < 2:
        raise ValueError("a repeat limit needs a count of at least 2; use off to disable")
    return limit


def parse_limit_storage(raw: str) -> str:
    """`memory://` (in each worker) or a Redis URL: where rate limits count, or pages are kept."""
    value = raw.strip() or "memory://"
    if not value.startswith(("memory://", "redis://", "rediss://", "redis+unix://")):
        raise ValueError(f"expected memory:// or a redis:// URL, got {raw!r}")
    return value


def parse_share(raw: str) -> float:
    """A probability or a share of traffic: a number in [0, 1]."""
    value = float(raw)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"expected a probability in [0, 1], got {raw!r}")
    return value


def parse_positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"expected a whole number, 1 or more, got {raw!r}")
    return value


def parse_text(raw: str) -> str:
    """Words someone will read: not empty."""
    if not raw.strip():
        raise ValueError("expected some text; leave the variable unset for the default")
    return raw.strip()


def parse_optional_float(raw: str) -> float | None:
    return parse_share(raw) if raw.strip() else None


def parse_seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also refuses nan
        raise ValueError(f"expected a number of seconds, 0 or more, got {raw!r}")
    return value


def parse_hours(raw: str) -> timedelta:
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:  # also refuses nan
        raise ValueError(f"expected a number of hours, more than 0, got {raw!r}")
    return timedelta(hours=value)


def parse_days(raw: str) -> int:
    """A whole number of days, 0 or more."""
    if not re.fullmatch(r"\s*[0-9]{1,5}\s*", raw):
        raise ValueError(f"expected a whole number of days, 0 or more, got {raw!r}")
    return int(raw)


def parse_close_from(raw: str) -> str:
    value = raw.strip().lower().replace("-", "_").replace(" ", "_")
    if value not in ("publication", "first_comment"):
        raise ValueError(f"expected publication or first_comment, got {raw!r}")
    return value


def parse_optional_str(raw: str) -> str | None:
    return raw.strip() or None


def parse_list(raw: str) -> tuple[str, ...]:
    """Comma-separated values (URLs, addresses, networks); blanks dropped."""
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def parse_networks(raw: str) -> tuple:
    """Comma-separated addresses or CIDR networks, e.g. `127.0.0.1/32,10.0.0.0/8`."""
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in parse_list(raw))
    except ValueError as exc:
        raise ValueError(f"expected addresses or networks such as 10.0.0.0/8: {exc}") from exc


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
    Setting("MODERATION_SQLITE_CHECKPOINT_SECONDS", "0.25", float,
            "SQLite only: how often a background thread in each worker copies the write-ahead "
            "log back into the database file (a round with nothing to copy costs next to "
            "nothing). Under load shorter rounds copy less at a time, which keeps the slowest "
            "requests faster. `0` leaves it to SQLite, inside whichever request fills the log "
            "(slower; see bench/README.md)."),
    Setting("MODERATION_SECRET_KEY", "", parse_optional_str,
            "Signs the demo form's timestamp and sessions. Empty: generated once into "
            "`instance/secret_key` so every worker agrees."),
    Setting("MODERATION_IP_HASH_KEY", "", parse_optional_str,
            "HMAC key for client IP hashes (raw IPs are never stored). Empty: generated into "
            "`instance/ip_hash_key`."),
    Setting("MODERATION_EMAIL_HASH_KEY", "", parse_optional_str,
            "HMAC key for e-mail hashes (trust and flood matching). Empty: generated into "
            "`instance/email_hash_key`. Keep it stable: changing it forgets every commenter."),
    Setting("MODERATION_MODEL_STORE", "", parse_store_kind,
            "Where model versions, the pointer to the one in service and their history are kept: "
            "`directory` (the artifact directory on this host) or `database` (the service's "
            "database, so every host serves the same model). Empty: `database` when "
            "`MODERATION_DATABASE_URL` names a server database (PostgreSQL, where several hosts "
            "share one service), `directory` with SQLite (one host)."),
    Setting("MODERATION_MODEL_PATH", "", parse_optional_str,
            "Classifier to load: an artifact directory (the version its `CURRENT` names, "
            "followed when that changes) or one `.joblib` file (pinned, whatever the store); "
            "empty means the shipped directory `model/artifacts`. With the database store, the "
            "directory is the seed: a database holding no model imports its current version."),
    Setting("MODERATION_MODEL_CHECK_SECONDS", "5", parse_seconds,
            "How often each worker reads the model store's pointer (the `CURRENT` file, or one "
            "row of the database) and switches to a newly promoted model, without a restart; "
            "0: at every request."),
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
    Setting("MODERATION_WATCHED_TERMS", GAMBLING_PROMOTION, parse_terms,
            "Comma-separated words or phrases that hold a comment (whole words, any case). The "
            "default is the online-gambling promotion that floods Indonesian comment sections "
            "(\"slot gacor\", \"maxwin\", \"bonus new member\"; phrases a reader discussing "
            "gambling news does not write); set your own list to replace it, empty for none."),
    Setting("MODERATION_HOLD_PHONE_NUMBERS", "true", parse_bool,
            "Hold a comment that gives a phone number (7 to 15 digits), in every language: "
            "scam, loan and gambling promotions give a number to call or message, and a reader "
            "who posts someone's number exposes them. Trusted commenters are not held."),
    Setting("MODERATION_HOLD_STYLED_LETTERS", "true", parse_bool,
            "Hold a comment that writes three or more letters or digits in a styled typeface "
            "(\"𝐏𝐒𝐓𝐎𝐓𝐎𝟗𝟗\", \"ᴅᴀꜰᴛᴀʀ\", \"9️⃣\"), in every language: promoters write a "
            "site's name so to get past word filters and the classifier. Trusted commenters are "
            "not held."),
    Setting("MODERATION_BLOCKED_TERMS_BY_LANGUAGE", "", parse_terms_by_language,
            "Blocked terms for comments in one language, on top of the ones above: "
            "`id: bangsat, anjing; ms: ...` (`;` between languages). A comment whose language "
            "is not told (short or mixed) is checked against every language's terms."),
    Setting("MODERATION_WATCHED_TERMS_BY_LANGUAGE", "", parse_terms_by_language,
            "Watched terms for comments in one language, written like the blocked ones."),
    Setting("MODERATION_LANGUAGES", "en,id,jv,zh,ja,ko,ar,tl,nl,de,fr,es,pt", parse_languages,
            "The languages comments are told apart in (ISO 639-1 codes py3langid knows); empty: "
            "all 140 of its languages. Malay is left out by default: on a Jakarta site it is "
            "Indonesian read as Malay (bench/README.md, \"Language identification\")."),
    Setting("MODERATION_LANGUAGE_POLICY", "", parse_language_policy,
            "What happens to a comment in each language: `rules` (the link, term, flood and "
            "duplicate rules alone, then published), `hold` (always held for a person) or "
            "`model` (scored by the site's model for that language; rules alone while there is "
            "none), e.g. `id:rules, zh:hold, *:rules`. Unlisted: English `model`, every other "
            "language `rules`; `unknown` (short or mixed) is scored by the English heads with "
            "only their confident lines unless set here."),
    Setting("MODERATION_TRUSTED_AFTER", "3", int,
            "Earlier approved comments (same e-mail) after which a commenter is trusted; 0 "
            "disables trust."),
    Setting("MODERATION_TRUSTED_HOLD_BOOST", "0.15", float,
            "How far a trusted commenter's hold thresholds are raised (never past the reject "
            "thresholds); the link rule is waived for them."),
    Setting("MODERATION_SITE_LAYER_EVERY", "50", int,
            "After this many new moderator decisions, the service updates the site layer "
            "(`python -m model.site_update`: seconds) in the background; 0: only by hand or "
            "timer."),
    Setting("MODERATION_CORPORA_PATH", "", str,
            "The public corpora whose held-out rows guard the site layer against collapse; "
            "empty: `../shared/data` beside the checkout. Without them the guard is not run, "
            "and the verdict says so."),
    Setting("MODERATION_HOLD_BUDGET", "0.05", parse_share,
            "Share of comments that uncertain scores may hold (0.05: 5%). The service learns "
            "this site's score distribution from its traffic and raises the card's hold "
            "thresholds to stay within it; confident scores hold or reject regardless, and "
            "thresholds set above are never moved. 0 turns the budget off."),
    Setting("MODERATION_SPOT_CHECK_SHARE", "0.02", parse_share,
            "Share of the comments the policy publishes that also go to the review queue as "
            "spot checks (0.02: 2%, picked at random). They stay published; a moderator keeps "
            "or removes each, the decision trains the model, and the models page estimates "
            "from them how much of what is published moderators would remove. 0 turns spot "
            "checks off."),
    # Readers' reports (docs/service.md, "Readers' reports").
    Setting("MODERATION_REPORTS_TO_QUEUE", "2", parse_positive_int,
            "Readers (counted once each) whose reports send a published comment back to the "
            "review queue, marked reported."),
    Setting("MODERATION_HIDE_REPORTED", "false", parse_bool,
            "`true`: a comment that reaches `MODERATION_REPORTS_TO_QUEUE` reports is taken off "
            "the site until a moderator decides; `false`: it stays published meanwhile."),
    Setting("MODERATION_REPORT_RATE_LIMIT", "20/hour", parse_rate,
            "Reports one reader (a keyed hash of the IP) may send, e.g. `20/hour`; `off` "
            "disables."),
    # What a commenter is told (docs/service.md, "Reasons for the commenter").
    Setting("MODERATION_NOTIFY_COMMENTERS", "false", parse_bool,
            "`true`: e-mail the commenter (through `MODERATION_SMTP_URL`, from "
            "`MODERATION_ALERT_EMAIL_FROM`) when their comment is rejected, with the reason and "
            "their status link, and when their appeal is decided; sent by `flask --app service "
            "alerts run` (or `check`)."),
    Setting("MODERATION_REASON_SPAM",
            "It looks like spam: advertising, or the same message posted in many places.",
            parse_text, "What a commenter is told when their comment is rejected as spam (by a "
            "moderator, or by the spam score)."),
    Setting("MODERATION_REASON_ABUSE",
            "It is abusive: it insults, threatens or demeans someone.",
            parse_text, "What a commenter is told when their comment is rejected as abuse (by a "
            "moderator, or by the abuse score)."),
    Setting("MODERATION_REASON_OFF_TOPIC",
            "It is off-topic: it is not about the article or the discussion under it.",
            parse_text, "What a commenter is told when a moderator rejects their comment as "
            "off-topic."),
    Setting("MODERATION_REASON_OTHER", "It breaks the site's rules for comments.",
            parse_text, "What a commenter is told when a moderator rejects their comment for "
            "another reason."),
    Setting("MODERATION_REASON_BLOCKED_TERM",
            "It contains a word or phrase the site does not allow.",
            parse_text, "What a commenter is told when a blocked term rejected their comment."),
    Setting("MODERATION_LOG_ONLY", "false", parse_bool,
            "Score and record every decision but publish everything (a newsroom's first weeks)."),
    Setting("MODERATION_AUTO_CLOSE_DAYS", "0", parse_days,
            "Close an article's comments this many days after its publication (or its first "
            "comment: next setting); readers then get \"Comments are closed.\" and nothing is "
            "stored. 0: articles close only by hand. Each article can override it on its "
            "review page or through `PUT /api/articles/<id>`."),
    Setting("MODERATION_AUTO_CLOSE_FROM", "publication", parse_close_from,
            "What the auto-close days count from: `publication` (the time the site sent, else "
            "when the service first heard of the article) or `first_comment`."),
    Setting("MODERATION_RATE_LIMIT", "5/minute", parse_rate,
            "Flood limit per commenter (IP or e-mail), e.g. `5/minute`, `20/hour`; `off` "
            "disables."),
    Setting("MODERATION_RATE_LIMIT_STORAGE", "memory://", parse_limit_storage,
            "Where the rate limits count (Flask-Limiter): `memory://` counts in each worker; "
            "a Redis URL such as `redis://127.0.0.1:6379/0` shares the counts between workers "
            "and hosts. The flood limit also counts stored comments in the database."),
    Setting("MODERATION_LOGIN_RATE_LIMIT", "10/minute", parse_rate,
            "Login (and password change) attempts per moderator account, e.g. `10/minute`; "
            "`off` disables. On top of the slow-down after failed logins."),
    Setting("MODERATION_REPEAT_LIMIT", "3/day", parse_repeat_limit,
            "Hold the n-th copy of one text inside the window, whoever posts it under whichever "
            "article, e.g. `3/day` (the third copy in 24 hours is held, and every copy after "
            "it); `off` disables. Texts of fewer than six words never count: readers write "
            "\"Well said\" in the same words."),
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
    Setting("MODERATION_FEED_MAX_AGE", "5", int,
            "Seconds a browser or CDN may reuse the feed and article pages without asking "
            "again (`Cache-Control: max-age`): a newly published comment shows within this "
            "many seconds, plus one."),
    Setting("MODERATION_FEED_STALE_SECONDS", "10", int,
            "Seconds past max-age a cache may still answer with the old page while it fetches "
            "the new one in the background (`stale-while-revalidate`)."),
    Setting("MODERATION_FEED_CACHE", "memory://", parse_limit_storage,
            "Where rendered feed pages are kept: `memory://` in each worker, or a Redis URL "
            "shared by every host. Pages are keyed by the article's version, which the "
            "database changes with every comment change, so no host serves a removed comment."),
    Setting("MODERATION_PROXY_HOPS", "0", int,
            "Reverse proxies in front of the service whose X-Forwarded-For is trusted for the "
            "client IP."),
    Setting("MODERATION_SECURE_COOKIES", "false", parse_bool,
            "Send the moderators' session cookie only over HTTPS (`Secure`); turn on in "
            "production behind TLS."),
    Setting("MODERATION_SESSION_IDLE_HOURS", "12", parse_hours,
            "A moderator's session ends after this many hours without a request (on every "
            "host: sessions are checked against the database)."),
    Setting("MODERATION_SESSION_LIFETIME_HOURS", "24", parse_hours,
            "A moderator's session ends this many hours after logging in, however active; "
            "logging out or changing the password ends all of that moderator's sessions."),
    Setting("MODERATION_LEASE_SECONDS", "300", int,
            "How long a comment shown to one moderator is reserved for them in the review queue."),
    Setting("MODERATION_LOGIN_FREE_FAILURES", "5", int,
            "Failed logins (per name, and per client) allowed in 15 minutes before each further "
            "attempt must wait, doubling from 2 s up to 15 minutes."),
    Setting("MODERATION_RETENTION_DAYS", "90", int,
            "Days after a comment is decided before `flask --app service purge` drops its IP "
            "hash, user agent and e-mail address."),
    Setting("MODERATION_QUEUE_PAGE_SIZE", "25", int,
            "Comments per page of the review queue."),
    Setting("MODERATION_AKISMET_API", "true", parse_bool,
            "Serve the Akismet-compatible API under `/1.1/` (keys from `flask apikeys add`); "
            "`false` answers 404 there."),
    Setting("MODERATION_PERSPECTIVE_API", "true", parse_bool,
            "Serve Perspective's AnalyzeComment at `/v1alpha1/comments:analyze` (keys from `flask "
            "apikeys add`); `false` answers 404 there."),
    Setting("MODERATION_API_KEY_HASH_KEY", "", parse_optional_str,
            "HMAC key for stored API key hashes. Empty: generated into "
            "`instance/api_key_hash_key`. Changing it invalidates every API key."),
    Setting("MODERATION_CORAL_SECRETS", "", parse_terms,
            "Comma-separated signing secrets of Coral's external moderation phase (two while "
            "rotating); empty turns `/coral/moderation` off (404)."),
    # Operations: metrics, logs, alerts (docs/operations.md, "Running it in a newsroom").
    Setting("MODERATION_METRICS_ALLOW", "127.0.0.1/32,::1/128", parse_networks,
            "Client networks allowed to read `GET /metrics` (after `MODERATION_PROXY_HOPS`); "
            "empty: none, only the token."),
    Setting("MODERATION_METRICS_TOKEN", "", parse_optional_str,
            "A bearer token that also opens `GET /metrics` from anywhere "
            "(`Authorization: Bearer ...`); empty: no token."),
    Setting("MODERATION_REQUEST_LOG", "true", parse_bool,
            "One JSON line per request and per decision on stderr; `false` only for benchmarks."),
    Setting("MODERATION_ALERT_QUEUE_SIZE", "100", int,
            "Alert when more comments than this wait in the review queue; 0 disables."),
    Setting("MODERATION_ALERT_QUEUE_AGE_MINUTES", "60", int,
            "Alert when the oldest pending comment has waited longer than this; 0 disables."),
    Setting("MODERATION_ALERT_SPAM_BURST", "50/10minutes", parse_rate,
            "Alert when this many comments are rejected on arrival within the period (an "
            "attack), e.g. `50/10minutes`; `off` disables."),
    Setting("MODERATION_ALERT_SLACK_WEBHOOKS", "", parse_list,
            "Comma-separated webhook URLs that get Slack-style JSON `{\"text\": ...}` (Slack, "
            "Mattermost, Rocket.Chat, Teams workflows)."),
    Setting("MODERATION_ALERT_JSON_WEBHOOKS", "", parse_list,
            "Comma-separated webhook URLs that get the alert as plain JSON (`alert`, `state`, "
            "`text`, `value`, `threshold`, `at`)."),
    Setting("MODERATION_ALERT_EMAIL_TO", "", parse_list,
            "Comma-separated e-mail addresses that get alerts and the digest."),
    Setting("MODERATION_ALERT_EMAIL_FROM", "moderation@localhost", str,
            "Sender address of alert e-mails."),
    Setting("MODERATION_SMTP_URL", "smtp://localhost:25", str,
            "Mail server for alerts: `smtp://host:25`, `smtp+starttls://user:password@host:587` "
            "or `smtps://user:password@host:465`."),
    Setting("MODERATION_ALERT_INTERVAL_SECONDS", "60", int,
            "How often `flask --app service alerts run` checks the conditions and retries "
            "failed deliveries."),
    Setting("MODERATION_REVIEW_URL", "", parse_optional_str,
            "Public address of the review page, linked from alerts and the digest, e.g. "
            "`https://comments.news.example/review/`; empty: no link."),
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
