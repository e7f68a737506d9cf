"""Serving apps on loopback for the browser tests, and a fresh tab per test."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server


@pytest.fixture
def serve_wsgi():
    """Run a WSGI app on a free port of `host` in a background thread; return its base URL."""
    servers = []

    def start(app, host: str = "127.0.0.1") -> str:
        server = make_server(host, 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://{host}:{server.server_port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def serve(make_app, serve_wsgi):
    """Build the service with these settings and serve it; return its base URL."""
    return lambda **config: serve_wsgi(make_app(**config))


@pytest.fixture
def page(browser):
    tab = browser.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    tab.close()
