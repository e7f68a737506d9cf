"""The moderators' model page and reload switch: versions from the cards and the promotion
history, how often moderators overturned each version (on both stores), the chart, and
`POST /admin/model/reload` behind login and CSRF."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from model.artifact import current_stem, history as artifact_history, set_current
from model.model_store import DirectoryStore
from model_versions import add_version, two_versions
from review_helpers import add_comment
from service.classifier.bar_chart import bar_chart
from service.classifier.views import model_rows, overturn_chart
from service.classifier.model_registry import card_metrics, read_registry
from service.classifier.overturns import Overturns, overturns_by_version
from service.classifier.scoring import ScorerHolder
from service.storage.tables import Comment

OLD, NEW = "moderation-20261101-000000", "moderation-20261120-000000"


def write_card(directory, stem, **card):
    """A card and a placeholder artifact beside it: the page reads cards, never artifacts."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{stem}.joblib").write_bytes(b"")
    (directory / f"{stem}.json").write_text(json.dumps({"version": stem, **card}))


def history_line(**entry) -> str:
    return json.dumps(entry) + "\n"


@pytest.fixture
def artifacts(tmp_path):
    """Two versions as the model package leaves them: NEW promoted over OLD."""
    directory = tmp_path / "artifacts"
    write_card(directory, OLD, created_at="2026-11-01T00:00:00+00:00", parent=None,
               validation={"held_out": {"abuse": {"fox": {"roc_auc": 0.6721}}}})
    write_card(directory, NEW, created_at="2026-11-20T00:00:00+00:00", parent=OLD,
               validation={"held_out": {"abuse": {"fox": {"roc_auc": 0.7312}}},
                           "recent_decisions": {"abuse": {"roc_auc": 0.81}}},
               promotion={"promoted": True, "reasons": ["fox AUC +0.059"],
                          "comparison": {"abuse": {"old": 0.6721, "new": 0.7312}}})
    (directory / "CURRENT").write_text(NEW + "\n")
    (directory / "HISTORY.jsonl").write_text(
        history_line(at="2026-11-01T00:05:00Z", action="promote", version=OLD, previous=None,
                     reason="first") + "not json\n"
        + history_line(at="2026-11-20T00:05:00Z", action="promote", version=NEW, previous=OLD,
                       reason="gate passed"))
    return directory


def scored_by(app, version, text, status, **fields):
    comment = add_comment(app, text, status=status, **fields)
    with Session(app.extensions["store"].engine) as session, session.begin():
        session.execute(update(Comment).where(Comment.id == comment.id)
                        .values(model_version=version))
    return comment


def decide(moderation, comment, action, reason=None):
    from service.review.queue import state_token

    return moderation.decide(comment.id, "ann", action, reason, seen=state_token(comment))


@pytest.fixture
def decided(review_app, moderation):
    """OLD: 5 scored, 4 decided, 3 overturned. NEW: 2 scored, 1 decided (one undone), none
    overturned. One comment no model scored."""
    app = review_app
    decide(moderation, scored_by(app, OLD, "held, approved", "pending"), "approve")
    decide(moderation, scored_by(app, OLD, "held, rejected", "pending"), "reject", "spam")
    decide(moderation, scored_by(app, OLD, "published, rejected", "published"), "reject",
           "abuse")
    scored_by(app, OLD, "published, left alone", "published")
    decide(moderation, scored_by(app, OLD, "auto-rejected, approved", "rejected"), "approve")
    decide(moderation, scored_by(app, NEW, "auto-rejected, confirmed", "rejected"), "reject",
           "spam")
    decide(moderation, scored_by(app, NEW, "held, approved then undone", "pending"), "approve")
    moderation.undo_last("ann")
    scored_by(app, None, "classifier was down", "pending")
    return app


def test_overturns_count_what_moderators_reversed_per_version(decided):
    stats = overturns_by_version(decided.extensions["store"].engine)
    assert stats == {OLD: Overturns(OLD, scored=5, decided=4, approved_held=2,
                                    rejected_published=1),
                     NEW: Overturns(NEW, scored=2, decided=1, approved_held=0,
                                    rejected_published=0)}
    assert stats[OLD].share == 0.75 and stats[NEW].share == 0.0


