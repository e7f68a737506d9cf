"""Refuse NUL characters in query strings and form fields before any view sees them.

PostgreSQL text cannot hold a NUL, so one in a search box or a login name would otherwise
surface as a database error (500) instead of a clear 400. The comment intake decodes its own
body strictly (and refuses NULs itself), so its form is not parsed here: parsing it first would
consume the body the intake reads.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import BadRequest


class NulCharacter(BadRequest):
    description = "Text cannot contain NUL characters; please remove them and try again."


def refuse_nul_characters() -> None:
    values = list(request.args.values())
    if request.blueprint != "intake" and request.mimetype in {
            "application/x-www-form-urlencoded", "multipart/form-data"}:
        values += list(request.form.values())
    if any("\x00" in value for value in values):
        raise NulCharacter()


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
