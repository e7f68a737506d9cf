"""Readers report published comments: the rules as plain functions, and the JSON endpoint and the
report form through the app, on SQLite and PostgreSQL. What moderators then do with reported
comments is in tests/review/test_reported_queue.py; a reader and a moderator in Chromium in
tests/review/test_reports_browser.py."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from comment_helpers import HOLD_ALL, PUBLISH_ALL, good_form
from service.privacy import keys as privacy
from service.config import RateLimit
from service.review.queue import QueueQuery
from service.readers import reports
from service.readers.reports import ReportInput
from service.storage.tables import AuditEntry, Comment, Report


def post(client, text: str = "Glad the bridge is open again.", **fields) -> dict:
    response = client.post("/api/comments", json=good_form(comment=text, **fields))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def report(client, comment_id: int, ip: str = "203.0.113.1", **body):
    return client.post(f"/api/comments/{comment_id}/reports", json={"reason": "spam", **body},
                       environ_overrides={"REMOTE_ADDR": ip})


def stored_reports(app) -> list[Report]:
    with Session(app.extensions["store"].engine) as session:
        return list(session.scalars(select(Report).order_by(Report.id)))


def comment_row(app, comment_id: int) -> Comment:
    with Session(app.extensions["store"].engine) as session:
        return session.get(Comment, comment_id)


def feed_ids(client) -> list[int]:
    return [c["id"] for c in client.get("/api/articles/demo/comments").get_json()["comments"]]


@pytest.fixture
def site(make_app, db_url):
    """The service on each store, publishing every comment."""
    return make_app(MODERATION_DATABASE_URL=db_url, **PUBLISH_ALL)


# -- the rules, without HTTP ----------------------------------------------------------------------

@pytest.mark.parametrize("fields, code", [
    ({}, "reason_required"),
    ({"reason": "  "}, "reason_required"),
    ({"reason": "boring"}, "reason_invalid"),
    ({"reason": "Spam"}, "reason_invalid"),
    ({"reason": "spam", "note": "x" * 501}, "note_too_long"),
    ({"reason": "spam", "note": "a\x00b"}, "note_invalid"),
    ({"reason": "spam", "note": "lone \ud800 half"}, "note_invalid"),
])
def test_a_report_needs_one_of_the_reasons_and_a_short_note(fields, code):
    report_input, problems = reports.validate(fields)
    assert report_input is None and [p.code for p in problems] == [code]
    assert problems[0].message == reports.MESSAGES[code] and problems[0].status == 400


def test_a_valid_report_keeps_its_reason_and_the_trimmed_note():
    assert reports.validate({"reason": "off-topic", "note": "  About trains,\r\nnot bridges. "}) \
        == (ReportInput("off-topic", "About trains,\nnot bridges."), [])
    assert reports.validate({"reason": "abuse"}) == (ReportInput("abuse", ""), [])
    assert reports.validate({"reason": "spam", "note": "x" * 500})[0] is not None


def test_readers_are_offered_every_moderator_reason_in_their_own_words():
    assert list(reports.REASON_LABELS) == ["spam", "abuse", "off-topic", "other"]
    assert reports.REASON_LABELS["abuse"] == "Abusive, hateful or harassing"


def test_the_reason_is_suggested_only_when_every_reader_agrees():
    def reasons(*given):
        return [Report(reason=reason) for reason in given]
    assert reports.agreed(reasons("spam", "spam")) == "spam"
    assert reports.agreed(reasons("spam", "abuse")) is None
    assert reports.agreed([]) is None
    assert reports.commonest(["abuse", "spam", "abuse"]) == "abuse"


def test_a_reader_is_hashed_apart_from_their_comments():
    key = "an-ip-hash-key"
    reader = privacy.reporter_hash(key, "203.0.113.1")
    assert reader == privacy.reporter_hash(key, " 203.0.113.1 ")
    assert reader != privacy.ip_hash(key, "203.0.113.1")
    assert reader != privacy.reporter_hash(key, "203.0.113.2") and "203.0.113" not in reader


# -- the JSON endpoint ----------------------------------------------------------------------------

def test_a_reader_reports_a_published_comment_without_logging_in(site):
    client = site.test_client()
    comment = post(client)
    answer = report(client, comment["id"], reason="abuse", note="  Name-calling.  ")
    assert answer.status_code == 201
    assert answer.get_json() == {"comment_id": comment["id"], "reason": "abuse", "counted": True,
                                 "message": "Thank you. A moderator will look at this comment."}
    [row] = stored_reports(site)
    assert (row.comment_id, row.reason, row.note, row.resolution) == \
        (comment["id"], "abuse", "Name-calling.", None)
    # The reader is a keyed hash, never the address.
    assert row.reporter_hash == privacy.reporter_hash(site.config["MODERATION_IP_HASH_KEY"],
                                                      "203.0.113.1")
    with site.extensions["store"].engine.connect() as connection:
        dump = repr(connection.execute(text("SELECT * FROM reports")).all())
    assert "203.0.113.1" not in dump
    # One report is below the default of two: the comment stays as it was.
    assert comment_row(site, comment["id"]).returned_for is None


def test_repeated_reports_from_one_reader_change_nothing(site):
    client = site.test_client()
    comment = post(client)
    assert report(client, comment["id"]).status_code == 201
    for reason in ("spam", "abuse"):
        again = report(client, comment["id"], reason=reason)
        assert again.status_code == 200
        assert again.get_json()["counted"] is False
        assert again.get_json()["message"] == "You have already reported this comment. Thank you."
    assert [r.reason for r in stored_reports(site)] == ["spam"]
    assert comment_row(site, comment["id"]).returned_for is None


def test_two_readers_send_it_back_to_the_queue_and_it_stays_published(site):
    client = site.test_client()
    comment = post(client)
    report(client, comment["id"], ip="203.0.113.1", reason="spam")
    report(client, comment["id"], ip="203.0.113.2", reason="abuse", note="Rude")
    row = comment_row(site, comment["id"])
    assert (row.status, row.returned_for) == ("published", "reported")
    assert feed_ids(client) == [comment["id"]]  # readers still see it meanwhile
    moderation = site.extensions["moderation"]
    assert [c.id for c in moderation.queue(QueueQuery()).comments] == [comment["id"]]
    assert moderation.counts()["pending"] == 1
    with Session(site.extensions["store"].engine) as session:
        [entry] = session.scalars(select(AuditEntry))
    assert (entry.moderator, entry.action, entry.old_status, entry.new_status) == \
        ("(readers)", "reported", "published", "published")
    # A third reader adds to the reports; the comment was sent back once.
    assert report(client, comment["id"], ip="203.0.113.3").status_code == 201
    with Session(site.extensions["store"].engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 1


def test_the_operator_can_hide_a_reported_comment_until_a_moderator_decides(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url, MODERATION_HIDE_REPORTED="true",
                   MODERATION_REPORTS_TO_QUEUE="3", **PUBLISH_ALL)
    client = app.test_client()
    comment, other = post(client), post(client, "Another view.")
    for n in (1, 2):
        report(client, comment["id"], ip=f"203.0.113.{n}")
    assert comment_row(app, comment["id"]).status == "published"  # two of three
    report(client, comment["id"], ip="203.0.113.3")
    row = comment_row(app, comment["id"])
    assert (row.status, row.returned_for) == ("pending", "reported")
    assert feed_ids(client) == [other["id"]]
    assert f"comment-{comment['id']}" not in client.get("/").get_data(as_text=True)
    # A reader whose page still showed it may still add a report.
    assert report(client, comment["id"], ip="203.0.113.4").status_code == 201


def test_bad_input_gets_a_clear_error(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url, **HOLD_ALL)
    client = app.test_client()
    held = post(client)
    assert held["status"] == "pending"
    cases = [
        (report(client, 999), 404, "not_found", None),
        (report(client, held["id"]), 409, "not_published", None),
        (client.post(f"/api/comments/{held['id']}/reports", json={}), 400, "reason_required",
         "reason"),
        (report(client, held["id"], reason="boring"), 400, "reason_invalid", "reason"),
        (report(client, held["id"], note="x" * 501), 400, "note_too_long", "note"),
        (report(client, held["id"], reason=3), 400, "bad_request", None),
        (client.post(f"/api/comments/{held['id']}/reports", json=["spam"]), 400,
         "bad_request", None),
        (client.post(f"/api/comments/{held['id']}/reports", data={"reason": "spam"}), 415,
         "unsupported_media_type", None),
    ]
    for answer, status, code, field in cases:
        assert answer.status_code == status, answer.get_json()
        error = answer.get_json()["error"]
        assert (error["code"], error["field"]) == (code, field)
        assert error["message"]
    assert reports.MESSAGES["not_published"] == "Only comments published on the site can be " \
        "reported."
    assert stored_reports(app) == []


def test_reports_are_limited_per_reader(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url, MODERATION_REPORT_RATE_LIMIT="2/hour",
                   **PUBLISH_ALL)
    client = app.test_client()
    ids = [post(client, f"Comment {n}")["id"] for n in range(3)]
    assert [report(client, i).status_code for i in ids[:2]] == [201, 201]
    limited = report(client, ids[2])
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "report_flood"
    assert 3500 < int(limited.headers["Retry-After"]) <= 3601
    # A repeat is not a new report, and another reader is not limited.
    assert report(client, ids[0]).status_code == 200
    assert report(client, ids[2], ip="198.51.100.7").status_code == 201
    assert len(stored_reports(app)) == 3


def test_a_reader_counts_once_even_when_reporting_twice_at_the_same_moment(site):
    comment = post(site.test_client())
    store = reports.Reports(site.extensions["store"].engine)
    results, barrier = [], threading.Barrier(6)

    def file(reader: str) -> None:
        barrier.wait()
        results.append(store.file(comment["id"], reader, ReportInput("spam", ""), threshold=2,
                                  hide=False, rate=RateLimit(20, 3600)))

    # Two readers, three clicks each, all at once: two reports, and one return to the queue.
    threads = [threading.Thread(target=file, args=(f"reader-{n % 2}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.counted for r in results) == [False] * 4 + [True] * 2
    assert sum(r.returned for r in results) == 1
    assert len(stored_reports(site)) == 2


# -- the feed and the pages -----------------------------------------------------------------------

def test_the_feed_carries_each_comments_report_links(site):
    client = site.test_client()
    comment = post(client)
    reply = post(client, "I agree.", comment_parent=str(comment["id"]))
    feed = client.get("/api/articles/demo/comments").get_json()["comments"]
    top, nested = feed[0], feed[0]["replies"][0]
    assert top["report_url"] == f"http://localhost/api/comments/{comment['id']}/reports"
    assert top["report_page"] == f"http://localhost/comments/{comment['id']}/report"
    assert nested["report_url"].endswith(f"/api/comments/{reply['id']}/reports")
    # The links name the host asked, even when another host's copy of the page is cached.
    other = client.get("/api/articles/demo/comments", base_url="https://news.example")
    assert other.get_json()["comments"][0]["report_url"].startswith("https://news.example/")
    assert report(client, comment["id"]).status_code == 201


def test_every_published_comment_on_the_demo_page_has_a_report_link(site):
    client = site.test_client()
    ids = [post(client, f"Comment {n}")["id"] for n in range(2)]
    html = client.get("/").get_data(as_text=True)
    assert re.findall(r'<a class="report" href="/comments/(\d+)/report"', html) == \
        [str(i) for i in ids]


def _form(client, comment_id: int, ip: str = "203.0.113.1") -> tuple[int, str, str]:
    page = client.get(f"/comments/{comment_id}/report", environ_overrides={"REMOTE_ADDR": ip})
    html = page.get_data(as_text=True)
    token = re.search(r'name="report_token" value="([^"]+)"', html)
    return page.status_code, html, token.group(1) if token else ""


def test_the_report_form_works_without_scripts(site):
    client = site.test_client()
    comment = post(client, "Buy cheap watches at watches.example")
    status, html, token = _form(client, comment["id"])
    assert status == 200 and "Buy cheap watches" in html and token
    # The page holds this reader's token: no cache keeps it.
    assert client.get(f"/comments/{comment['id']}/report").headers["Cache-Control"] == "no-store"
    # Nothing chosen: the form again, with the note kept.
    again = client.post(f"/comments/{comment['id']}/report",
                        data={"note": "Advert", "report_token": token},
                        environ_overrides={"REMOTE_ADDR": "203.0.113.1"})
    assert again.status_code == 400
    assert "Please choose why you are reporting this comment." in again.get_data(as_text=True)
    assert ">Advert</textarea>" in again.get_data(as_text=True)
    sent = client.post(f"/comments/{comment['id']}/report",
                       data={"reason": "spam", "note": "Advert", "report_token": token},
                       environ_overrides={"REMOTE_ADDR": "203.0.113.1"})
    assert sent.status_code == 303
    thanks = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Thank you. A moderator will look at this comment." in thanks
    assert [(r.reason, r.note) for r in stored_reports(site)] == [("spam", "Advert")]


def test_the_report_form_is_good_only_for_its_reader_and_comment(site):
    client = site.test_client()
    first, second = post(client, "One"), post(client, "Two")
    _, _, token = _form(client, first["id"], ip="203.0.113.1")
    tries = [(second["id"], "203.0.113.1", token),  # another comment
             (first["id"], "198.51.100.9", token),  # another reader (another site's visitor)
             (first["id"], "203.0.113.1", ""),
             (first["id"], "203.0.113.1", token[:-2] + "xx")]
    for comment_id, ip, value in tries:
        answer = client.post(f"/comments/{comment_id}/report",
                             data={"reason": "spam", "report_token": value},
                             environ_overrides={"REMOTE_ADDR": ip})
        assert answer.status_code == 400
        assert reports.MESSAGES["form_expired"] in answer.get_data(as_text=True)
    assert stored_reports(site) == []


def test_the_report_page_explains_what_cannot_be_reported(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url, **HOLD_ALL)
    client = app.test_client()
    held = post(client)
    status, html, token = _form(client, held["id"])
    assert status == 409 and "Only comments published on the site can be reported." in html
    assert not token and "Glad the bridge" not in html  # a held comment is not shown
    status, html, _ = _form(client, 12345)
    assert status == 404 and "There is no such comment." in html


def test_problems_carry_their_http_answer():
    assert reports.problem("report_flood", status=429, retry_after=5).as_json() == {
        "field": None, "code": "report_flood", "message": reports.MESSAGES["report_flood"]}
