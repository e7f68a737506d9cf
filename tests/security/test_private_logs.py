"""No raw IP address and no e-mail address in the logs: real traffic through gunicorn with the
service's own config file (access log on), then the captured output is searched for the
addresses the clients used."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from serving import free_port

ROOT = Path(__file__).resolve().parents[2]
CLIENT_IPS = ("203.0.113.77", "2001:db8::77")
EMAILS = ("ann.reader@example.org", "bob.writer@example.net")



def _request(port: int, method: str, path: str, *, ip: str, body: bytes | None = None,
             headers: dict | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        # One trusted proxy (MODERATION_PROXY_HOPS=1): the service sees `ip` as the client,
        # and so would gunicorn's default access log format.
        connection.request(method, path, body=body, headers={
            "X-Forwarded-For": ip, "User-Agent": f"Mozilla/5.0 (contact {EMAILS[1]})",
            "Referer": f"http://127.0.0.1:{port}/?from={EMAILS[1]}", **(headers or {})})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _traffic(port: int) -> dict[str, int]:
    form = {"comment": f"Write to me at {EMAILS[0]} about the bridge.", "author": "Ann",
            "email": EMAILS[0], "comment_post_ID": "demo", "comment_parent": "0"}
    as_form = {"Content-Type": "application/x-www-form-urlencoded"}
    as_json = {"Content-Type": "application/json"}
    statuses = {
        "page": _request(port, "GET", "/", ip=CLIENT_IPS[0]),
        "form": _request(port, "POST", "/comments", ip=CLIENT_IPS[0],
                         body=urlencode(form).encode(), headers=as_form),
        "json": _request(port, "POST", "/api/comments", ip=CLIENT_IPS[1], headers=as_json,
                         body=json.dumps({**form, "comment": "Second thought."}).encode()),
        "invalid": _request(port, "POST", "/api/comments", ip=CLIENT_IPS[1], headers=as_json,
                            body=json.dumps({**form, "email": f"{EMAILS[1]}@"}).encode()),
        "flood": _request(port, "POST", "/api/comments", ip=CLIENT_IPS[0], headers=as_json,
                          body=json.dumps({**form, "comment": "Third."}).encode()),
        "feed": _request(port, "GET", f"/api/articles/demo/comments?email={EMAILS[0]}",
                         ip=CLIENT_IPS[0]),
        "search": _request(port, "GET", f"/review/?q={EMAILS[0]}", ip=CLIENT_IPS[1]),
        "login": _request(port, "POST", "/auth/login", ip=CLIENT_IPS[1], headers=as_form,
                          body=urlencode({"name": EMAILS[1], "password": "x"}).encode()),
    }
    # A malformed request: gunicorn's error log names its client.
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        raw.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        raw.recv(1024)
    return statuses


@pytest.fixture
def gunicorn_log(tmp_path, sqlite_template):
    """Run gunicorn as `make serve` does (one worker), drive traffic, return what it logged."""
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copy(sqlite_template, instance / "moderation.sqlite3")
    port = free_port()
    env = {**os.environ, "MODERATION_INSTANCE_PATH": str(instance), "GUNICORN_WORKERS": "1",
           "GUNICORN_ACCESSLOG": "-", "MODERATION_PROXY_HOPS": "1",
           "MODERATION_RATE_LIMIT": "2/minute", "MODERATION_LOG_ONLY": "true"}
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--config", "service/gunicorn_conf.py",
             "--bind", f"127.0.0.1:{port}", "service:create_app()"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(300):  # bounded: up to about a minute on a busy machine
                try:
                    if _request(port, "GET", "/readyz", ip="127.0.0.1") == 200:
                        break
                except OSError:
                    assert server.poll() is None, log_path.read_text()
                    time.sleep(0.2)
            else:
                pytest.fail("gunicorn did not become ready:\n" + log_path.read_text())
            statuses = _traffic(port)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return statuses, log_path.read_text()


def test_logs_carry_no_client_ip_and_no_email(gunicorn_log):
    statuses, log = gunicorn_log
    assert statuses == {"page": 200, "form": 303, "json": 201, "invalid": 400, "flood": 429,
                        "feed": 200, "search": 302, "login": 400}
    # The log did record the traffic (so an empty log cannot pass)...
    assert '"POST /comments HTTP/1.1" 303' in log and '"POST /api/comments HTTP/1.1" 429' in log
    assert "Invalid request from ip=[ip]" in log
    # ...and none of the clients' addresses or e-mail addresses.
    for secret in (*CLIENT_IPS, *EMAILS):
        assert secret not in log, secret
    # Loopback appears only where gunicorn says where it listens (and the service where to
    # open it), never as a client.
    assert all("Listening at" in line or line.startswith("Ready: the demo article at http://")
               for line in log.splitlines() if "127.0.0.1" in line)
