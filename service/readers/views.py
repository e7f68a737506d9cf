"""Blueprint: readers report a published comment.

- `GET /comments/<id>/report`: the report form (the "Report" link under every comment on the
  demo page, the article pages and the embed), `POST` to the same address: the form's answer.
- `POST /api/comments/<id>/reports`: the same as JSON, for a site's own pages.

No login. The form carries a token signed for this comment and this reader (`report_token`),
and the JSON endpoint takes JSON only, which a browser sends cross-site only after a CORS
preflight that only the site's own origins pass: so no other site can make its visitors'
browsers report a comment, one distinct reader each. Answers are never cached: the form holds
the reader's own token.
"""

from __future__ import annotations

import logging

from flask import (Blueprint, Flask, Response, current_app, jsonify, redirect, render_template,
                   request, url_for)
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from service.web import cors
from service.intake import views as intake
from service.ops import metrics
from service.privacy import keys as privacy
from service.feed.views import DEMO_POST_ID
from service.readers import reports
from service.readers.problems import Problem, Refused
from service.readers.reports import ALREADY, THANKS, ReportInput, problem
from service.web.security_headers import no_store
from service.storage.tables import Comment

log = logging.getLogger(__name__)
bp = Blueprint("readers", __name__)
bp.after_request(cors.allow_site_origin)
bp.after_request(no_store)

FORM_HOURS = 24  # how long a report form stays good


def _reports() -> reports.Reports:
    return current_app.extensions["reports"]


def _reporter() -> str:
    return privacy.reporter_hash(current_app.config["MODERATION_IP_HASH_KEY"],
                                 request.remote_addr or "")


def _form_tokens() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="report-form")


def form_token(comment_id: int, reporter: str) -> str:
    return _form_tokens().dumps({"comment": comment_id, "reader": reporter})


def token_fits(token: str, comment_id: int, reporter: str) -> bool:
    """Whether `token` was signed for this comment and this reader, within FORM_HOURS."""
    try:
        payload = _form_tokens().loads(token, max_age=FORM_HOURS * 3600)
    except BadSignature:  # also SignatureExpired
        return False
    return payload == {"comment": comment_id, "reader": reporter}


def _file(comment_id: int, report: ReportInput) -> reports.Filed:
    config = current_app.config
    filed = _reports().file(comment_id, _reporter(), report,
                            threshold=config["MODERATION_REPORTS_TO_QUEUE"],
                            hide=config["MODERATION_HIDE_REPORTED"],
                            rate=config["MODERATION_REPORT_RATE_LIMIT"])
    metrics.report_received("counted" if filed.counted else "repeat")
    if filed.returned:
        log.info("comment %d back in the queue: reported by readers", comment_id)
    return filed


def _comment(comment_id: int) -> Comment | None:
    if comment_id > reports.MAX_ID:  # no such comment, and more than the databases' integers
        return None
    return current_app.extensions["store"].get(comment_id)


def article_url(comment: Comment | None) -> str:
    """The comment on its article: the page it was written on, else this service's page of
    that article."""
    if comment is None:
        return url_for("feed.article")
    article = intake.site_address(comment.permalink) or (
        url_for("feed.article") if comment.post_id == DEMO_POST_ID
        else url_for("feed.article_thread", post_id=comment.post_id))
    return f"{article}#comment-{comment.id}"


# -- the form -------------------------------------------------------------------------------------

def _page(comment: Comment | None, *, status: int = 200, problems: list[Problem] = (),
          values: dict | None = None, sent: str | None = None) -> Response:
    shown = comment if comment is not None and reports.reportable(comment) else None
    html = render_template(
        "report.html", comment=shown, reasons=reports.REASON_LABELS,
        messages=[each.message for each in problems], values=values or {},
        token=form_token(comment.id, _reporter()) if shown else "",
        sent={"new": THANKS, "again": ALREADY}.get(sent or ""), back_url=article_url(comment))
    return Response(html, status=status)


@bp.get("/comments/<int:comment_id>/report")
def report_page(comment_id: int) -> Response:
    comment = _comment(comment_id)
    if comment is None:
        return _page(None, status=404, problems=[problem("not_found")])
    if not reports.reportable(comment):
        return _page(comment, status=409, problems=[problem("not_published")])
    return _page(comment, sent=request.args.get("sent"))


@bp.post("/comments/<int:comment_id>/report")
def report_form(comment_id: int) -> Response:
    fields = request.form.to_dict()
    comment = _comment(comment_id)
    if comment is None or not reports.reportable(comment):
        return report_page(comment_id)
    report, problems = reports.validate(fields)
    if report is not None and not token_fits(fields.get("report_token", ""), comment_id,
                                             _reporter()):
        problems = [problem("form_expired")]
    if problems:
        for each in problems:
            metrics.report_received(each.code)
        return _page(comment, status=problems[0].status, problems=problems, values=fields)
    try:
        filed = _file(comment_id, report)
    except Refused as refused:
        metrics.report_received(refused.problem.code)
        response = _page(comment, status=refused.problem.status, problems=[refused.problem],
                         values=fields)
        if refused.problem.retry_after:
            response.headers["Retry-After"] = str(refused.problem.retry_after)
        return response
    return redirect(url_for("readers.report_page", comment_id=comment_id,
                            sent="new" if filed.counted else "again"), 303)


# -- JSON -----------------------------------------------------------------------------------------

def json_fields(*names: str) -> dict[str, str]:
    """The text fields `names` of a JSON object body (null or absent: empty). JSON only: see
    the module's docstring."""
    if not request.is_json:
        raise UnsupportedMediaType(f"Send a JSON object with {' and '.join(names)}.")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest(f"The body must be a JSON object with {names[0]}.")
    fields = {}
    for name in names:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise BadRequest(f"{name} must be text.")
        fields[name] = value or ""
    return fields


def problems_json(problems: list[Problem]) -> Response:
    response = intake.error_json(problems[0].status, [p.as_json() for p in problems])
    if problems[0].retry_after:
        response.headers["Retry-After"] = str(problems[0].retry_after)
    return response


@bp.post("/api/comments/<int:comment_id>/reports")
def report_api(comment_id: int) -> Response:
    report, problems = reports.validate(json_fields("reason", "note"))
    if problems:
        for each in problems:
            metrics.report_received(each.code)
        return problems_json(problems)
    try:
        filed = _file(comment_id, report)
    except Refused as refused:
        metrics.report_received(refused.problem.code)
        return problems_json([refused.problem])
    response = jsonify({"comment_id": comment_id, "reason": report.reason,
                        "counted": filed.counted, "message": THANKS if filed.counted else ALREADY})
    response.status_code = 201 if filed.counted else 200
    return response


def init_app(app: Flask) -> None:
    app.extensions["reports"] = reports.Reports(app.extensions["store"].engine)
    app.register_blueprint(bp)
