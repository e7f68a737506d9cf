"""Blueprint: comment intake. `POST /comments` (the site's form, or JSON on request) and
`POST /api/comments` (JSON).

The view is thin: decode the body, run the bot traps and validation, then hand the comment to
the app's batcher, which scores, decides and stores it together with whatever else arrived at
the same time (`decide_and_store`, service.intake.batching). Form posts get Post/Redirect/Get; JSON
clients get JSON.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import (Blueprint, Flask, Response, current_app, jsonify, redirect, render_template,
                   request, url_for)
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from service.articles import records as articles
from service.intake import bots
from service.web import cors
from service.decisions import language_policy
from service.intake import limits
from service.ops import logs
from service.ops import metrics
from service.decisions import policy
from service.decisions.rules import repeat_key
from service.privacy import keys as privacy
from service.decisions import spot_checks
from service.intake.batching import Batcher
from service.decisions.hold_budget import HoldBudget
from service.storage.availability import DatabaseUnavailable, with_retries
from service.decisions.policy import Rules, Thresholds
from service.readers.notices import STATUS_TOKEN, status_token
from service.review.redirects import safe_target
from service.storage.store import Candidate, Outcome, ParentError, Store
from service.intake.submission import (MAX_PARENT_NUMBER, MAX_POST_ID_NUMBER, FieldError,
                                       Submission, validate)
from service.storage.tables import Article, utcnow

log = logging.getLogger(__name__)
bp = Blueprint("intake", __name__)
bp.after_request(cors.allow_site_origin)

DUPLICATE_MESSAGE = "Duplicate comment detected; it looks as though you\u2019ve already said that!"
FLOOD_MESSAGE = "You are posting comments too quickly. Slow down."
# A moderator's refusal (service.decisions.policy.REFUSED_*), said plainly: the reader is not left
# waiting for a comment no one will ever publish (EU DSA Art. 17 asks for the reason).
REFUSALS = {
    policy.REFUSED_BANNED: ("email", "Sorry, our moderators no longer accept comments from this "
                                     "email address."),
    policy.REFUSED_DOMAIN: ("email", "Sorry, we do not accept comments from email addresses at "
                                     "this domain. Please use another address."),
}

# Defaults used only when the model card does not suggest thresholds.
FALLBACK_THRESHOLDS = {"spam": {"hold": 0.5, "reject": 0.97},
                       "abuse": {"hold": 0.5, "reject": 0.9}}


_SURROGATE = re.compile("[\ud800-\udfff]")


class BadEncoding(BadRequest):
    description = "The request body is not valid UTF-8 form data or JSON."


def store() -> Store:
    return current_app.extensions["store"]


# -- reading the request --------------------------------------------------------------------------

# JSON clients may send these as numbers, as service/openapi.json says: whole numbers from 0 up to
# these bounds.
_ID_NUMBER_LIMITS = {"comment_post_ID": MAX_POST_ID_NUMBER, "comment_parent": MAX_PARENT_NUMBER}


def _as_text(name: str, value: Any) -> str:
    """A JSON field's value as the form would send it: null is an empty field, a number its
    digits. (service/openapi.json says which fields take which.)"""
    if value is None:
        return ""
    if name in _ID_NUMBER_LIMITS and isinstance(value, (int, float)) \
            and not isinstance(value, bool):
        # JSON has one kind of number: 60.0 is the whole number 60, as JSON Schema counts it.
        if not 0 <= value <= _ID_NUMBER_LIMITS[name] \
                or (isinstance(value, float) and not value.is_integer()):
            raise BadEncoding(f"{name} must be text or a whole number from 0 to "
                              f"{_ID_NUMBER_LIMITS[name]}.")
        return str(int(value))
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise BadEncoding("Fields must be strings or numbers.")


def read_fields() -> dict[str, str]:
    """The posted fields as text. Form bodies are decoded strictly: a byte sequence that is not
    UTF-8 is a 400, not silently replaced (werkzeug's default), so nothing is stored garbled."""
    mimetype = request.mimetype
    if request.is_json:
        try:
            data = request.get_json(silent=True)
        except RecursionError:  # nested deeper than the JSON decoder goes: not a form anyway
            data = None
        if not isinstance(data, dict):
            raise BadEncoding("The body must be a JSON object of fields.")
        fields = {str(key): _as_text(str(key), value) for key, value in data.items()}
        # JSON escapes can spell lone surrogates ("\ud800"): not characters, and not storable.
        if any(_SURROGATE.search(value) for value in fields.values()):
            raise BadEncoding()
    elif mimetype == "application/x-www-form-urlencoded":
        try:
            body = request.get_data(cache=True).decode("ascii")
            fields = dict(parse_qsl(body, keep_blank_values=True, encoding="utf-8",
                                    errors="strict"))
        except UnicodeDecodeError as exc:
            raise BadEncoding() from exc
    elif mimetype == "multipart/form-data":
        fields = request.form.to_dict()
        # Werkzeug decodes multipart fields with errors="replace" and offers no strict mode; a
        # replacement character is what a byte that is not UTF-8 turns into.
        if any("\ufffd" in value for value in fields.values()):
            raise BadEncoding()
    else:
        raise UnsupportedMediaType("Send the comment form as form data or JSON.")
    if any("\x00" in value for value in fields.values()):
        raise BadEncoding("Fields must not contain NUL characters.")
    return fields


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    # A browser's form post prefers HTML (and */* counts as HTML); fetch() with
    # "Accept: application/json" gets JSON.
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) \
        == "application/json"


