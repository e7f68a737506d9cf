"""Slow clients and oversized requests against a real gunicorn (service/gunicorn_conf.py).

The scenario: a slowloris-style client opens more connections than the server has threads and
sends each a partial request head, then nothing; it also holds idle connections open. A
reader's comment must still be answered: the gthread workers park idle connections in their
poller, and the receive timeout (GUNICORN_CLIENT_TIMEOUT, shortened here) frees each thread a
stalled request holds. Without that timeout the stalled requests hold every thread for good and
the reader is never answered (GUNICORN_CLIENT_TIMEOUT=0 turns it off)."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlencode

import pytest

from comment_helpers import good_form
from hardening_helpers import Gunicorn
from serving import gunicorn_conf
from service.config import SETTINGS

WORKERS, THREADS = 2, 4
# More stalled requests than the server has threads. Not many more: gunicorn closes each cut
# connection gracefully, lingering up to 2 s in the worker's main loop (see gunicorn_conf.py).
STALLED = WORKERS * THREADS + 2
IDLE = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory, sqlite_template):
    folder = tmp_path_factory.mktemp("slow-clients")
    database = folder / "moderation.sqlite3"
    database.write_bytes(sqlite_template.read_bytes())
    env = {"MODERATION_DATABASE_URL": f"sqlite:///{database}",
           "MODERATION_INSTANCE_PATH": str(folder / "instance"),
           "MODERATION_RATE_LIMIT": "off", "MODERATION_MIN_SUBMIT_SECONDS": "0",
           "GUNICORN_WORKERS": str(WORKERS), "GUNICORN_THREADS": str(THREADS),
           "GUNICORN_CLIENT_TIMEOUT": "2"}
    gunicorn = Gunicorn(env, folder / "gunicorn.log").start()
    yield gunicorn
    gunicorn.stop()


def _raw(port: int, request: bytes) -> bytes:
    """Send `request` as it is; the first line of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(request)
        return sock.recv(4096).split(b"\r\n", 1)[0]


def test_stalled_and_idle_connections_do_not_keep_a_reader_out(server):
    stalled = []
    for _ in range(STALLED):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        sock.sendall(b"POST /comments HTTP/1.1\r\nHost: news.example\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n")
        stalled.append(sock)
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(IDLE)]
    try:
        reader = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        reader.request("POST", "/comments", urlencode(good_form()),
                       {"Content-Type": "application/x-www-form-urlencoded"})
        response = reader.getresponse()
        assert response.status == 303 and "#comment-" in response.getheader("Location")
        reader.close()
        # The server hung up on each stalled request (EOF), rather than answering or waiting.
        assert [sock.recv(100) for sock in stalled] == [b""] * STALLED
    finally:
        for sock in stalled + idle:
            sock.close()


def _chunked(body: bytes, size: int = 16 * 1024) -> bytes:
    """`body` in `Transfer-Encoding: chunked` framing, `size` bytes a chunk."""
    chunks = [body[at:at + size] for at in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"


# The comment last, so a body cut at the limit would still be a complete form.
_CHUNKED_FORM = urlencode({**good_form(author="Chunked"), "filler": "f" * 70_000,
                           "comment": "The end of this comment must arrive."}).encode()


@pytest.mark.parametrize("request_bytes, status", [
    (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"414"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
     + b"".join(b"X-Field-%d: v\r\n" % i for i in range(60)) + b"\r\n", b"431"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", b"431"),
    (b"POST /api/comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
     b"Content-Length: 70000\r\n\r\n" + b" " * 70000, b"413"),
    (b"POST /comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
     b"\r\nTransfer-Encoding: chunked\r\n\r\n" + _chunked(_CHUNKED_FORM), b"413"),
], ids=["request line", "header count", "header size", "body size", "chunked body size"])
def test_oversized_requests_are_refused(server, request_bytes, status):
    assert _raw(server.port, request_bytes).split(b" ")[1] == status


def test_a_request_within_the_limits_is_served(server):
    fields = good_form(comment="x" * 10_000, author="Limits")
    body = json.dumps(fields).encode()
    headers = b"".join(b"X-Field-%d: v\r\n" % i for i in range(40))
    request = (b"POST /api/comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               + headers + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    assert _raw(server.port, request).split(b" ")[1] == b"201"


def test_requests_end_before_the_worker_timeout():
    """A request waits for the database at most MODERATION_DB_WAIT_SECONDS (then 503) and for
    a silent client at most the receive timeout: both well inside the worker timeout."""
    conf = gunicorn_conf()
    db_wait = float(next(s.default for s in SETTINGS if s.name == "MODERATION_DB_WAIT_SECONDS"))
    assert conf.worker_class == "gthread" and conf.threads > 1
    assert db_wait < conf.timeout / 2 and conf._client_timeout < conf.timeout / 2
