"""Comments the shipped classifier scores far apart, and reading back what the service kept."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.tables import Comment, IntegrationCheck

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