# -- deciding -------------------------------------------------------------------------------------

def policy_rules(config: dict, card_thresholds: dict | None) -> Rules:
    """The policy's rules from configuration, with thresholds the operator left empty taken from
    the model card of the classifier in use."""
    thresholds = {}
    for label in policy.LABELS:
        card = (card_thresholds or FALLBACK_THRESHOLDS).get(label, FALLBACK_THRESHOLDS[label])
        hold = config[f"MODERATION_{label.upper()}_HOLD"]
        reject = config[f"MODERATION_{label.upper()}_REJECT"]
        thresholds[label] = Thresholds(card["hold"] if hold is None else hold,
                                       card["reject"] if reject is None else reject)
    return Rules(
        thresholds=thresholds,
        max_links=config["MODERATION_MAX_LINKS"],
        hold_phone_numbers=config["MODERATION_HOLD_PHONE_NUMBERS"],
        hold_styled_letters=config["MODERATION_HOLD_STYLED_LETTERS"],
        blocked_terms=config["MODERATION_BLOCKED_TERMS"],
        watched_terms=config["MODERATION_WATCHED_TERMS"],
        trusted_after=config["MODERATION_TRUSTED_AFTER"],
        trusted_hold_boost=config["MODERATION_TRUSTED_HOLD_BOOST"],
        log_only=config["MODERATION_LOG_ONLY"],
        repeat_limit=config["MODERATION_REPEAT_LIMIT"].count
        if config["MODERATION_REPEAT_LIMIT"] else 0,
    )


def _submit(sub: Submission, permalink: str, article: Article | None) -> Outcome:
    config = current_app.config
    language_policy.follow_models(current_app._get_current_object())
    candidate = Candidate(
        post_id=sub.post_id, parent_id=sub.parent_id, author=sub.author, email=sub.email,
        email_hash=privacy.email_hash(config["MODERATION_EMAIL_HASH_KEY"], sub.email),
        email_domain=privacy.email_domain(sub.email), url=sub.url, text=sub.text,
        permalink=permalink,
        ip_hash=privacy.ip_hash(config["MODERATION_IP_HASH_KEY"], request.remote_addr or ""),
        user_agent=request.user_agent.string[:500],
        premoderated=bool(article and article.premoderated),
        text_key=repeat_key(sub.text) if config["MODERATION_REPEAT_LIMIT"] else None,
    )
    return current_app.extensions["intake_batcher"].submit(candidate)


def decide_and_store(app: Flask, candidates: list[Candidate]) -> list[Outcome | Exception]:
    """Score, decide and store a group of comments that arrived together (service.intake.batching):
    one scoring call per language that has a model, and one transaction for all of them."""
    config = app.config
    # Each comment's language decides whether and by which model it is scored, and its rules
    # (service.decisions.language_policy).
    judged = language_policy.judge(app, [candidate.text for candidate in candidates],
                                   partial(policy_rules, config),
                                   websites=[candidate.url for candidate in candidates])
    picker = app.extensions["spot_checks"]
    items = [(replace(candidate, scores=j.scored.scores, model_version=j.scored.model_version,
                      language=j.plan.language),
              partial(_decide, j.scored.scores, candidate.text,
                      replace(j.rules, premoderated=candidate.premoderated), picker))
             for candidate, j in zip(candidates, judged)]
    checks = dict(duplicate_window=config["MODERATION_DUPLICATE_WINDOW_SECONDS"],
                  rate=config["MODERATION_RATE_LIMIT"],
                  trust_cap=config["MODERATION_TRUSTED_AFTER"],
                  repeats=config["MODERATION_REPEAT_LIMIT"])
    store_ = app.extensions["store"]
    wait = config["MODERATION_DB_WAIT_SECONDS"]
    # Scored once; only the group's transaction is retried while the database is unavailable
    # (service.storage.availability), and DatabaseUnavailable goes to every request of the group.
    try:
        return with_retries(lambda: store_.enqueue_many(items, **checks), wait)
    except DatabaseUnavailable:
        raise
    except Exception:
        if len(items) == 1:
            raise
    # One comment's failure (a reply whose parent was just removed) must not cost the others
    # theirs: store them one by one instead.
    outcomes: list[Outcome | Exception] = []
    for item in items:
        try:
            outcomes.append(with_retries(lambda: store_.enqueue(*item, **checks), wait))
        except Exception as exc:  # noqa: BLE001 - raised to that comment's request only
            outcomes.append(exc)
    return outcomes


