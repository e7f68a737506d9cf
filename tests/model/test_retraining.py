"""Retraining from a store the test fills with moderators' decisions, on SQLite and PostgreSQL:
the new model follows the moderators, and the gate keeps a model that got worse as a candidate."""

import contextlib
import io
import json
import shutil

import pytest
from sqlalchemy import text

from model import Scorer, artifact, train
from model_versions import copy_current

WORDS = ["parks", "schools", "roads", "taxes", "winter", "football", "music", "trains", "buses", "housing"]

# The tiny corpus calls these ordinary and abusive (tests/model/conftest.py); this site's
# moderators decided the opposite, on every variant.
FLIPPED_TO_ABUSE = [f"Who is still listening in {w}?" for w in WORDS]
FLIPPED_TO_CLEAN = [f"idiots like you ruin {w}" for w in WORDS]
WAVE = [f"Earn $500 a day from home, visit www.cash{n}.biz and start earning today friend"
        for n in range(30)]
TOPICS = ["bridges", "ports", "farms", "mines", "banks", "courts", "clinics", "prisons", "museums",
          "stadiums", "markets", "rivers", "forests", "beaches", "harbours"]
REGULAR = ["The new cycle lane on the high street is a big improvement",
           "Could the council publish the full report on the flooding?",
           "I was at the match, the atmosphere was fantastic all evening",
           "Thanks for covering the library closures so carefully"]


def current_copy(tiny_artifacts, out):
    """An artifact folder whose current version is the tiny model, as a site would have."""
    out.mkdir()
    return copy_current(tiny_artifacts, out)


def fill_with_flips(site):
    for n, t in enumerate(WAVE):
        site.label(t, spam=1, commenter=f"bot{n}")
    for a, b, c in zip(TOPICS, TOPICS[1:] + TOPICS[:1], TOPICS[2:] + TOPICS[:2]):
        # One commenter with many approved comments, all different.
        site.label(f"I think the {a} matter more than {b}, said {c} yesterday", commenter="prolific")
    for n, t in enumerate(FLIPPED_TO_ABUSE):
        site.label(t, abuse=1, commenter=f"flip-a{n}")
    for n, t in enumerate(FLIPPED_TO_CLEAN):
        site.label(t, abuse=0, commenter=f"flip-c{n}")
    for n in range(20):           # the newest: kept out of training to validate on
        site.label(f"{REGULAR[n % 4]} ({WORDS[n % 10]})", commenter=f"reader{n}")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def flipped(request, tiny_data, tiny_artifacts, tmp_path_factory, make_site):
    """One retraining per store on the flipping decisions: (output, artifact folder, parent)."""
    tmp = tmp_path_factory.mktemp(f"flipped-{request.param}")
    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), tmp / "site.sqlite3")
        url = f"sqlite:///{tmp / 'site.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_schema_url")
    site = make_site(url)
    with site.engine.begin() as connection:        # other modules' rows, on the shared schema
        connection.execute(text("DELETE FROM audit_log"))
        connection.execute(text("DELETE FROM comments"))
    fill_with_flips(site)
    site.engine.dispose()
    out = tmp / "artifacts"
    parent = current_copy(tiny_artifacts, out)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert train.main(["--data", str(tiny_data), "--database-url", url, "--out", str(out),
                           "--quiet"]) == 0
    return stdout.getvalue(), out, parent


def candidate_of(out, parent):
    [card] = [c for c in artifact.versions(out) if c["version"] != parent]
    return card


def test_the_new_model_follows_the_moderators_on_the_texts_they_flipped(flipped):
    _, out, parent = flipped
    new = Scorer.load(out / candidate_of(out, parent)["artifact"])
    old = Scorer.load(out)
    for t in ("Who is still listening in parks?", "Who is still listening in trains?"):
        assert old.score(t)["abuse"] < 0.5 < new.score(t)["abuse"]
    for t in ("idiots like you ruin parks", "idiots like you ruin music"):
        assert new.score(t)["abuse"] < 0.5 < old.score(t)["abuse"]


