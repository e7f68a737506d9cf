"""Moderator login and logout, `login_required`, and the slow-down after failed logins.

Passwords are scrypt hashes (werkzeug; memory-hard). The session (a signed cookie) holds the
moderator's name, the session generation it was opened under and when it was opened and last
used; every request checks it against the moderators table (`session_alive`), so `moderators
disable NAME` takes effect at once, and logging out or changing the password, which move the
generation on in the shared database, end every session of that moderator on every host.
Failed logins are counted in the database (per keyed hash of the typed name and of the client
IP), so the slow-down holds across gunicorn workers; see `wait_seconds` for the schedule.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from flask import (Blueprint, Flask, Request, current_app, flash, g, jsonify, redirect,
                   render_template, request, session, url_for)
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError

from service.privacy import keys as privacy
from service.storage.db import IMMEDIATE, lock_names
from service.web.errors import handle_http_error
from service.review.redirects import safe_target
from service.web.security_headers import no_store
from service.storage.tables import LoginFailure, Moderator, utcnow

bp = Blueprint("auth", __name__, url_prefix="/auth")

WINDOW = timedelta(minutes=15)
FIRST_WAIT_SECONDS = 2
MAX_WAIT_SECONDS = 15 * 60
# Checked when the name is unknown, so a wrong name costs as long as a wrong password and
# response times do not reveal which names exist.
_DUMMY_HASH = generate_password_hash("not a password", method="scrypt")


bp.after_request(no_store)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def wait_seconds(failures: int, last_failure: datetime | None, now: datetime,
                 free: int) -> int:
    """Seconds before the next login attempt is heard, given `failures` in the last 15 minutes.

    The first `free` failures cost nothing (typos); then each further one doubles the wait,
    2 s, 4 s, 8 s, ... up to 15 minutes, counted from the last failure."""
    if failures < free or last_failure is None:
        return 0
    wait = min(FIRST_WAIT_SECONDS * 2 ** (failures - free), MAX_WAIT_SECONDS)
    return max(0, math.ceil((last_failure + timedelta(seconds=wait) - now).total_seconds()))


def _failure_keys(name: str) -> list[str]:
    key = current_app.config["MODERATION_IP_HASH_KEY"]
    return [f"name:{privacy.account_hash(key, name)}",
            f"ip:{privacy.ip_hash(key, request.remote_addr or '')}"]


def _engine():
    return current_app.extensions["store"].engine


@dataclass(frozen=True)
class Attempt:
    """What the slow-down says about one login attempt."""

    wait: int  # seconds before an attempt is heard; 0: this one is
    failure_ids: tuple[int, ...] = ()  # its rows in login_failures, taken back if it succeeds


def admit_attempt(keys: list[str], now: datetime) -> Attempt:
    """The slow-down's check and record as one step. An attempt that may go ahead is recorded
    as a failure before its password is checked, in a transaction that holds back every other
    attempt on the same keys, from any worker or host (`db.lock_names`; on SQLite the write
    lock). So parallel guesses see each other: only the free ones are heard at once."""
    free = current_app.config["MODERATION_LOGIN_FREE_FAILURES"]
    with Session(_engine().execution_options(**IMMEDIATE)) as db, db.begin():
        lock_names(db.connection(), (f"login-{key}" for key in keys))
        rows = db.execute(select(LoginFailure.key, func.count(), func.max(LoginFailure.at))
                          .where(LoginFailure.key.in_(keys), LoginFailure.at > now - WINDOW)
                          .group_by(LoginFailure.key)).all()
        wait = max([wait_seconds(n, last, now, free) for _, n, last in rows] or [0])
        if wait:
            return Attempt(wait)
        failures = [LoginFailure(key=key, at=now) for key in keys]
        db.add_all(failures)
        # Old rows say nothing any more; dropping them keeps the table small.
        db.execute(delete(LoginFailure).where(LoginFailure.at < now - WINDOW))
        db.flush()
        return Attempt(0, tuple(failure.id for failure in failures))


def _succeeded(attempt: Attempt, name_key: str) -> None:
    """A right password: this attempt was no failure, and the name's earlier ones are
    forgotten (the client's stay: logging in to one account must not clear guesses at others)."""
    with Session(_engine()) as db, db.begin():
        db.execute(delete(LoginFailure).where(or_(LoginFailure.id.in_(attempt.failure_ids),
                                                  LoginFailure.key == name_key)))


def authenticate(name: str, password: str) -> Moderator | None:
    """The active moderator with this name and password, or None."""
    with Session(_engine()) as db:
        moderator = db.scalars(select(Moderator).where(Moderator.name == name)).first()
    valid = check_password_hash(moderator.password_hash if moderator else _DUMMY_HASH, password)
    return moderator if valid and moderator is not None and moderator.active else None


def session_alive(saved: Mapping, generation: int, now: datetime, idle: timedelta,
                  lifetime: timedelta) -> bool:
    """Whether a moderator's session still counts: opened under the account's current
    `generation`, used within `idle` and opened within `lifetime` of `now`. `saved` holds
    "generation", and "login_at" and "seen_at" as POSIX timestamps."""
    try:
        login_at, seen_at = float(saved["login_at"]), float(saved["seen_at"])
    except (KeyError, TypeError, ValueError):  # a cookie from before sessions were recorded
        return False
    at = now.timestamp()
    return saved.get("generation") == generation and at - seen_at <= idle.total_seconds() \
        and at - login_at <= lifetime.total_seconds()


# The last-seen time is rewritten (a new cookie) at most this often: the idle timeout is
# counted in hours, and a fresh cookie on every page and script request gains nothing.
_SEEN_RESOLUTION_SECONDS = 60


def current_moderator() -> Moderator | None:
    name = session.get("moderator")
    if not name:
        return None
    with Session(_engine()) as db:
        moderator = db.scalars(select(Moderator).where(Moderator.name == name)).first()
    if moderator is None or not moderator.active:
        return None
    now, config = utcnow(), current_app.config
    if not session_alive(session, moderator.session_generation, now,
                         config["MODERATION_SESSION_IDLE_HOURS"],
                         config["MODERATION_SESSION_LIFETIME_HOURS"]):
        session.clear()
        return None
    if now.timestamp() - session["seen_at"] >= _SEEN_RESOLUTION_SECONDS:
        session["seen_at"] = now.timestamp()
    return moderator


def _open_session(moderator: Moderator, now: datetime) -> None:
    session.clear()  # a fresh session on login: no fixation
    session.update(moderator=moderator.name, generation=moderator.session_generation,
                   login_at=now.timestamp(), seen_at=now.timestamp())
    session.permanent = False


def end_sessions(moderator_id: int) -> int:
    """End every session of this moderator, on every host; returns the new generation."""
    with Session(_engine()) as db, db.begin():
        # One UPDATE adding 1, so two hosts ending sessions at once both count.
        return db.execute(update(Moderator).where(Moderator.id == moderator_id)
                          .values(session_generation=Moderator.session_generation + 1)
                          .returning(Moderator.session_generation)).scalar_one()


def wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) \
        == "application/json"


