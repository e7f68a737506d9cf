"""The intake benchmark's probes (bench/service/ceiling_app.py) stop part-way through a comment.
Their figures only mean something if they do what the real form post does up to that point,
with the same hooks, and then really stop: nothing stored."""

import pytest

from bench.service.ceiling_app import add_probes
from comment_helpers import all_comments, good_form


@pytest.fixture
def probed(make_app):
    return add_probes(make_app())


@pytest.mark.parametrize("path", ["/comments/unscored", "/comments/scored"])
def test_probe_answers_a_good_form_like_intake_and_stores_nothing(probed, path):
    response = probed.test_client().post(path, data=good_form())

    assert response.status_code == 303
    assert response.headers["Location"].endswith("#comment-0")
    # The app's and the intake blueprint's hooks ran: request id, security headers.
    assert response.headers["X-Request-Id"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert all_comments(probed) == []


@pytest.mark.parametrize("path", ["/comments/unscored", "/comments/scored"])
def test_probe_validates_and_reads_the_body_strictly_like_intake(probed, path):
    client = probed.test_client()

    assert client.post(path, data=good_form(comment="")).status_code == 400
    assert client.post(path, data=b"comment=%FF&author=A&email=a%40example.org"
                       b"&comment_post_ID=demo",
                       content_type="application/x-www-form-urlencoded").status_code == 400


def test_scored_probe_runs_the_classifier(probed, scorer):
    batcher = probed.extensions["ceiling_scoring_batcher"]

    response = probed.test_client().post("/comments/scored", data=good_form())

    assert list(batcher.group_sizes) == [1]
    assert response.headers["X-Model-Version"] == scorer.version
