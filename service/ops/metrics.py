"""Prometheus metrics: what flows in, what the queue holds, what moderators do.

Counters and histograms live at module level (prometheus_client's own registry), so the calls in
intake and moderation cost a dictionary lookup and an add, and work without an app context. Under
gunicorn, `service/gunicorn_conf.py` sets PROMETHEUS_MULTIPROC_DIR before any worker starts:
every worker then writes its values to a memory-mapped file there, and a scrape, whichever worker
answers it, adds them all up. Queue depth and the oldest pending comment's age are read from the
store when scraped (indexed queries; per section too), never counted per request.

Other modules call the plain functions below: `comment_received(outcome, channel)`,
`comment_language(code)`, `comment_refused(code)`, `scoring_time()`,
`moderator_decided(action, n)`, and `request_answered(...)` for requests answered before Flask
(service/feed/early.py).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from typing import Iterator

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge,
                               Histogram, generate_latest)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.exc import SQLAlchemyError

from service.classifier import scoring
from service.articles import sections
from service.decisions import spot_checks
from service.ops import stats
from service.readers import reports

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)

CHANNELS = ("form", "json", "akismet", "coral")
OUTCOMES = ("published", "pending", "rejected")

COMMENTS = Counter("moderation_comments_received", "Comments stored, by the policy's outcome "
                   "and the channel they came in by.", ["outcome", "channel"])
REFUSED = Counter("moderation_comment_errors", "Comment submissions refused (nothing stored), "
                  "by error code: validation, bot traps, duplicates, flood, moderators' bans "
                  "and domain rules.", ["code"])
LANGUAGES = Counter("moderation_comments_by_language", "Comments stored, by the language they "
                    "were identified in (`unknown`: too short or mixed to tell).", ["language"])
DECISIONS = Counter("moderation_moderator_decisions", "Comments decided by moderators, by "
                    "action (approve, reject, undo).", ["action"])
REPORTS = Counter("moderation_reader_reports", "Readers' reports of published comments, by "
                  "outcome: counted, repeat (the reader had reported it already), or the error "
                  "code that refused it.", ["outcome"])
REQUESTS = Counter("moderation_http_requests", "HTTP requests answered, by endpoint, method "
                   "and status.", ["endpoint", "method", "status"])
REQUEST_SECONDS = Histogram(
    "moderation_http_request_duration_seconds", "Time to answer a request, by endpoint.",
    ["endpoint"], buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
SCORING_SECONDS = Histogram(
    "moderation_scoring_duration_seconds",
    "Time the classifier took for one scoring call (the comments that arrived together).",
    buckets=(.0005, .001, .002, .004, .008, .016, .032, .064, .128, .256, 1))
# One series per version a live worker serves (max over workers: 1 while any serves it).
MODEL = Gauge("moderation_model_info", "The classifier version in service (value 1).",
              ["version"], multiprocess_mode="livemax")

_model_version: list[str] = []  # what this process last reported, to retire it on a swap


def comment_received(outcome: str, channel: str) -> None:
    """Count one stored comment. `outcome`: published, pending or rejected; `channel`: form,
    json, akismet or coral (the integrations' endpoints call this too)."""
    COMMENTS.labels(outcome, channel).inc()


def comment_language(language: str | None) -> None:
    LANGUAGES.labels(language or "unknown").inc()


def comment_refused(code: str) -> None:
    REFUSED.labels(code).inc()


def report_received(outcome: str) -> None:
    REPORTS.labels(outcome).inc()


def moderator_decided(action: str, n: int) -> None:
    if n:
        DECISIONS.labels(action).inc(n)


def scoring_time():
    """Context manager timing one scoring call."""
    return SCORING_SECONDS.time()


def model_in_service(version: str | None) -> None:
    version = version or "none"
    if _model_version and _model_version[0] != version:
        MODEL.labels(_model_version[0]).set(0)
    MODEL.labels(version).set(1)
    _model_version[:] = [version]


# -- per request ----------------------------------------------------------------------------------

# Labelled children looked up once per label set: `labels()` validates and locks on every call.
_request_children: dict[tuple, tuple] = {}


def _start_timer() -> None:
    g.started = time.perf_counter()


def request_answered(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    # Unmatched URLs share one label, not one each.
    key = (endpoint or "unmatched", method, status)
    children = _request_children.get(key)
    if children is None:
        children = _request_children[key] = (REQUEST_SECONDS.labels(key[0]),
                                             REQUESTS.labels(key[0], key[1], str(key[2])))
    children[0].observe(seconds)
    children[1].inc()


def _count_request(response: Response) -> Response:
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    current = request._get_current_object()  # one context lookup instead of three
    request_answered(current.endpoint, current.method, response.status_code, elapsed)
    return response


# -- scraping -------------------------------------------------------------------------------------

class QueueCollector:
    """Queue depth and the age of the oldest pending comment (in all, and per section), the
    spot checks and the readers' reports, read from the store at scrape time;
    `moderation_database_up` is 0 when the store does not answer."""

    def __init__(self, engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("moderation_database_up", "1 when the store answered the scrape.")
        try:
            snapshot = stats.queue_snapshot(self.engine)
            by_section = sections.queue_by_section(self.engine, snapshot.at)
            checks = spot_checks.tally(self.engine)
            reported = reports.counts(self.engine)
        except SQLAlchemyError as exc:
            log.warning("metrics: queue not read: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("moderation_queue_depth", "Comments waiting for a moderator.",
                                value=snapshot.depth)
        yield GaugeMetricFamily("moderation_queue_oldest_age_seconds",
                                "How long the oldest pending comment has waited (0: none).",
                                value=snapshot.oldest_age_seconds)
        depth = GaugeMetricFamily(
            "moderation_queue_depth_by_section", "Comments waiting for a moderator, by their "
            "article's section (\"\": articles without one).", labels=["section"])
        age = GaugeMetricFamily(
            "moderation_queue_oldest_age_seconds_by_section", "How long the oldest pending "
            "comment of each section has waited.", labels=["section"])
        for queue in by_section:
            depth.add_metric([queue.section or ""], queue.depth)
            age.add_metric([queue.section or ""], queue.oldest_age_seconds)
        yield depth
        yield age
        spot = GaugeMetricFamily(
            "moderation_spot_checks", "Published comments picked at random for a moderator to "
            "check: open (waiting), kept (approved) or removed (rejected). removed / (kept + "
            "removed) estimates the share of published comments moderators would remove.",
            labels=["state"])
        for state in ("open", "kept", "removed"):
            spot.add_metric([state], getattr(checks, state))
        yield spot
        by_state = GaugeMetricFamily(
            "moderation_reports", "Readers' reports of published comments: open (no moderator "
            "has decided the comment since), upheld (it was rejected) or dismissed (approved).",
            labels=["state"])
        for state, n in reported.items():
            by_state.add_metric([state], n)
        yield by_state


class _Scrape:
    """What one scrape reads: every worker's values (or this process's) plus the queue."""

    def __init__(self, *collectors) -> None:
        self.collectors = collectors

    def collect(self):
        for collector in self.collectors:
            yield from collector.collect()


def _allowed() -> bool:
    token = current_app.config["MODERATION_METRICS_TOKEN"]
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    try:
        client = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(client in network for network in current_app.config["MODERATION_METRICS_ALLOW"])


@bp.get("/metrics")
def metrics() -> Response:
    if not _allowed():
        # Not found, rather than forbidden: readers need not learn the endpoint exists.
        abort(404)
    model_in_service(getattr(scoring.current().scorer, "version", None))
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        base = CollectorRegistry()
        MultiProcessCollector(base)
    else:
        base = REGISTRY
    scrape = _Scrape(base, QueueCollector(current_app.extensions["store"].engine))
    return Response(generate_latest(scrape), content_type=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_count_request)
    app.register_blueprint(bp)
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    # A `flask` command given gunicorn's environment before gunicorn made the directory must
    # still run; the version is reported again at every scrape anyway.
    if directory is None or os.path.isdir(directory):
        model_in_service(getattr(app.extensions["scorer"].scorer, "version", None))
