"""Blueprint: the Akismet API (version 1.1), so WordPress and other CMSs' Akismet clients can use
this service by changing only the host they call.

`POST /1.1/verify-key`, `/1.1/comment-check`, `/1.1/submit-spam`, `/1.1/submit-ham`, form-encoded
with Akismet's parameter names; answers in Akismet's plain-text words: `valid`/`invalid`,
`true`/`false` (with `X-akismet-pro-tip: discard` for blatant spam), "Thanks for making the web a
better place.". An unknown or revoked key gets `invalid` with an `X-akismet-debug-help` header,
as Akismet answers it (HTTP 200: its clients read the body, not the status).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from service.privacy import keys as privacy
from service.integrations import apikeys, records
from service.integrations.assessment import DISCARD, HAM, SPAM, akismet_verdict, assess
from service.storage.store import Candidate
from service.intake.submission import clean_text
from service.storage.tables import ApiKey

bp = Blueprint("akismet", __name__, url_prefix="/1.1")

THANKS = "Thanks for making the web a better place."
# WordPress's plugin sends every form field and HTTP header along with a comment of up to 64 KiB.
MAX_BODY_BYTES = 512 * 1024
# Akismet's documented test trigger: this author is always answered `true`.
TEST_SPAM_AUTHOR = "viagra-test-123"


def _text(body: str, headers: dict[str, str] | None = None) -> Response:
    return Response(body, 200, headers or {}, mimetype="text/plain")


def _invalid(why: str) -> Response:
    return _text("invalid", {"X-akismet-debug-help": why})


def _authenticate(key: str) -> ApiKey | None:
    return apikeys.active_key(current_app.extensions["store"].engine,
                              current_app.config["MODERATION_API_KEY_HASH_KEY"], key)


def _is_test(value: str) -> bool:
    return value.strip().lower() not in {"", "0", "false"}


@bp.post("/verify-key")
def verify_key() -> Response:
    form = request.form
    key = form.get("key") or form.get("api_key") or ""
    if not key:
        return _invalid('Empty "key" value')
    if not form.get("blog"):
        return _invalid('Empty "blog" value')
    if _authenticate(key) is None:
        return _invalid("The API key is unknown or has been revoked.")
    return _text("valid")


def _checked_call() -> tuple[ApiKey | None, Response | None]:
    """The caller's key, or the answer that refuses the call."""
    form = request.form
    key = _authenticate(form.get("api_key", ""))
    if key is None:
        why = "The API key is unknown or has been revoked." if form.get("api_key") \
            else 'Empty "api_key" value'
        return None, _invalid(why)
    for field in ("blog", "user_ip"):
        if not form.get(field, "").strip():
            return None, _text(f"Missing required field: {field}.",
                               {"X-akismet-debug-help": f'Empty "{field}" value'})
    return key, None


def _fingerprint(form) -> str:
    return records.fingerprint(form.get("blog", ""), form.get("permalink", ""),
                               form.get("comment_author", ""), form.get("comment_content", ""))


@bp.post("/comment-check")
def comment_check() -> Response:
    key, refusal = _checked_call()
    if refusal is not None:
        return refusal
    form = request.form
    assessment = assess(clean_text(form.get("comment_content", "")),
                        form.get("comment_author_url", ""))
    verdict = akismet_verdict(assessment)
    if form.get("comment_author", "") == TEST_SPAM_AUTHOR and verdict == HAM:
        verdict = SPAM
    records.record_check(
        current_app.extensions["store"].engine, source="akismet", api_key_id=key.id,
        fingerprint=_fingerprint(form), article=form.get("permalink", ""),
        ip_hash=privacy.ip_hash(current_app.config["MODERATION_IP_HASH_KEY"], form["user_ip"]),
        assessment=assessment, answer=verdict, is_test=_is_test(form.get("is_test", "")))
    if verdict == HAM:
        return _text("false")
    return _text("true", {"X-akismet-pro-tip": "discard"} if verdict == DISCARD else None)


def _submit(label: str) -> Response:
    key, refusal = _checked_call()
    if refusal is not None:
        return refusal
    form = request.form
    text = clean_text(form.get("comment_content", ""))
    # Akismet keeps test calls out of its training data; so do we. Nothing to learn from an
    # empty comment either.
    if text and not _is_test(form.get("is_test", "")):
        store = current_app.extensions["store"]
        records.record_label(
            store, label=label, decided_by=f"akismet:{key.name}"[:100],
            candidate=_candidate(form, text),
            assessment=assess(text, form.get("comment_author_url", "")),
            check_fingerprint=_fingerprint(form), api_key_id=key.id)
    return _text(THANKS)


def _candidate(form, text: str) -> Candidate:
    config = current_app.config
    # Keyed, so nobody can work out the post id and read the labelled comments in the feed.
    article = privacy.keyed_hash(config["MODERATION_API_KEY_HASH_KEY"],
                                 f"{form['blog']}\x1f{form.get('permalink', '')}")
    email = form.get("comment_author_email", "").strip()[:100]
    return Candidate(
        # Never a post id the site's own comment form can send (intake allows no colon), so
        # labels never show up in the published feed of a real article.
        post_id=f"akismet:{article[:24]}", author=form.get("comment_author", "").strip()[:245],
        email=email, email_hash=privacy.email_hash(config["MODERATION_EMAIL_HASH_KEY"], email),
        text=text,
        ip_hash=privacy.ip_hash(config["MODERATION_IP_HASH_KEY"], form["user_ip"]),
        url=form.get("comment_author_url", "").strip()[:200],
        permalink=form.get("permalink", "").strip()[:2000],
        user_agent=form.get("user_agent", "")[:500])


@bp.post("/submit-spam")
def submit_spam() -> Response:
    return _submit("spam")


@bp.post("/submit-ham")
def submit_ham() -> Response:
    return _submit("ham")
