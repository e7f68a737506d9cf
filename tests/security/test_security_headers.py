"""Security headers on every response: each route of the URL map with each of its methods, as
a visitor and as a logged-in moderator, plus static files, error pages and a crash."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from comment_helpers import good_form
from security_helpers import PASSWORD, add_moderator, csrf_token, login
from service.review.auth import hash_password
from service.privacy.keys import email_hash
from service.readers import notices

SERVICE = Path(__file__).resolve().parents[2] / "service"
EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
REQUIRED_DIRECTIVES = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'",
    "object-src": "'none'", "base-uri": "'none'", "frame-ancestors": "'none'",
}


def directives(csp: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())


def assert_secure(response, what: str) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, f"{what}: {name}"
    csp = directives(response.headers.get("Content-Security-Policy", ""))
    for name, value in REQUIRED_DIRECTIVES.items():
        assert csp.get(name) == value, f"{what}: CSP {name} is {csp.get(name)!r}"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"], what
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"], what


def sample_urls(app, comment_id: int) -> list[tuple[str, str]]:
    """(method, URL) for every rule and method of the app, with real values for arguments."""
    static_files = sorted(p.relative_to(SERVICE / "static").as_posix()
                          for p in (SERVICE / "static").rglob("*") if p.is_file())
    values = {"post_id": ["demo"], "comment_id": [comment_id], "filename": static_files,
              "token": [notices.status_token(app.config["SECRET_KEY"], comment_id), "forged"],
              "email_hash": [email_hash(app.config["MODERATION_EMAIL_HASH_KEY"],
                                        good_form()["email"])]}
    urls = []
    for rule in app.url_map.iter_rules():
        missing = rule.arguments - values.keys()
        assert not missing, f"{rule.rule}: give the test a value for {missing}"
        combos = [{}]
        for name in sorted(rule.arguments):
            combos = [{**c, name: v} for c in combos for v in values[name]]
        with app.test_request_context():
            from flask import url_for

            for args in combos:
                for method in sorted(rule.methods):
                    urls.append((method, url_for(rule.endpoint, **args)))
    return urls


@pytest.fixture
def site(make_app):
    app = make_app(TESTING=False)
    add_moderator(app, "ann", hash_password(PASSWORD))
    client = app.test_client()
    response = client.post("/api/comments", json=good_form())
    return app, response.get_json()["id"]


@pytest.mark.parametrize("as_moderator", [False, True], ids=["visitor", "moderator"])
def test_every_route_and_method_sends_the_security_headers(site, as_moderator):
    app, comment_id = site
    client = app.test_client()
    if as_moderator:
        assert login(client, "ann").status_code == 302
    urls = sample_urls(app, comment_id)
    assert len(urls) >= 30
    statuses = set()
    for method, url in urls:
        data = {"csrf_token": csrf_token(client)} if as_moderator and method == "POST" else None
        with client.open(url, method=method, data=data) as response:
            statuses.add(response.status_code)
            assert_secure(response, f"{method} {url}")
    # Pages, redirects, refusals and the static files all went through the check.
    assert {200, 302}.issubset(statuses) or {200, 303}.issubset(statuses)


@pytest.mark.parametrize("method, url, status", [
    ("GET", "/no/such/page", 404), ("GET", "/api/no/such/thing", 404),
    ("DELETE", "/comments", 405), ("POST", "/api/comments", 415),
    ("GET", "/static/site.css", 200), ("GET", "/static/review/queue.js", 200),
    ("GET", "/api/articles/demo/comments?page=x", 400),
])
def test_errors_and_static_files_send_them_too(site, method, url, status):
    app, _ = site
    with app.test_client().open(url, method=method) as response:
        assert response.status_code == status
        assert_secure(response, f"{method} {url}")


def test_a_crash_sends_them_too(make_app):
    app = make_app(TESTING=False)  # TESTING would let the exception through to the test

    def boom():
        raise RuntimeError("an unexpected failure")

    app.add_url_rule("/boom-for-test", "boom", boom)
    response = app.test_client().get("/boom-for-test")
    assert response.status_code == 500
    assert_secure(response, "500")


def test_forms_may_go_back_to_the_configured_news_site_only(make_app):
    csp = make_app(MODERATION_CORS_ORIGINS="https://news.example, *").test_client().get(
        "/").headers["Content-Security-Policy"]
    assert directives(csp)["form-action"] == "'self' https://news.example"


def test_moderator_pages_are_not_cached(site):
    app, _ = site
    client = app.test_client()
    assert client.get("/auth/login").headers["Cache-Control"] == "no-store"
    assert login(client, "ann").status_code == 302
    assert client.get("/review/").headers["Cache-Control"] == "no-store"


INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+\s*=",
                    re.IGNORECASE)


@pytest.mark.parametrize("template", sorted(
    p.relative_to(SERVICE).as_posix() for p in (SERVICE / "templates").rglob("*.html")))
def test_no_template_needs_inline_script_or_style(template):
    """The CSP allows no inline code; a template that relied on some would break in browsers
    (the browser tests of the demo and review pages run under the same policy)."""
    assert not INLINE.findall((SERVICE / template).read_text())
