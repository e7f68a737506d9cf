"""GET /metrics: counters that add up to the traffic sent, the queue read at scrape time, access
limited to internal networks or a token, and several gunicorn workers adding up."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from ops_helpers import put
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from serving import free_port, gunicorn_conf
from service.review.queue import Moderation

ROOT = Path(__file__).resolve().parents[2]

# The model's opinion must not matter: terms decide, every score threshold is out of reach.
TERMS = {**{f"MODERATION_{label}_{kind}": "1" for label in ("SPAM", "ABUSE")
            for kind in ("HOLD", "REJECT")},
         "MODERATION_BLOCKED_TERMS": "casino", "MODERATION_WATCHED_TERMS": "referendum"}


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted label items): value} of a Prometheus text page."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def scrape(client, **kwargs) -> dict[tuple, float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    return samples(response.get_data(as_text=True))


def delta(before: dict, after: dict, name: str, **labels) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def form(text: str, n: int, **overrides) -> dict:
    return {"comment": f"{text} ({n})", "author": f"Reader {n}", "email": f"r{n}@example.org",
            "comment_post_ID": "demo", "comment_parent": "0", **overrides}


def test_counters_add_up_to_the_traffic_sent(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url, **TERMS)
    client = app.test_client()
    before = scrape(client)

    for n in range(5):
        assert client.post("/comments", data=form("Nice bridge", n)).status_code == 303
    for n in range(3):
        assert client.post("/api/comments", json=form("The referendum", n)).status_code == 201
    for n in range(2):
        assert client.post("/api/comments", json=form("casino", n)).status_code == 201
    assert client.post("/comments", data=form("Nice bridge", 0)).status_code == 303  # duplicate
    assert client.post("/api/comments", json=form("", 9, comment="")).status_code == 400
    assert client.post("/api/comments", json=form("Hi", 9, email="nope")).status_code == 400
    assert client.post("/comments", data=form("Hi", 9, email_confirm="bot@x.org")) \
        .status_code == 400

    after = scrape(client)
    received = "moderation_comments_received_total"
    assert delta(before, after, received, outcome="published", channel="form") == 5
    assert delta(before, after, received, outcome="pending", channel="json") == 3
    assert delta(before, after, received, outcome="rejected", channel="json") == 2
    errors = "moderation_comment_errors_total"
    assert {code: delta(before, after, errors, code=code) for code in (
        "duplicate", "comment_required", "email_invalid", "honeypot")} == \
        {"duplicate": 1, "comment_required": 1, "email_invalid": 1, "honeypot": 1}
    requests = "moderation_http_requests_total"
    assert delta(before, after, requests, endpoint="intake.create_comment", method="POST",
                 status="303") == 6
    assert delta(before, after, requests, endpoint="intake.create_comment_api", method="POST",
                 status="201") == 5
    latency = "moderation_http_request_duration_seconds_count"
    assert delta(before, after, latency, endpoint="intake.create_comment") == 7
    assert delta(before, after, latency, endpoint="intake.create_comment_api") == 7
    # Scored: the ten stored comments and the duplicate (scoring comes before the lookup).
    assert delta(before, after, "moderation_scoring_duration_seconds_count") == 11
    assert after[("moderation_queue_depth", ())] == 3
    assert after[("moderation_queue_oldest_age_seconds", ())] >= 0
    assert after[("moderation_database_up", ())] == 1
    version = app.extensions["scorer"].scorer.version
    assert after[("moderation_model_info", (("version", version),))] == 1


def test_queue_age_is_the_oldest_pending_comment(make_app, db_url):
    from datetime import timedelta

    from service.storage.tables import utcnow

    app = make_app(MODERATION_DATABASE_URL=db_url)
    store = app.extensions["store"]
    put(store, "pending", at=utcnow() - timedelta(hours=3))
    put(store, "pending", at=utcnow() - timedelta(hours=1))
    put(store, "published", at=utcnow() - timedelta(hours=9))
    page = scrape(app.test_client())
    assert page[("moderation_queue_depth", ())] == 2
    assert 3 * 3600 <= page[("moderation_queue_oldest_age_seconds", ())] < 4 * 3600


def test_moderator_decisions_are_counted_by_action(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url)
    store, client = app.extensions["store"], app.test_client()
    ids = [put(store, "pending") for _ in range(3)]
    before = scrape(client)
    moderation = Moderation(store.engine)
    moderation.decide_many(ids[:2], "ann", "reject", "spam")
    moderation.decide(ids[2], "ann", "approve")
    moderation.undo_last("ann")
    after = scrape(client)
    decided = "moderation_moderator_decisions_total"
    assert [delta(before, after, decided, action=action)
            for action in ("reject", "approve", "undo")] == [2, 1, 1]


def test_feed_requests_answered_before_flask_are_counted_too(make_app):
    client = make_app(**TERMS).test_client()
    assert client.post("/api/comments", json={**form("Nice bridge", 1),
                                              "comment_post_ID": "counted"}).status_code == 201
    url = "/api/articles/counted/comments"
    before = scrape(client)
    etag = client.get(url).headers["ETag"]  # rendered by Flask
    assert client.get(url).status_code == 200  # from the page cache, before Flask
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304  # likewise
    after = scrape(client)
    requests, endpoint = "moderation_http_requests_total", "feed.article_comments"
    assert [delta(before, after, requests, endpoint=endpoint, method="GET", status=status)
            for status in ("200", "304")] == [2, 1]
    assert delta(before, after, "moderation_http_request_duration_seconds_count",
                 endpoint=endpoint) == 3


@pytest.mark.parametrize("remote, config, headers, status", [
    ("127.0.0.1", {}, {}, 200),
    ("203.0.113.9", {}, {}, 404),
    ("10.1.2.3", {"MODERATION_METRICS_ALLOW": "10.0.0.0/8"}, {}, 200),
    ("203.0.113.9", {"MODERATION_METRICS_TOKEN": "s3cret"},
     {"Authorization": "Bearer s3cret"}, 200),
    ("203.0.113.9", {"MODERATION_METRICS_TOKEN": "s3cret"},
     {"Authorization": "Bearer wrong"}, 404),
    ("127.0.0.1", {"MODERATION_METRICS_ALLOW": ""}, {}, 404),
])
def test_metrics_only_for_internal_networks_or_the_token(make_app, remote, config, headers,
                                                          status):
    client = make_app(**config).test_client()
    response = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": remote})
    assert response.status_code == status


def test_behind_a_proxy_the_readers_address_is_checked_not_the_proxys(make_app):
    client = make_app(MODERATION_PROXY_HOPS="1").test_client()
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                         headers={"X-Forwarded-For": "203.0.113.9"})
    assert outside.status_code == 404


# -- several gunicorn workers ---------------------------------------------------------------------

def _post(base: str, n: int) -> None:
    request = urllib.request.Request(f"{base}/api/comments", method="POST",
                                     data=json.dumps(form("Served", n)).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201


def _wait_ready(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        assert server.poll() is None, "gunicorn exited"
        assert time.monotonic() < deadline, "gunicorn did not become ready"
        time.sleep(0.2)


def test_two_gunicorn_workers_add_up_in_one_scrape(tmp_path, sqlite_url):
    """Worker A is kept busy with a request whose body has not arrived, so worker B answers the
    next five; then A finishes its one. Each worker counted its own, and /metrics, whichever
    worker answers it, shows the sum."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_99999.db").write_bytes(b"left over from an earlier run")
    env = {**os.environ, "MODERATION_INSTANCE_PATH": str(tmp_path / "instance"),
           "MODERATION_DATABASE_URL": sqlite_url, "MODERATION_RATE_LIMIT": "off",
           "MODERATION_REQUEST_LOG": "false", "GUNICORN_ACCESSLOG": "", "GUNICORN_WORKERS": "2",
           # Sync workers: one held on the slow request cannot take the next five.
           "GUNICORN_WORKER_CLASS": "sync", "GUNICORN_THREADS": "1",
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--config", "service/gunicorn_conf.py",
         "--bind", f"127.0.0.1:{port}", "service:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_ready(base, server)
        assert not (metrics_dir / "counter_99999.db").exists()  # emptied at start
        body = json.dumps(form("Held back", 99)).encode()
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(b"POST /api/comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        for n in range(5):
            _post(base, n)
        slow.sendall(body)
        assert slow.recv(4096).startswith(b"HTTP/1.1 201")
        slow.close()
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
            page = samples(response.read().decode())
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert sum(value for (name, _), value in page.items()
               if name == "moderation_comments_received_total") == 6
    per_worker = sorted(_received(path) for path in metrics_dir.glob("counter_*.db"))
    assert per_worker == [1, 5]


def _received(path: Path) -> float:
    return sum(sample.value for metric in MultiProcessCollector.merge([str(path)])
               for sample in metric.samples
               if sample.name == "moderation_comments_received_total")


def test_metrics_directories_no_live_server_holds_are_removed(tmp_path):
    conf = gunicorn_conf()
    killed = tmp_path / f"{conf.METRICS_PREFIX}killed"  # its master died without cleaning up
    killed.mkdir()
    (killed / ".master.lock").touch()
    (killed / "counter_1.db").write_bytes(b"counts")
    old_empty = tmp_path / f"{conf.METRICS_PREFIX}old"  # from before there were lock files
    old_empty.mkdir()
    hour_ago = time.time() - 3600
    os.utime(old_empty, (hour_ago, hour_ago))
    being_made = tmp_path / f"{conf.METRICS_PREFIX}new"  # an older server starting right now
    being_made.mkdir()
    unrelated = tmp_path / "something-else"
    unrelated.mkdir()
    live, lock = conf.own_metrics_dir(str(tmp_path))  # a running server's
    try:
        removed = conf.remove_stale_metrics_dirs(str(tmp_path))
        assert removed == [str(killed), str(old_empty)]
        assert Path(live).is_dir() and being_made.is_dir() and unrelated.is_dir()
    finally:
        os.close(lock)
    assert conf.remove_stale_metrics_dirs(str(tmp_path)) == [live]  # its server is gone now


def test_comments_are_counted_per_language(make_app):
    client = make_app(**TERMS).test_client()
    before = scrape(client)
    comments = ["Banjir lagi di Kampung Melayu, padahal katanya normalisasi sungai sudah selesai.",
                "Harga beras di pasar dekat rumah saya sudah naik dua ribu per kilo.",
                "The council meeting about the flooding is on Tuesday evening at seven.",
                "Mantap!"]
    for n, text in enumerate(comments):
        assert client.post("/api/comments", json=form(text, n)).status_code == 201
    after = scrape(client)
    counted = {language: delta(before, after, "moderation_comments_by_language_total",
                               language=language) for language in ("id", "en", "unknown")}
    assert counted == {"id": 2, "en": 1, "unknown": 1}