def _decide(scores, text: str, rules: Rules, picker: spot_checks.Picker,
            history: policy.History) -> policy.Decision:
    return picker.mark(policy.decide(scores, text, history, rules))


def init_app(app: Flask) -> None:
    language_policy.init_app(app)
    app.extensions["intake_batcher"] = Batcher(partial(decide_and_store, app))
    app.extensions["spot_checks"] = spot_checks.Picker(app.config["MODERATION_SPOT_CHECK_SHARE"])
    app.extensions["hold_budget"] = HoldBudget(
        app.config["MODERATION_HOLD_BUDGET"],
        lambda version, limit: app.extensions["store"].recent_scores(version, limit))
    app.register_blueprint(bp)


# -- answering ------------------------------------------------------------------------------------

def site_address(candidate: str | None) -> str | None:
    """`candidate` without its fragment when it is on our own host or a configured site origin
    (so neither a redirect nor an article's recorded address leads anywhere else); else None."""
    allowed = set(current_app.config["MODERATION_CORS_ORIGINS"]) - {"*"}
    own = f"{request.scheme}://{request.host}"
    target = safe_target(candidate, origins=allowed | {own})
    return urlunsplit(urlsplit(target)._replace(fragment="")) if target is not None else None


def return_url(permalink: str) -> str:
    """Where to send the reader back to: the form's permalink, else the Referer, else the demo
    article; only our own host or a configured site origin, so the endpoint is no open redirect.
    The comment's own anchor replaces any fragment."""
    return site_address(permalink) or site_address(request.referrer) or url_for("feed.article")


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in params] + list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def comment_url(base: str, comment, status_token: str | None = None) -> str:
    """Published: the comment's anchor. Held or rejected: the "awaiting moderation" marker (a
    rejected comment is not announced as such on the article, which would teach a spammer what
    passes), with the commenter's private status link's token when given: their page says
    what became of it, and why (service/readers/notices.py)."""
    if comment.status == "published":
        return f"{base}#comment-{comment.id}"
    marker = {"unapproved": str(comment.id), "moderation": "awaiting"}
    if status_token:
        marker[STATUS_TOKEN] = status_token
    return _with_query(base, **marker) + "#respond"


def comment_json(comment) -> dict:
    return {"id": comment.id, "status": comment.status, "scores": comment.scores,
            "reasons": list(comment.reasons), "language": comment.language}


def error_json(http_status: int, errors: list[dict], headers: dict | None = None,
               **extra: Any) -> Response:
    response = jsonify({"error": errors[0], "errors": errors, **extra})
    response.status_code = http_status
    response.headers.update(headers or {})
    return response


def form_page(status: int, messages: list[str], fields: dict[str, str],
              headers: dict | None = None, closed: bool = False) -> Response:
    """The comment form again, with the messages and everything the reader typed; for a closed
    article, what they typed without a form to send it again."""
    post_id = fields.get("comment_post_ID", "")
    html = render_template(
        "comment_form_page.html", messages=messages, values=fields, closed=closed,
        post_id=post_id, permalink=fields.get("permalink", ""),
        back_url=return_url(fields.get("permalink", "")),
        rendered_at=bots.form_timestamp(current_app.config["SECRET_KEY"], post_id))
    return Response(html, status=status, headers=headers or {})


def _refuse(status: int, errors: list[FieldError] | list[dict], fields: dict[str, str],
            headers: dict | None = None) -> Response:
    as_dicts = [e.as_json() if isinstance(e, FieldError) else e for e in errors]
    for error in as_dicts:
        metrics.comment_refused(error["code"])
    if wants_json():
        return error_json(status, as_dicts, headers)
    return form_page(status, [e["message"] for e in as_dicts], fields, headers,
                     closed=any(e["code"] == CLOSED for e in as_dicts))


