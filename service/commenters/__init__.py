"""Commenter actions: what moderators decide about a commenter rather than one comment (ban,
always hold, trust) and about an e-mail domain (hold or refuse everything from it).

- `actions.py`: the verbs, plain functions over the engine (no Flask), and what each records.
- `views.py`: the commenter page, the domain rules page and their forms, under /review.

Intake enforces them without a query of its own: the store's one lookup per comment reads the
commenter's standing and the domain's rule by primary key (service/storage/store.py), and the policy
decides with them (service/decisions/policy.py). Storage and the policy never import this package.
"""

from __future__ import annotations

from flask import Flask

from service.commenters import views


def init_app(app: Flask) -> None:
    views.init_app(app)
