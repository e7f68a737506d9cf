"""The policy's reason codes as sentences a moderator reads at a glance.

The codes (``abuse_score>=0.45``, ``links>2``) stay what is stored, exported and sent to Coral
and Akismet clients: machines parse them. People get ``sentence(code, scores)``:
"Abuse 71%, holds at 45%".
"""

from __future__ import annotations

import re

from service.decisions import language, policy

_SCORE_RE = re.compile(r"^(spam|abuse)_score>=([0-9.e-]+)$")
_FIXED = {
    "scorer_unavailable": "The classifier was unavailable, so a person decides",
    "log_only": "Log-only mode: published whatever the policy said",
    "article_premoderated": "The article is pre-moderated: every comment waits for a person",
    # Set by moderators (service.commenters), in force for every comment until changed.
    "commenter:hold": "A moderator holds every comment of this commenter",
    "domain:hold": "Every comment from this email domain is held (a domain rule)",
    "trusted:moderator": "Trusted by a moderator",
    policy.PHONE_NUMBER: "Gives a phone number (promotions do, and so does exposing someone)",
    policy.STYLED_LETTERS: "Written partly in styled letters, as promotions hide a site's name",
}


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def sentence(code: str, scores: dict | None = None, status: str | None = None) -> str:
    """``code`` in words; ``scores``: the comment's {"spam": p, "abuse": p}; ``status``: what the
    policy chose. A code does not say whether its line held or rejected (a rejected comment's
    other label may only have reached its hold line), so only a held comment says "holds at"."""
    if code in _FIXED:
        return _FIXED[code]
    match = _SCORE_RE.match(code)
    if match:
        label, at = match.group(1), float(match.group(2))
        score = (scores or {}).get(label)
        said = f"{label.capitalize()} {_pct(score)}" if score is not None \
            else f"{label.capitalize()} score"
        if status == "pending":
            return f"{said}, holds at {_pct(at)}"
        return f"{said}, at or over the {_pct(at)} line"
    kind, _, rest = code.partition(":")
    if kind == "blocked_term":
        return f"Contains the blocked term \u201c{rest}\u201d"
    if kind == "watched_term":
        return f"Contains the watched term \u201c{rest}\u201d"
    if kind == "trusted" and rest.startswith("approved>="):
        return f"Trusted commenter: {rest.split('>=', 1)[1]} or more comments approved before"
    if kind == "language_unscored":
        return f"No model for {language.name(rest)} yet: only the rules decide"
    if kind == "language_hold":
        return f"Comments in {language.name(rest)} are held for a person (the site's setting)"
    if code.startswith("repeated>="):
        return (f"The same text came in {code[len('repeated>='):]} times or more recently, "
                "from several commenters or under several articles")
    if code.startswith("links>"):
        return f"More than {code[len('links>'):]} links"
    return code
