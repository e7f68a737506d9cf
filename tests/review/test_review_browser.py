"""The review queue in real headless Chromium: log in, work the queue with the mouse and with the
keyboard alone, bulk-reject, undo, see the audit entry, plain forms with JavaScript off, and the
injection corpus's XSS payloads rendered inert."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from review_helpers import PASSWORD, add_comment, add_moderators, reload
from serving import serving

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def site(make_app, password_hash):
    """The app on SQLite, served on a free loopback port; yields (app, base URL)."""
    app = make_app(MODERATION_QUEUE_PAGE_SIZE="100")
    add_moderators(app, password_hash, "ann")
    with serving(app) as base:
        yield app, base


def _watch(page):
    """Collect what must never happen: dialogs (alert/confirm/prompt) and script errors."""
    events = {"dialogs": [], "errors": []}
    page.on("dialog", lambda dialog: (events["dialogs"].append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: events["errors"].append(str(error)))
    page.on("console", lambda message: message.type == "error"
            and events["errors"].append(message.text))
    return events


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.events = _watch(page)
    yield page
    context.close()


def _login(page, base):
    page.goto(base + "/review/")
    assert "/auth/login" in page.url  # not logged in: sent to the login page
    page.fill("#name", "ann")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/review/")


def _no_reload_marker(page):
    page.evaluate("window.__sameDocument = true")


def _still_same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def test_mouse_approve_reject_bulk_reject_undo_and_audit(site, page):
    app, base = site
    calm = add_comment(app, "The new ramps are a real improvement.", spam=0.1, abuse=0.05)
    rude = add_comment(app, "Only an idiot would pay for this bridge.", minutes=1)
    spam = [add_comment(app, f"casino bonus pills offer {n}", minutes=2 + n) for n in range(3)]
    _login(page, base)
    _no_reload_marker(page)

    item = page.locator(f"#c{calm.id}")
    item.locator("button.approve").click()
    page.wait_for_selector(f"#c{calm.id}[data-status=published]")
    assert "Approved 1 comment" in page.locator("#status").inner_text()

    rude_item = page.locator(f"#c{rude.id}")
    assert rude_item.locator("mark.abuse").inner_text() == "idiot"
    rude_item.locator("select[name=reason]").select_option("abuse")
    rude_item.locator("button.reject").click()
    page.wait_for_selector(f"#c{rude.id}[data-status=rejected]")

    for comment in spam:
        page.locator(f"#c{comment.id} input.select").check()
    page.locator("#bulk select[name=reason]").select_option("spam")
    page.locator("#bulk button[value=reject]").click()
    for comment in spam:
        page.wait_for_selector(f"#c{comment.id}[data-status=rejected]")
    assert "Rejected (spam) 3 comments" in page.locator("#status").inner_text()
    assert {reload(app, c.id).decision_reason for c in spam} == {"spam"}

    page.locator("#undo button").click()  # undoes the whole bulk action
    for comment in spam:
        page.wait_for_selector(f"#c{comment.id}[data-status=pending]")
    assert _still_same_document(page)  # every action above updated the page in place
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-queue.png"), full_page=True)

    page.click("text=Audit log")
    page.wait_for_url("**/review/audit")
    page.wait_for_selector("tr.audit-row")  # the click only starts the navigation
    rows = page.locator("tr.audit-row")
    assert rows.count() == 8  # approve, reject, 3 bulk rejects, 3 undos
    first = rows.first.inner_text()
    assert "ann" in first and "undo" in first
    assert page.events == {"dialogs": [], "errors": []}


def _counts(page) -> dict[str, int]:
    """The numbers on the status tabs. Read after waiting for an action's items to be swapped
    in: the script updates the tabs in the same step."""
    return {tab.get_attribute("data-status"): int(tab.locator(".count").inner_text())
            for tab in page.locator(".tabs .tab").all()}


def test_keyboard_alone(site, page):
    app, base = site
    first = add_comment(app, "First: fine comment", spam=0.9, abuse=0.0)
    second = add_comment(app, "Second: casino spam", spam=0.8, abuse=0.0)
    third = add_comment(app, "Third: off topic", spam=0.7, abuse=0.0)
    fourth = add_comment(app, "Fourth", spam=0.6, abuse=0.0)
    fifth = add_comment(app, "Fifth", spam=0.5, abuse=0.0)
    _login(page, base)
    _no_reload_marker(page)
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#help").is_visible()

    assert page.locator(".item.current").get_attribute("id") == f"c{first.id}"
    assert _counts(page) == {"pending": 5, "auto-rejected": 0, "approved": 0, "rejected": 0}
    page.keyboard.press("a")  # approve the first; the cursor moves on to the next
    page.wait_for_selector(f"#c{first.id}[data-status=published]")
    page.wait_for_selector(f"#c{second.id}.current")
    # The tabs count again after each in-place action, without a reload.
    assert _counts(page) == {"pending": 4, "auto-rejected": 0, "approved": 1, "rejected": 0}
    page.keyboard.press("s")  # reject as spam
    page.wait_for_selector(f"#c{second.id}[data-status=rejected]")
    page.wait_for_selector(f"#c{third.id}.current")
    assert _counts(page) == {"pending": 3, "auto-rejected": 0, "approved": 1, "rejected": 1}
    page.keyboard.press("r")
    assert page.locator("#reason-prompt").is_visible()
    page.keyboard.press("3")  # off-topic
    page.wait_for_selector(f"#c{third.id}[data-status=rejected]")
    assert reload(app, third.id).decision_reason == "off-topic"
    page.keyboard.press("u")  # undo the off-topic rejection
    page.wait_for_selector(f"#c{third.id}[data-status=pending]")
    assert reload(app, third.id).decided_by is None
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.locator(".item.current").get_attribute("id") == f"c{third.id}"
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert page.locator("#queue input.select:checked").count() == 2
    page.keyboard.press("Tab")  # to the bulk form's controls: all reachable without a mouse
    page.focus("#bulk select[name=reason]")
    page.keyboard.type("spam")  # a bulk reject names its reason: none is chosen for it
    page.focus("#bulk button[value=reject]")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#c{fourth.id}[data-status=rejected]")
    page.wait_for_selector(f"#c{fifth.id}[data-status=rejected]")
    assert _counts(page) == {"pending": 1, "auto-rejected": 0, "approved": 1, "rejected": 3}
    assert reload(app, fifth.id).decision_reason == "spam"
    assert _still_same_document(page)
    assert page.events == {"dialogs": [], "errors": []}


def test_the_reject_reason_is_what_held_the_comment_or_the_moderators_choice(site, page):
    app, base = site
    rude = add_comment(app, "Only an idiot would pay for this", reasons=["abuse_score>=0.5"],
                       spam=0.2, abuse=0.9)
    spam = add_comment(app, "casino bonus", reasons=["spam_score>=0.5"], spam=0.8, minutes=1)
    rule = add_comment(app, "The council hid the report", reasons=["watched_term:council"],
                       spam=0.1, abuse=0.1, minutes=2)
    _login(page, base)
    _no_reload_marker(page)
    reason = lambda c: page.locator(f"#c{c.id} select[name=reason]").input_value()  # noqa: E731
    assert (reason(rude), reason(spam), reason(rule)) == ("abuse", "spam", "")

    page.locator(f"#c{rude.id} button.reject").click()  # a quick reject keeps the right label
    page.wait_for_selector(f"#c{rude.id}[data-status=rejected]")
    assert reload(app, rude.id).decision_reason == "abuse"

    page.locator(f"#c{rule.id} button.reject").click()  # nothing says which: refused
    page.wait_for_selector("#status.refused")
    assert "Choose a reason to reject" in page.locator("#status").inner_text()
    assert page.locator("#reason-prompt").is_visible()  # offered, as r does
    assert reload(app, rule.id).status == "pending"
    page.keyboard.press("4")  # other
    page.wait_for_selector(f"#c{rule.id}[data-status=rejected]")
    assert reload(app, rule.id).decision_reason == "other"
    assert _still_same_document(page)
    # Chromium logs the refusal's answer (HTTP 409) as a failed load; nothing else went wrong.
    assert page.events == {"dialogs": [], "errors": [
        "Failed to load resource: the server responded with a status of 409 (CONFLICT)"]}


def test_undo_after_the_queue_emptied_shows_the_restored_comment(site, page):
    app, base = site
    comment = add_comment(app, "The only comment waiting")
    _login(page, base)
    page.locator(f"#c{comment.id} button.approve").click()
    page.wait_for_selector(f"#c{comment.id}[data-status=published]")
    page.reload()  # the queue is now empty
    assert "Nothing here" in page.locator("#queue").inner_text()
    _no_reload_marker(page)
    page.keyboard.press("u")
    page.wait_for_selector(f"#c{comment.id}[data-status=pending]")
    assert "1 comment restored" in page.locator("#status").inner_text()
    assert _counts(page)["pending"] == 1
    assert "Nothing here" not in page.locator("#queue").inner_text()
    assert page.locator(f"#c{comment.id}.current").is_visible()
    page.keyboard.press("a")  # and it can be decided again at once
    page.wait_for_selector(f"#c{comment.id}[data-status=published]")
    assert _still_same_document(page)
    assert page.events == {"dialogs": [], "errors": []}


def test_a_comment_decided_on_the_page_cannot_be_decided_again_from_it(site, page):
    app, base = site
    first = add_comment(app, "First", spam=0.9, abuse=0.0)
    second = add_comment(app, "Second", spam=0.5, abuse=0.0)
    _login(page, base)
    _no_reload_marker(page)
    done = page.locator(f"#c{first.id}")
    done.locator("button.approve").click()
    page.wait_for_selector(f"#c{first.id}.done[data-status=published]")
    assert done.locator("button.approve").is_disabled()
    assert done.locator("button.reject").is_disabled()
    assert done.locator("input.select").is_disabled()
    page.locator("#select-all").check()  # a bulk action cannot sweep it up either
    assert page.locator("#queue input.select:checked").count() == 1
    page.locator("#select-all").uncheck()

    done.locator(".text").click()  # the keyboard cannot decide it again
    page.keyboard.press("s")
    assert "is decided; press u to undo it" in page.locator("#status").inner_text()
    assert reload(app, first.id).status == "published"

    page.keyboard.press("u")  # undo gives the controls back
    page.wait_for_selector(f"#c{first.id}[data-status=pending]")
    assert not done.locator("button.reject").is_disabled()
    assert "done" not in done.get_attribute("class")
    assert reload(app, second.id).status == "pending"
    assert _still_same_document(page)
    assert page.events == {"dialogs": [], "errors": []}


def test_the_keys_overlay_starts_with_its_heading(site, page):
    app, base = site
    add_comment(app, "Any comment")
    _login(page, base)
    page.keyboard.press("?")
    gap = page.evaluate("""(() => {
        const box = document.getElementById('help'), style = getComputedStyle(box);
        const inner = box.getBoundingClientRect().top + parseFloat(style.borderTopWidth)
                      + parseFloat(style.paddingTop);
        return box.querySelector('h2').getBoundingClientRect().top - inner; })()""")
    assert abs(gap) < 1  # no blank band above "Keys" (it was 33 px)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-keys.png"))


def test_plain_forms_work_with_javascript_off(site, browser):
    app, base = site
    comment = add_comment(app, "Works without scripts")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _login(page, base)
        page.locator(f"#c{comment.id} select[name=reason]").select_option("other")
        page.locator(f"#c{comment.id} button.reject").click()
        page.wait_for_load_state()
        assert "Rejected (other) 1 comment" in page.locator("#flashes").inner_text()
        assert reload(app, comment.id).status == "rejected"
    finally:
        context.close()


# The XSS part of the shared injection corpus (tests/security/injection_payloads.json).
XSS = json.loads((Path(__file__).resolve().parents[1] / "security" / "injection_payloads.json")
                 .read_text())["xss"]


def test_xss_payloads_render_inert(site, page):
    app, base = site
    assert len(XSS) >= 30
    for n, payload in enumerate(XSS):
        add_comment(app, payload + " casino idiot", author=payload[:200], minutes=n,
                    url="javascript:alert(1)", permalink="javascript:alert(1)",
                    reasons=[payload[:60]])
    _login(page, base)
    page.wait_for_load_state("networkidle")
    assert page.locator("#queue .item").count() == len(XSS)
    # Interact a little, as a moderator would, so event-handler payloads get their chance.
    page.mouse.move(200, 300)
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.wait_for_timeout(300)
    assert page.events == {"dialogs": [], "errors": []}
    assert page.evaluate("window.__xss") is None
    assert page.locator("#injected").count() == 0
    scripts = page.evaluate("Array.from(document.scripts).map(s => s.getAttribute('src'))")
    assert scripts == ["/static/review/queue.js"]
    handlers = page.evaluate("""Array.from(document.querySelectorAll('*')).flatMap(
        el => Array.from(el.attributes).filter(a => a.name.startsWith('on')).map(a => a.name))""")
    assert handlers == []
    assert page.locator("a[href^='javascript:'], iframe, object, embed, svg, img").count() == 0
    # The payloads are shown to the moderator, as text.
    assert XSS[0] in page.locator("#queue").inner_text()
    # And after a decision the re-rendered item (inserted by the page script) is inert too.
    page.keyboard.press("s")
    page.wait_for_selector("#queue .item[data-status=rejected]")
    page.goto(base + "/review/audit")
    page.goto(base + "/review/comments/1")
    assert page.events == {"dialogs": [], "errors": []}
    assert page.locator("#injected").count() == 0


def test_spot_checks_are_marked_kept_or_removed_by_keyboard(site, page):
    app, base = site
    held = add_comment(app, "casino bonus", reasons=["spam_score>=0.5"], spam=0.8, abuse=0.0)
    # Riskiest first: held (0.8), then kept (0.3), then removed (0.2).
    kept = add_comment(app, "The ramps are better now.", status="published", spot_check=True,
                       spam=0.3, abuse=0.05, minutes=1)
    removed = add_comment(app, "What a bunch of fools.", status="published", spot_check=True,
                          spam=0.05, abuse=0.2, minutes=2)
    _login(page, base)
    _no_reload_marker(page)
    mark = page.locator(f"#c{kept.id} [data-spot-check]")
    assert mark.is_visible() and mark.inner_text() == "spot check: published, picked at random"
    assert not page.locator(f"#c{held.id} [data-spot-check]").count()
    assert _counts(page)["pending"] == 3  # the held comment and the two spot checks
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-spot-checks.png"), full_page=True)

    page.keyboard.press("a")  # approve the held comment; on to the first spot check
    page.wait_for_selector(f"#c{kept.id}.current")
    page.keyboard.press("a")  # keep it: it stays published, and the cursor moves on
    page.wait_for_selector(f"#c{kept.id}[data-awaiting=false]")
    page.wait_for_selector(f"#c{removed.id}.current")
    assert (reload(app, kept.id).status, reload(app, kept.id).decided_by) == ("published", "ann")
    page.keyboard.press("r")
    page.keyboard.press("2")  # remove it as abuse: it leaves the site
    page.wait_for_selector(f"#c{removed.id}[data-status=rejected]")
    assert reload(app, removed.id).decision_reason == "abuse"
    assert _counts(page)["pending"] == 0
    feed = page.request.get(base + "/api/articles/demo/comments").json()
    assert [c["id"] for c in feed["comments"]] == [held.id, kept.id]
    assert _still_same_document(page)
    assert page.events == {"dialogs": [], "errors": []}
