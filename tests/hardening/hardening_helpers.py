"""Helpers shared by the hardening tests: the stored rows and a free port. The comment to post
(`good_form`, `PUBLISH_ALL`) is the service tests' own, from tests/service/comment_helpers.py."""

from __future__ import annotations

import socket

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from service.tables import Comment


def stored_comments(url: str) -> list[Comment]:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(Comment).order_by(Comment.id)))
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
