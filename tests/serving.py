"""A real HTTP server for an app under test, for browsers and HTTP client libraries; and the
gunicorn settings the service is served with."""

from __future__ import annotations

import importlib.util
import socket
import threading
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Iterator

from werkzeug.serving import make_server


@contextmanager
def serving(app) -> Iterator[str]:
    """`app` served by threads on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def free_port() -> int:
    """A loopback port nothing listens on right now, for a server started outside this process
    (gunicorn, PHP, an SMTP sink) or for an address where nothing must answer."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_conf() -> ModuleType:
    """A fresh copy of service/gunicorn_conf.py, which reads its environment when loaded."""
    path = Path(__file__).resolve().parents[1] / "service" / "gunicorn_conf.py"
    spec = importlib.util.spec_from_file_location("gunicorn_conf", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
