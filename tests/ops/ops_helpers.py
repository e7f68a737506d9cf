"""Helpers for the operations tests: comments put in the store at chosen times and outcomes, a
webhook receiver and an SMTP sink on loopback."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from service.decisions.policy import Decision
from service.storage.store import Candidate, Store



def put(store: Store, status: str, *, at: datetime | None = None, post_id: str = "p1",
        text: str | None = None, email: str = "ann@example.org") -> int:
    """Store one comment as the policy would have decided it; returns its id."""
    put.counter = getattr(put, "counter", 0) + 1
    candidate = Candidate(post_id=post_id, author="Ann", email=email,
                          email_hash=f"h-{email}", text=text or f"Comment {put.counter}.",
                          ip_hash="ip-1", scores={"spam": 0.1, "abuse": 0.1},
                          model_version="test-model")
    outcome = store.enqueue(candidate, lambda history: Decision(status, (), status),
                            duplicate_window=0, rate=None, now=at)
    assert outcome.kind == "created"
    return outcome.comment.id


class Receiver:
    """A webhook receiver on a free loopback port: records every POST's JSON body, and answers
    500 to the next `fail` requests."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.attempts = 0
        self.fail = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.attempts += 1
                if receiver.fail:
                    receiver.fail -= 1
                    self.send_response(500)
                else:
                    receiver.received.append(json.loads(body))
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Sink:
    """aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content,
                                                                    policy=policy.default)))
        return "250 OK"
