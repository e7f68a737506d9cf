"""Blueprint: the embed for sites without WordPress (`/embed.js`, `/embed.css`).

A site adds a link to `/articles/<id>` and `<script src=".../embed.js" data-post-id="<id>" async>`;
the script turns the link into the thread and the "Leave a reply" form, fed by the published
feed and posting to intake (docs/service.md, "Embedding the comments on any site"). Both files are
public and change only with a deploy: caches may keep them a few minutes and then revalidate.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

bp = Blueprint("embed", __name__)

FILES = Path(__file__).parent.parent / "static" / "embed"
MAX_AGE = 300


def _asset(name: str) -> Response:
    response = send_from_directory(FILES, name, max_age=MAX_AGE)
    response.cache_control.public = True
    return response


@bp.get("/embed.js")
def script() -> Response:
    return _asset("embed.js")


@bp.get("/embed.css")
def stylesheet() -> Response:
    return _asset("embed.css")