def test_no_decisions_no_share(review_app):
    scored_by(review_app, OLD, "not decided yet", "pending")
    (only,) = overturns_by_version(review_app.extensions["store"].engine).values()
    assert (only.scored, only.decided, only.share) == (1, 0, None)


def test_the_registry_reads_cards_pointer_and_history_tolerantly(artifacts):
    registry = read_registry(artifacts)
    assert registry.current == NEW
    assert [v.stem for v in registry.versions] == [OLD, NEW]
    old, new = registry.versions
    assert old.parent is None and old.promotion is None and new.parent == OLD
    assert new.promotion["reasons"] == ["fox AUC +0.059"]
    assert registry.last_made_current(NEW).at == "2026-11-20T00:05:00Z"
    assert [e.version for e in registry.history] == [OLD, NEW]
    assert registry.problems == ["HISTORY.jsonl line 2 skipped: Expecting value: line 1 "
                                 "column 1 (char 0)"]


def test_a_directory_without_history_or_newer_keys_still_reads(tmp_path):
    write_card(tmp_path, OLD)
    (tmp_path / "notes.json").write_text("{}")  # no artifact beside it: not a card
    (tmp_path / f"{NEW}.joblib").write_bytes(b"")
    (tmp_path / f"{NEW}.json").write_text("{broken")
    registry = read_registry(tmp_path)
    assert registry.current is None and registry.history == []
    assert [v.stem for v in registry.versions] == [OLD, NEW]  # no dates: by name
    assert registry.versions[0].metrics == [] and registry.versions[1].problem
    assert registry.problems[0].startswith(f"card {NEW}.json could not be read")


def test_card_metrics_flatten_every_roc_auc(artifacts):
    card = json.loads((artifacts / f"{NEW}.json").read_text())
    assert [(m.split, m.label, m.source, m.roc_auc) for m in card_metrics(card)] == [
        ("held_out", "abuse", "fox", 0.7312), ("recent_decisions", "abuse", "", 0.81)]


def test_rows_join_cards_with_statistics_and_the_chart_shows_decided_versions(artifacts):
    stats = {OLD: Overturns(OLD, 5, 4, 2, 1), "fake-1": Overturns("fake-1", 3, 0, 0, 0)}
    rows = model_rows(read_registry(artifacts), stats, serving="fake-1")
    assert [(r.stem, r.current, r.serving, r.version is not None) for r in rows] == [
        (OLD, False, False, True), (NEW, True, False, True), ("fake-1", False, True, False)]
    chart = overturn_chart(rows)
    (bar,) = chart.bars
    assert (bar.lines, bar.caption) == (("2026-11-01", "00:00"), "75% of 4")


def test_bar_heights_are_proportional_and_clipped():
    chart = bar_chart([("a", 0.5, ""), ("b", 1.0, ""), ("c", 1.7, "")], plot_height=100)
    heights = [bar.height for bar in chart.bars]
    assert heights == [50.0, 100.0, 100.0]
    assert all(bar.y + bar.height == chart.baseline for bar in chart.bars)
    assert chart.bars[0].x < chart.bars[1].x < chart.bars[2].x < chart.width


def test_bar_labels_are_level_and_their_slots_fit_the_longest_line():
    """The labels used to be rotated and the first was cut off at the chart's left edge."""
    from service.classifier.bar_chart import text_width

    labels = [("2026-11-24\n17:17", 0.5, "67% of 3"), ("fake-version-with-a-long-name", 0.2, "")]
    chart = bar_chart(labels)
    for bar in chart.bars:
        for line in bar.lines:
            assert bar.centre - text_width(line) / 2 >= 0
            assert bar.centre + text_width(line) / 2 <= chart.width
    first, second = chart.bars
    assert first.lines == ("2026-11-24", "17:17") and second.lines == (labels[1][0],)
    assert second.centre - first.centre >= text_width(second.lines[0])  # neighbours apart
    assert first.label_y > chart.baseline
    assert first.label_y + chart.line_height <= chart.height  # the second line is inside