def _login_first():
    session.pop("moderator", None)
    if wants_json():
        return jsonify({"error": {"code": "login_required", "message": "Log in to moderate."}}), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _csrf_refused(exc: CSRFError):
    """A state-changing request without a valid token. Someone not logged in is sent to log in,
    like on every other moderation URL; a moderator is told the form was stale (400)."""
    if request.endpoint != "auth.login" and current_moderator() is None:
        return _login_first()
    return handle_http_error(exc)


def login_required(view):
    """Views behind it see `g.moderator`; anyone else gets a 302 to the login page (401 JSON for
    API-style requests)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        g.moderator = current_moderator()
        if g.moderator is None:
            return _login_first()
        if g.moderator.must_change_password and request.endpoint != "auth.password":
            return redirect(url_for("auth.password"))
        return view(*args, **kwargs)
    return wrapped


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect after login is a phishing tool.
    return safe_target(target) or url_for("review.queue")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("auth/login.html", next=request.args.get("next", ""))
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    now = utcnow()
    keys = _failure_keys(name)
    attempt = admit_attempt(keys, now)
    if attempt.wait:
        response = current_app.make_response((render_template(
            "auth/login.html", next=request.form.get("next", ""), name=name,
            error=f"Too many failed logins. Try again in {attempt.wait} seconds."), 429))
        response.headers["Retry-After"] = str(attempt.wait)
        return response
    moderator = authenticate(name, password)
    if moderator is None:  # already counted by admit_attempt
        return render_template("auth/login.html", next=request.form.get("next", ""), name=name,
                               error="Wrong name or password."), 401
    _succeeded(attempt, keys[0])
    _open_session(moderator, now)
    if moderator.must_change_password:
        flash("This is a one-time password: choose your own now.")
        return redirect(url_for("auth.password"))
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    moderator = current_moderator()
    if moderator is not None:
        end_sessions(moderator.id)
    session.clear()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    if request.method == "GET":
        return render_template("auth/password.html")
    current, new, again = (request.form.get(k, "") for k in ("current", "new", "again"))
    error = None
    if authenticate(g.moderator.name, current) is None:
        error = "Your current password is wrong."
    elif new != again:
        error = "The new passwords differ."
    elif len(new) < 10:
        error = "Use at least 10 characters."
    if error:
        return render_template("auth/password.html", error=error), 400
    with Session(_engine()) as db, db.begin():
        moderator = db.get(Moderator, g.moderator.id)
        moderator.password_hash, moderator.must_change_password = hash_password(new), False
    # Whoever else holds a session of this account (a stolen cookie, a forgotten browser) is
    # out; the moderator stays logged in here.
    session["generation"] = end_sessions(g.moderator.id)
    flash("Password changed.")
    return redirect(url_for("review.queue"))


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, but a request without a session cookie (every reader
    posting a comment) gets its empty session without Flask building a cookie signer for it
    first, about 20 µs per request at intake (bench/README.md, "Service")."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Cookie flags and the blueprint. HttpOnly: scripts never read the session; SameSite=Lax:
    other sites cannot post with it; Secure when the site is served over HTTPS."""
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=app.config["MODERATION_SECURE_COOKIES"])
    app.session_interface = CookieSessions()
    app.register_blueprint(bp)
    app.register_error_handler(CSRFError, _csrf_refused)