CLOSED = "comments_closed"


def _note_article(article: Article | None, sub: Submission) -> None:
    """Tell the article store what this form said of its article, when that adds anything: the
    first comment's time, or a title, address or section it does not know yet."""
    permalink = site_address(sub.permalink)
    if article is not None and article.first_comment_at is not None \
            and not (sub.title and not article.title) \
            and not (sub.section and not article.section) \
            and not (permalink and not article.permalink):
        return
    try:
        current_app.extensions["articles"].note_from_form(
            sub.post_id, title=sub.title, permalink=permalink, section=sub.section,
            commented_at=utcnow())
    except SQLAlchemyError:
        # The comment is stored; the article's details can come with its next one.
        log.exception("article %r not noted", sub.post_id)


@bp.post("/comments")
def create_comment() -> Response:
    fields = read_fields()
    config = current_app.config
    trap = bots.check(fields, config["SECRET_KEY"], config["MODERATION_MIN_SUBMIT_SECONDS"])
    if trap is not None:
        log.info("bot trap %s on post %r", trap.code, fields.get("comment_post_ID"))
        return _refuse(400, [{"field": None, "code": trap.code, "message": trap.message}], fields)
    sub, errors = validate(fields)
    if sub is None:
        return _refuse(400, errors, fields)

    permalink = return_url(sub.permalink)
    wait = limits.commenter_wait(sub.email)  # before scoring: a flood costs no CPU
    if wait is not None:
        return _answer(Outcome("flooded", retry_after=wait), permalink, fields)
    try:
        article = with_retries(lambda: store().article(sub.post_id),
                               config["MODERATION_DB_WAIT_SECONDS"])
        if articles.is_closed(article, articles.site_rule(config), utcnow()):
            # Nothing is scored or kept: the site's own words, and what they typed, back.
            return _refuse(403, [{"field": None, "code": CLOSED,
                                  "message": articles.CLOSED_MESSAGE}], fields)
        outcome = _submit(sub, permalink, article)
    except ParentError:
        # A well-formed reply to a comment that is gone (or was never published): the request
        # is fine, the thread's state refuses it.
        return _refuse(409, [FieldError("comment_parent", "parent_invalid")], fields)
    except DatabaseUnavailable as down:
        return _refuse(503, [{"field": None, "code": down.code, "message": down.message}],
                       fields, {"Retry-After": str(down.retry_after)})
    if outcome.kind == "created":
        limits.count_comment(sub.email)
        _note_article(article, sub)

    return _answer(outcome, permalink, fields)


def _answer(outcome: Outcome, permalink: str, fields: dict[str, str]) -> Response:
    if outcome.kind == "flooded":
        retry = {"Retry-After": str(outcome.retry_after)}
        return _refuse(429, [{"field": None, "code": "flood", "message": FLOOD_MESSAGE}],
                       fields, retry)
    if outcome.kind == "refused":
        field, message = REFUSALS[outcome.refusal]
        return _refuse(403, [{"field": field, "code": outcome.refusal, "message": message}],
                       fields)
    comment = outcome.comment
    if outcome.kind == "duplicate":
        metrics.comment_refused("duplicate")
        if wants_json():
            return error_json(409, [{"field": "comment", "code": "duplicate",
                                     "message": DUPLICATE_MESSAGE}], **comment_json(comment))
        # A double-click: send the reader where the first copy sent them.
        return redirect(comment_url(comment.permalink or permalink, comment), 303)
    metrics.comment_received(comment.status, "json" if request.is_json else "form")
    metrics.comment_language(comment.language)
    # The version that scored this comment: a swap since then must not be logged in its name.
    logs.comment_outcome(comment.id, comment.status, comment.model_version)
    # Only the one who wrote it gets its status link: not a duplicate's sender, whom the
    # fingerprint (article, author, text) does not tell from its writer.
    notices = current_app.extensions["commenter_notices"]
    if comment.status == "rejected":
        notices.after_decisions([comment])
    if wants_json():
        response = jsonify({**comment_json(comment), "status_url": notices.status_url(comment.id)})
        response.status_code = 201
        response.headers["Location"] = comment_url(permalink, comment)
        return response
    # A published comment's address is its anchor: only a held or rejected one carries the link.
    token = None if comment.status == "published" else status_token(
        current_app.config["SECRET_KEY"], comment.id)
    return redirect(comment_url(permalink, comment, token), 303)


# The same view answers JSON clients at their own URL; `url_for("intake.create_comment")` stays
# the form's action.
bp.add_url_rule("/api/comments", "create_comment_api", create_comment, methods=["POST"])
