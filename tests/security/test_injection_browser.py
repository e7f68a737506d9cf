"""The injection corpus in real headless Chromium: on the demo article every payload is shown as
the commenter typed it, nothing runs, no element is injected; a payload sent back with a form
error stays in the form, as typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from comment_helpers import PUBLISH_ALL
from serving import serving
from service.intake.submission import clean_text

pytestmark = pytest.mark.browser

CORPUS = json.loads((Path(__file__).with_name("injection_payloads.json")).read_text())
PAYLOADS = [p for p in CORPUS["xss"] + CORPUS["sql"] + CORPUS["other"] if "\x00" not in p]
INERT = """() => ({
    xss: window.__xss === undefined ? null : window.__xss,
    injected: document.querySelectorAll('#injected').length,
    scripts: document.scripts.length,
    handlers: Array.from(document.querySelectorAll('*')).flatMap(
        el => Array.from(el.attributes).filter(a => a.name.startsWith('on')).map(a => a.name)),
    embedded: document.querySelectorAll('iframe, object, embed, svg, img, math, video, audio, '
        + 'marquee, details, template, base, meta[http-equiv], style, link:not([rel=stylesheet]):not([rel=icon])'
        ).length,
    javascriptLinks: document.querySelectorAll('a[href^="javascript:" i], form[action^="javascript:" i]').length,
})"""
SAFE = {"xss": None, "injected": 0, "scripts": 0, "handlers": [], "embedded": 0,
        "javascriptLinks": 0}


@pytest.fixture
def page(browser):
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.events = {"dialogs": [], "errors": []}
    tab.on("dialog", lambda d: (tab.events["dialogs"].append(d.message), d.dismiss()))
    tab.on("pageerror", lambda e: tab.events["errors"].append(str(e)))
    # A CSP violation is reported as a console error: it would mean escaping failed somewhere.
    tab.on("console", lambda m: m.type == "error" and tab.events["errors"].append(m.text))
    yield tab
    context.close()


def _poke(page) -> None:
    """Move, tab and scroll around, so event-handler payloads get their chance to fire."""
    page.mouse.move(100, 200)
    page.mouse.move(300, 600)
    for _ in range(5):
        page.keyboard.press("Tab")
    page.mouse.wheel(0, 5000)
    page.wait_for_timeout(300)


def test_demo_article_shows_every_payload_as_plain_text(make_app, page):
    app = make_app(**PUBLISH_ALL)
    client = app.test_client()
    for n, payload in enumerate(PAYLOADS):
        response = client.post("/api/comments", json={
            "comment": payload, "author": payload.strip()[:245], "email": f"r{n}@example.org",
            "comment_post_ID": "demo"})
        assert response.status_code == 201, (payload, response.get_json())
    with serving(app) as base:
        page.goto(base + "/")
        _poke(page)
        assert page.evaluate(INERT) == SAFE
        assert page.events == {"dialogs": [], "errors": []}
        shown = page.eval_on_selector_all(
            "ol.comments > li.comment",
            "items => items.map(li => [li.querySelector('.meta strong, .meta a').textContent, "
            "li.querySelector(':scope > p').textContent])")
    # HTML parsing turns CR LF into LF in any text; nothing else may differ from what was typed.
    assert shown == [[clean_text(p.strip()[:245]), clean_text(p)] for p in PAYLOADS]


@pytest.mark.parametrize("payload", [
    "</textarea><script>window.__xss=1;alert(1)</script>",
    "\"><img src=x onerror=\"window.__xss=1;alert(1)\">",
    "' onfocus='alert(1)' autofocus x='",
    "'; DROP TABLE comments; --",
])
def test_a_refused_form_keeps_the_payload_as_typed(make_app, page, payload):
    with serving(make_app()) as base:
        page.goto(base + "/")
        page.fill("#comment", payload)
        page.fill("#author", payload)
        page.fill("#email", "not an address")
        page.eval_on_selector("#commentform", "form => form.noValidate = true")
        page.click("#submit")
        page.wait_for_selector(".errors")
        _poke(page)
        assert page.input_value("#comment") == payload
        assert page.input_value("#author") == payload
        assert page.evaluate(INERT) == SAFE
        # The form page itself comes with status 400, which Chromium reports; nothing else.
        assert page.events == {"dialogs": [], "errors": [
            "Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"]}


def test_a_payload_sent_through_the_real_form_is_published_as_text(make_app, page):
    payload = "<img src=x onerror=\"window.__xss=1;alert(1)\"> ' OR '1'='1"
    with serving(make_app(**PUBLISH_ALL)) as base:
        page.goto(base + "/")
        page.fill("#comment", payload)
        page.fill("#author", "<b id=injected>Mallory</b>")
        page.fill("#email", "mallory@example.org")
        page.click("#submit")
        page.wait_for_url("**/#comment-*")
        _poke(page)
        comment = page.locator("ol.comments li.comment").first
        assert comment.locator(":scope > p").text_content() == payload
        assert comment.locator(".meta strong").text_content() == "<b id=injected>Mallory</b>"
        assert page.evaluate(INERT) == SAFE
        assert page.events == {"dialogs": [], "errors": []}