def test_the_model_page_shows_versions_metrics_promotions_and_overturns(decided, ann,
                                                                        artifacts):
    decided.extensions["model_store"] = DirectoryStore(artifacts)
    html = ann.get("/review/models").get_data(as_text=True)
    assert html.index(f'id="v-{NEW}"') < html.index(f'id="v-{OLD}"')  # newest first
    new_row = re.search(rf'<article id="v-{NEW}".*?</article>', html, re.S).group()
    assert "current" in new_row and f'href="#v-{OLD}"' in new_row
    assert "Put in service 2026-11-20 00:05 UTC, after the automatic check" in new_row
    assert '<time datetime="2026-11-20T00:00:00+00:00">2026-11-20 00:00 UTC</time>' in new_row
    assert re.search(r"<td>fox</td>\s*<td>0.731</td>", new_row) and "fox AUC +0.059" in new_row
    old_row = re.search(rf'<article id="v-{OLD}".*?</article>', html, re.S).group()
    assert re.search(r'class="overturned">75%<', old_row)
    assert "Moderators overturned 3 of the 4 of its decisions" in old_row
    assert "Moderators overturned it less often than the version before (0% of 1 against 75% of 4)" in new_row
    assert "<svg" in html and html.count('<g class="bar">') == 2
    assert "HISTORY.jsonl line 2 skipped" in html
    assert "gate passed" in html


def test_the_queue_links_the_model_page_and_names_each_comments_version(review_app, ann):
    add_comment(review_app, "casino pills")
    html = ann.get("/review/").get_data(as_text=True)
    assert 'href="/review/models"' in html
    assert 'href="/review/models#v-fake-1"' in html and "model fake-1" in html


def test_the_model_page_needs_a_login(review_app):
    response = review_app.test_client().get("/review/models")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# -- POST /admin/model/reload -------------------------------------------------------------------

@pytest.fixture
def following(review_app, tmp_path):
    """The app's worker following a real artifact directory (OLD is the shipped version)."""
    directory = tmp_path / "real-artifacts"
    old, new = two_versions(directory)
    review_app.extensions["scorer"] = ScorerHolder.load(str(directory), check_seconds=3600)
    review_app.extensions["model_store"] = DirectoryStore(directory)
    return directory, old, new


def test_reload_switches_this_worker_at_once_and_answers_json(following, ann, review_app):
    directory, old, new = following
    set_current(directory, new)
    response = ann.post("/admin/model/reload", headers={"Accept": "application/json"})
    body = response.get_json()
    assert response.status_code == 200
    assert (body["version"], body["previous"], body["changed"]) == (new, old, True)
    assert review_app.test_client().get("/readyz").get_json()["model_version"] == new
    again = ann.post("/admin/model/reload").get_json()  # */* counts as JSON here
    assert (again["version"], again["changed"]) == (new, False)


def test_reload_from_the_page_flashes_and_returns_to_it(following, ann):
    directory, old, new = following
    set_current(directory, new)
    response = ann.post("/admin/model/reload", headers={"Accept": "text/html"})
    assert response.status_code == 302 and response.headers["Location"] == "/review/models"
    page = ann.get("/review/models").get_data(as_text=True)
    assert f"This worker now serves {new} (was {old})" in page
    assert re.search(rf'<article id="v-{new}" class="model-version current"', page)


def test_a_version_that_cannot_load_is_reported_and_the_old_one_kept(following, ann):
    directory, old, _ = following
    broken = add_version(directory, "moderation-broken")
    broken.write_bytes(b"not what the card says")
    set_current(directory, "moderation-broken")
    response = ann.post("/admin/model/reload", headers={"Accept": "application/json"})
    body = response.get_json()
    assert response.status_code == 409 and body["version"] == old
    assert body["error"]["code"] == "model_not_loaded" and "sha256" in body["error"]["message"]
    assert "moderation-broken not loaded" in ann.get("/review/models").get_data(as_text=True)


