"""Comments the shipped classifier scores far apart, API keys, and reading
back what the service kept."""

from __future__ import annotations


import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.integrations.apikeys import add_key
from service.storage.tables import Comment, IntegrationCheck

BLOG = "https://news.example/"

HAM_TEXT = ("Thanks for the thorough reporting on the council budget; the chart of school "
            "spending was especially useful.")
SPAM_TEXT = ("Check out my channel!!! Subscribe http://bit.ly/xyz free iphone giveaway click "
             "here http://bit.ly/abc")
TOXIC_TEXT = "You are a worthless idiot and a disgusting piece of trash, shut up you moron"
# Above the shipped card's abuse hold threshold, below its reject threshold.
RUDE_TEXT = "I disagree with the mayor, this plan is stupid."
# Every score is below 1, so nothing is rejected: what would be rejected is held instead.
NEVER_REJECT = {"MODERATION_SPAM_REJECT": "1", "MODERATION_ABUSE_REJECT": "1"}


def checks(app) -> list[IntegrationCheck]:
    with Session(app.extensions["store"].engine) as db:
        return list(db.scalars(select(IntegrationCheck).order_by(IntegrationCheck.id)))


def comments(app) -> list[Comment]:
    with Session(app.extensions["store"].engine) as db:
        return list(db.scalars(select(Comment).order_by(Comment.id)))


def new_api_key(app, name: str = "Daily Planet WordPress") -> str:
    _, key = add_key(app.extensions["store"].engine, app.config["MODERATION_API_KEY_HASH_KEY"],
                     name)
    return key


class ToLoopback(httpx.BaseTransport):
    """Sends what the client addresses to rest.akismet.com to our server instead, the way a CMS
    is pointed at us: the request itself (path, form body, headers) is left as the client made
    it."""

    def __init__(self, base_url: str) -> None:
        self._base = httpx.URL(base_url)
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme=self._base.scheme, host=self._base.host,
                                            port=self._base.port)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()
