"""Helpers for the review tests: a deterministic scorer, stored comments, and a client that
logs in and carries CSRF tokens like a moderator's browser."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert
from sqlalchemy.orm import Session

from service.storage.tables import Comment, Moderator as ModeratorRow, utcnow

PASSWORD = "correct horse battery"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
SPAM_WORDS = ("casino", "pills", "bonus")
ABUSE_WORDS = ("idiot", "moron")


class FakeScorer:
    """Scores by word lists, so a test knows what each comment's bars and highlights say."""

    version = "fake-1"
    thresholds = {"spam": {"hold": 0.5, "reject": 0.97}, "abuse": {"hold": 0.5, "reject": 0.9}}

    def _hits(self, text: str, words) -> list[str]:
        return [w for w in words if w in text.lower()]

    def score(self, text: str) -> dict[str, float]:
        return {"spam": min(0.3 * len(self._hits(text, SPAM_WORDS)), 0.99),
                "abuse": min(0.45 * len(self._hits(text, ABUSE_WORDS)), 0.99)}

    def score_many(self, texts) -> list[dict[str, float]]:
        return [self.score(text) for text in texts]

    def explain(self, text: str, top: int = 5) -> dict[str, list[dict]]:
        """Like ``model.Scorer.explain``: each word with the character ranges it stands at."""
        def evidence(words):
            return [{"term": w, "weight": 1.0,
                     "spans": [[m.start(), m.end()] for m in re.finditer(re.escape(w), text.lower())]}
                    for w in self._hits(text, words)][:top]
        return {"spam": evidence(SPAM_WORDS), "abuse": evidence(ABUSE_WORDS)}


def add_comment(app, text="A fair point about the bridge.", *, status="pending", post_id="demo",
                author="Ann Reader", email_hash="e1", minutes=0, spam=None, abuse=None,
                reasons=None, decided_by=None, scored=True, **fields) -> Comment:
    """Store a comment directly, as intake would have (scores from the fake scorer, unless
    given, or None for both when not `scored`: the classifier was down)."""
    scores = FakeScorer().score(text) if scored else {"spam": None, "abuse": None}
    at = T0 + timedelta(minutes=minutes)
    comment = Comment(
        post_id=post_id, author=author, email=f"{email_hash}@example.org", email_hash=email_hash,
        url=fields.pop("url", ""), text=text,
        fingerprint=hashlib.sha256(f"{post_id}|{author}|{text}".encode()).hexdigest(), permalink=fields.pop("permalink", ""),
        status=status, policy_status=status, reasons=reasons if reasons is not None else [],
        spam_score=scores["spam"] if spam is None else spam,
        abuse_score=scores["abuse"] if abuse is None else abuse, model_version="fake-1",
        ip_hash="ip1", user_agent="", created_at=at, updated_at=at, decided_by=decided_by,
        decided_at=at if decided_by else None, **fields)
    with Session(app.extensions["store"].engine, expire_on_commit=False) as session, \
            session.begin():
        session.add(comment)
    return comment


def add_moderators(app, password_hash: str, *names: str) -> None:
    """Active moderators who chose their own password (PASSWORD, hashed once per session)."""
    with app.extensions["store"].engine.begin() as connection:
        connection.execute(insert(ModeratorRow), [
            {"name": name, "password_hash": password_hash, "active": True,
             "created_at": utcnow(), "must_change_password": False} for name in names])


def reload(app, comment_id: int) -> Comment:
    with Session(app.extensions["store"].engine) as session:
        return session.get(Comment, comment_id)


_TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


class Moderator:
    """A test client acting like a moderator's browser: logs in through the form and sends the
    page's CSRF token with every POST."""

    def __init__(self, app, name: str) -> None:
        self.client = app.test_client()
        self.name = name
        self.token = None

    def get(self, path: str, **kwargs):
        response = self.client.get(path, **kwargs)
        found = _TOKEN.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def post(self, path: str, data=None, **kwargs):
        if self.token is None:
            self.get("/auth/login")
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kwargs)

    def login(self, password: str = PASSWORD):
        self.get("/auth/login")
        response = self.post("/auth/login", {"name": self.name, "password": password})
        self.get("/auth/login")  # a login starts a new session, with a new CSRF token
        return response

    def decide(self, comment: Comment, action: str, reason: str | None = None, *,
               seen: str | None = None, json: bool = False):
        from service.review.queue import state_token

        data = {"action": action, "seen": seen or state_token(comment)}
        if reason:
            data["reason"] = reason
        headers = {"Accept": "application/json"} if json else {}
        return self.post(f"/review/comments/{comment.id}/decide", data, headers=headers)




def log_in_browser(page, base: str, name: str = "ann") -> None:
    """Log in through the login form in a Playwright page; ends on the queue."""
    page.goto(base + "/review/")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/review/")