def test_reload_of_a_pinned_model_says_so(review_app, ann):
    response = ann.post("/admin/model/reload", headers={"Accept": "application/json"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "model_pinned"


def test_reload_needs_a_login_and_a_csrf_token(review_app, ann):
    anonymous = review_app.test_client().post("/admin/model/reload")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    without_token = ann.client.post("/admin/model/reload",
                                    headers={"Accept": "application/json"})
    assert without_token.status_code == 400


def test_on_this_site_counts_holds_and_rejections_at_the_lines_in_force():
    from service.classifier.views import on_this_site
    from service.decisions.policy import Thresholds

    lines = {"spam": Thresholds(0.5, 0.9), "abuse": Thresholds(0.4, 0.95)}
    scores = [(0.1, 0.1)] * 90 + [(0.6, 0.1)] * 4 + [(0.1, 0.5)] * 4 + [(0.95, 0.1)] * 2
    percentiles = {"abuse": [i / 100 for i in range(101)]}      # positives spread evenly
    site = on_this_site(lines, scores, percentiles, budget=0.05)
    assert (site.comments, site.held, site.rejected) == (100, 0.08, 0.02)
    assert site.caught["abuse"] == pytest.approx(0.6)             # 60% of positives >= 0.4
    assert site.caught["spam"] is None                             # the card says nothing


def test_the_model_page_says_what_the_model_holds_on_this_site(review_app, ann):
    """Eight comments: too few to learn the site, so only confident scores hold (the fake
    scorer's card has no confident line, so its reject line is the one)."""
    for n in range(6):
        add_comment(review_app, f"A fair point about the bridge, number {n}.", status="published")
    add_comment(review_app, "you idiot", status="published")        # abuse 45%
    add_comment(review_app, "casino pills", status="pending")        # spam 60%: under 97%
    page = ann.get("/review/models").get_data(as_text=True)
    section = page[page.index('id="on-site"'):]
    assert re.search(r"Of the last 8 comments this model scored here, it held\s*"
                     r"<strong>0.0%</strong> for review and rejected\s*<strong>0.0%</strong>",
                     section)
    assert "the hold budget is\n  5% of comments" in section
    assert "It is still learning this site" in section
    assert "Spam: held at 97% and above" in section


# -- POST /admin/model/promote and /admin/model/rollback ------------------------------------------

def test_make_current_on_the_page_promotes_by_hand_and_this_worker_serves_it(following, ann,
                                                                              review_app):
    directory, old, new = following
    page = ann.get("/review/models").get_data(as_text=True)
    assert f"Make {new} current" in page and f"Make {old} current" not in page  # old is current
    response = ann.post("/admin/model/promote", {"version": new}, headers={"Accept": "text/html"})
    assert response.status_code == 302 and response.headers["Location"] == "/review/models"
    assert current_stem(directory) == new
    assert review_app.test_client().get("/readyz").get_json()["model_version"] == new
    entry = artifact_history(directory)[-1]
    assert (entry["action"], entry["version"], entry["previous"]) == ("promote", new, old)
    assert entry["reason"] == "promoted by hand on the models page by ann"
    card = json.loads((directory / f"{new}.json").read_text())
    assert card["promotion"]["promoted"] is True
    page = ann.get("/review/models").get_data(as_text=True)
    assert f"{new} is now current (was {old}). This worker serves {new}" in page


def test_roll_back_on_the_page_goes_back_to_the_version_before(following, ann, review_app):
    directory, old, new = following
    ann.post("/admin/model/promote", {"version": new})
    page = ann.get("/review/models").get_data(as_text=True)
    assert f"Roll back to {old}</button>" in page
    body = ann.post("/admin/model/rollback", headers={"Accept": "application/json"}).get_json()
    assert (body["current"], body["previous"], body["serving"]) == (old, new, old)
    assert current_stem(directory) == old
    assert artifact_history(directory)[-1]["reason"] == "rolled back on the models page by ann"


def test_promoting_a_version_the_store_does_not_hold_changes_nothing(following, ann):
    directory, old, _ = following
    response = ann.post("/admin/model/promote", {"version": "moderation-19990101-000000"},
                        headers={"Accept": "application/json"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "model_not_moved"
    assert "moderation-19990101-000000" in response.get_json()["error"]["message"]
    assert current_stem(directory) == old


def test_a_pinned_model_offers_no_promotion_and_refuses_one(review_app, ann):
    page = ann.get("/review/models").get_data(as_text=True)
    assert "Make " not in page and "Roll back to" not in page
    response = ann.post("/admin/model/rollback", headers={"Accept": "application/json"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "model_pinned"