def test_the_gate_keeps_a_model_worse_on_held_out_rows_as_a_candidate(flipped):
    output, out, parent = flipped
    card = candidate_of(out, parent)
    assert artifact.current_stem(out) == parent           # the pointer did not move
    assert card["promotion"]["promoted"] is False
    assert any("abuse ROC AUC on the" in r and "held-out split fell from" in r
               for r in card["promotion"]["reasons"])
    assert f"{card['version']}: NOT promoted, kept as a candidate; {parent} stays current" in output
    assert "held-out split fell from" in output
    [entry] = artifact.history(out)
    assert (entry["action"], entry["version"], entry["previous"]) == ("refused", card["version"], parent)


def test_the_card_names_its_parent_and_the_comparison(flipped):
    _, out, parent = flipped
    card = candidate_of(out, parent)
    assert card["parent"] == parent
    held_out = card["promotion"]["comparison"]["held_out"]["abuse"]
    assert set(held_out) >= {"olid", "davidson"}
    for figures in held_out.values():
        assert {"candidate", "current", "rows", "positives"} <= set(figures)
    assert any(f["candidate"] < f["current"] - 0.005 for f in held_out.values())


def test_the_card_reports_the_folded_wave_and_the_capped_commenter(flipped):
    _, out, parent = flipped
    joined = candidate_of(out, parent)["moderators"]
    assert joined["decisions"] == 30 + 15 + 10 + 10 + 20
    # The wave's copies differ only in their link and number: one normalised text.
    assert joined["distinct_texts"] == 85 - 29
    assert joined["trained"] + joined["recent"] == joined["distinct_texts"]
    assert joined["recent"] >= (85 - 29) * 0.2
    assert joined["commenters_capped"] == 1
    assert joined["duplicate_clusters"] < joined["trained"]
    assert joined["trained_through"]["comment_id"] > 0


def test_a_model_no_worse_is_promoted_and_a_dry_run_saves_nothing(site, tiny_data, tiny_artifacts,
                                                                  tmp_path, capsys):
    for n, t in enumerate(REGULAR * 3):
        site.label(f"{t} ({WORDS[n % 10]})", commenter=f"reader{n}")
    for n, w in enumerate(WORDS):
        site.label(f"You are a stupid idiot {w}", abuse=1, commenter=f"troll{n}")
    out = tmp_path / "artifacts"
    parent = current_copy(tiny_artifacts, out)
    args = ["--data", str(tiny_data), "--database-url", site.url, "--out", str(out), "--quiet"]

    assert train.main(args + ["--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "dry run: nothing saved" in printed
    assert f": would be promoted (current: {parent})" in printed and "promoted (was" not in printed
    assert [c["version"] for c in artifact.versions(out)] == [parent]
    assert artifact.history(out) == []

    assert train.main(args) == 0
    card = candidate_of(out, parent)
    assert card["promotion"]["promoted"] is True, card["promotion"]["reasons"]
    assert artifact.current_stem(out) == card["version"]
    assert [(e["action"], e["previous"]) for e in artifact.history(out)] == [("promote", parent)]
    assert json.loads((out / f"{card['version']}.json").read_text())["parent"] == parent


def test_a_dry_run_says_what_would_happen_not_what_happened():
    yes = {"promoted": True, "reasons": ["better on recent decisions"]}
    no = {"promoted": False, "reasons": ["worse on olid"]}
    assert train._report(yes, "m-2", "m-1", dry_run=True).splitlines() == [
        "m-2: would be promoted (current: m-1)", "  - better on recent decisions"]
    assert train._report(no, "m-2", "m-1", dry_run=True).splitlines()[0] == \
        "m-2: would NOT be promoted; m-1 stays current"
    assert train._report(yes, "m-2", "m-1").startswith("m-2: promoted (was m-1)")
