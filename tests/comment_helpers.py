"""Helpers shared by the service tests: a good form submission and reading the stored rows."""

from __future__ import annotations

import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.storage.tables import Comment

# Thresholds that make the outcome independent of what the model thinks of a sentence.
PUBLISH_ALL = {f"MODERATION_{label}_{kind}": "1" for label in ("SPAM", "ABUSE")
               for kind in ("HOLD", "REJECT")}
HOLD_ALL = {**PUBLISH_ALL, "MODERATION_SPAM_HOLD": "0"}
REJECT_ALL = {**PUBLISH_ALL, "MODERATION_SPAM_HOLD": "0", "MODERATION_SPAM_REJECT": "0"}


def good_form(**overrides) -> dict:
    """What the site's "Leave a reply" form posts for a top-level comment on the demo article."""
    fields = {"comment": "Glad the bridge is open again.", "author": "Ann Reader",
              "email": "ann@example.org", "url": "", "comment_post_ID": "demo",
              "comment_parent": "0"}
    fields.update(overrides)
    return fields


def post_chunked(client, path: str, body: bytes, content_type: str, **kwargs):
    """POST `body` as gunicorn hands a `Transfer-Encoding: chunked` request to the app: without
    Content-Length, on an input stream the server ends itself (`wsgi.input_terminated`)."""
    headers = {"Transfer-Encoding": "chunked", **kwargs.pop("headers", {})}
    return client.post(path, input_stream=io.BytesIO(body), content_type=content_type,
                       headers=headers, environ_overrides={"wsgi.input_terminated": True},
                       **kwargs)


def all_comments(app) -> list[Comment]:
    with Session(app.extensions["store"].engine) as session:
        return list(session.scalars(select(Comment).order_by(Comment.id)))


def only_comment(app) -> Comment:
    comments = all_comments(app)
    assert len(comments) == 1, [c.text for c in comments]
    return comments[0]


def flood_with_form_posts(client) -> None:
    """Under a limit of 2 comments a minute: two form posts are accepted, the third is refused
    with 429, Retry-After and the form page that still holds what the reader wrote."""
    for n in range(2):
        assert client.post("/comments", data=good_form(comment=f"Point {n}")).status_code == 303
    page = client.post("/comments", data=good_form(comment="Point 3"))
    assert page.status_code == 429
    assert 1 <= int(page.headers["Retry-After"]) <= 60
    assert "You are posting comments too quickly" in page.get_data(as_text=True)
    assert "Point 3" in page.get_data(as_text=True)  # nothing the reader wrote is lost
