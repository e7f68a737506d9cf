"""Rate limits with Flask-Limiter: comments per commenter at intake, login attempts per account.

Storage is in memory by default (each worker counts on its own) or Redis when
`MODERATION_RATE_LIMIT_STORAGE` names one (every worker and host shares the counts). Keys are
keyed hashes of the client IP, the e-mail and the account name, so neither Redis nor
Flask-Limiter's own log lines carry an address.

Intake: `MODERATION_RATE_LIMIT` comments per commenter (same IP hash, or same e-mail hash). The
commenter is only known once the form is validated, so the view asks `commenter_wait` before
scoring and calls `count_comment` after a comment was stored; a flooder is refused before the
classifier or the database's write lock is touched. The store's own count of stored comments
(`Store.enqueue`) stays the authoritative check: it is atomic and shared through the database even
with in-memory counters here.

Login: `MODERATION_LOGIN_RATE_LIMIT` POSTs per account to the `auth` pages (login, password
change), counted atomically at each request, on top of the slow-down after failed logins in
`service.review.auth` (which checks and records each attempt in one step in the shared database, so
it holds across workers and hosts even with in-memory counters here).
"""

from __future__ import annotations

import logging
import math
import time
from functools import partial

from flask import Flask, Response, current_app, render_template, request, session
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from limits import RateLimitItem, RateLimitItemPerSecond

from service.privacy import keys as privacy
from service.config import RateLimit
from service.web.errors import handle_http_error

log = logging.getLogger(__name__)

DEFAULT_KEY_PREFIX = "moderation"
LOGIN_MESSAGE = "Too many login attempts for this account. Try again in {wait} seconds."


def _item(rate: RateLimit) -> RateLimitItem:
    return RateLimitItemPerSecond(rate.count, rate.seconds)


def client_key() -> str:
    """The client as Flask-Limiter sees it: the keyed hash of its address."""
    key = current_app.config["MODERATION_IP_HASH_KEY"]
    return "ip:" + privacy.ip_hash(key, request.remote_addr or "")


def commenter_keys(email: str) -> list[str]:
    """Everything a commenter is known by: the client's IP hash and the e-mail's hash."""
    key = current_app.config["MODERATION_EMAIL_HASH_KEY"]
    return [client_key(), "email:" + privacy.email_hash(key, email)]


def account_key() -> str:
    """The account an `auth` POST is about: the name typed into the login form, else the
    moderator already logged in (password change, logout). Hashed like the IP, because a
    name typed into the login form may be an e-mail address, and limit keys reach Redis and
    Flask-Limiter's log lines."""
    name = request.form.get("name") if request.endpoint == "auth.login" else session.get(
        "moderator")
    return "account:" + privacy.account_hash(current_app.config["MODERATION_IP_HASH_KEY"],
                                              name or "")


def _limiter() -> Limiter:
    return current_app.extensions["moderation_limiter"]


def _prefix() -> str:
    return current_app.config.get("RATELIMIT_KEY_PREFIX") or DEFAULT_KEY_PREFIX


def commenter_wait(email: str) -> int | None:
    """Seconds the commenter must wait before their next comment, or None when they may post
    now (or flood control is off). A rate-limit store that cannot be reached is logged and
    skipped: the database's count still holds the limit."""
    rate = current_app.config["MODERATION_RATE_LIMIT"]
    if rate is None:
        return None
    item, strategy = _item(rate), _limiter().limiter
    try:
        for key in commenter_keys(email):
            if not strategy.test(item, _prefix(), "comments", key):
                reset_at = strategy.get_window_stats(item, _prefix(), "comments", key).reset_time
                return max(1, math.ceil(reset_at - time.time()))
    except Exception as exc:  # redis down, timeouts: the database limit still applies
        log.warning("rate-limit storage unavailable, relying on the database count: %s",
                    type(exc).__name__)
    return None


def count_comment(email: str) -> None:
    """Count a stored comment against its commenter's IP hash and e-mail hash."""
    rate = current_app.config["MODERATION_RATE_LIMIT"]
    if rate is None:
        return
    item, strategy = _item(rate), _limiter().limiter
    try:
        for key in commenter_keys(email):
            strategy.hit(item, _prefix(), "comments", key)
    except Exception as exc:  # see commenter_wait
        log.warning("rate-limit storage unavailable, comment not counted there: %s",
                    type(exc).__name__)


def _login_refused(limit: RequestLimit) -> Response | None:
    """The login form again, in the reader's words, with Retry-After (other auth pages get the
    plain 429 error page, which also carries Retry-After)."""
    if request.endpoint != "auth.login":
        return None
    wait = max(1, math.ceil(limit.reset_at - time.time()))
    response = current_app.make_response((render_template(
        "auth/login.html", next=request.form.get("next", ""), name=request.form.get("name", ""),
        error=LOGIN_MESSAGE.format(wait=wait)), 429))
    response.headers["Retry-After"] = str(wait)
    return response


def _rate_limited(exc: RateLimitExceeded) -> Response:
    # The page `_login_refused` built, else the usual error page or JSON.
    return exc.response if exc.response is not None else handle_http_error(exc)


def init_app(app: Flask) -> None:
    """A Flask-Limiter per app (its counters must not leak between apps in one process), with the
    login limit on the `auth` blueprint's POSTs."""
    storage = app.config["MODERATION_RATE_LIMIT_STORAGE"]
    # A Redis that stops answering must cost a comment half a second, not the OS's connect
    # timeout of minutes.
    options = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5} \
        if storage.startswith("redis") else {}
    limiter = Limiter(
        client_key, storage_uri=storage, storage_options=options,
        strategy="moving-window", key_prefix=app.config.get("RATELIMIT_KEY_PREFIX")
        or DEFAULT_KEY_PREFIX,
        # A broken Redis must not take logins down; the database slow-down still holds.
        swallow_errors=True, in_memory_fallback_enabled=True, headers_enabled=True)
    limiter.init_app(app)
    _check_only_where_limited(app, limiter, scopes=["auth"])
    app.extensions["moderation_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    login_rate = app.config["MODERATION_LOGIN_RATE_LIMIT"]
    if login_rate is not None:
        limiter.limit(f"{login_rate.count}/{login_rate.seconds} seconds", key_func=account_key,
                      methods=["POST"], on_breach=_login_refused,
                      error_message="Too many attempts for this account; wait a little.")(
            app.blueprints["auth"])


def _check_only_where_limited(app: Flask, limiter: Limiter, scopes: list[str]) -> None:
    """Move Flask-Limiter's per-request check and header hook from every request to the
    blueprints that have limits (`scopes`). It has no switch for this, and its check costs
    about 50 µs per request even where no limit applies: a sixth of a comment's whole cost at
    intake, whose flood control is `commenter_wait` (bench/README.md, "Service")."""
    def moved(hooks: dict, is_limiter_hook) -> None:
        ours = [hook for hook in hooks.get(None, []) if is_limiter_hook(hook)]
        if len(ours) != 1:
            # A Flask-Limiter that registers its hooks differently: refuse to start rather than
            # serve logins with no limit.
            raise RuntimeError(f"expected one Flask-Limiter hook, found {len(ours)}")
        hooks[None] = [hook for hook in hooks.get(None, []) if not is_limiter_hook(hook)]
        for scope in scopes:
            hooks.setdefault(scope, []).extend(ours)

    moved(app.before_request_funcs, lambda hook: getattr(hook, "__self__", None) is limiter)
    moved(app.after_request_funcs,
          lambda hook: isinstance(hook, partial) and limiter in hook.args)
