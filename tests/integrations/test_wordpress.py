"""WordPress with its Akismet plugin, pointed at the service by README.md's must-use plugin: a
reader's comment goes through the real wp-comments-post.php, the plugin asks the service, and
WordPress files the comment by the answer. Debian's WordPress package (WordPress 6.1, Akismet
5.0), PHP's built-in web server and the machine's MariaDB (tests/integrations/wordpress_site.py).
"""

from __future__ import annotations

import pytest

from integration_helpers import HAM_TEXT, SPAM_TEXT, checks, new_api_key
from required import unavailable
from serving import serving
from wordpress_site import missing, wordpress_site


@pytest.fixture
def service(make_app):
    app = make_app()
    with serving(app) as url:
        yield app, url


@pytest.fixture
def site(service, tmp_path):
    reason = missing()
    if reason:  # make test runs scripts/install-wordpress.sh, which installs what this needs
        unavailable("WordPress", reason)
    app, url = service
    with wordpress_site(tmp_path, url, new_api_key(app)) as wordpress:
        yield wordpress


def post_one(site, **fields) -> dict:
    """A reader's comment through WordPress's own form handler: how WordPress filed it."""
    response = site.post_comment(**fields)
    assert response.status_code == 302, response.text[:500]  # WordPress's redirect after a post
    [comment] = site.comments()
    return comment


def test_the_site_is_the_wordpress_and_akismet_the_readme_was_written_for(site):
    assert site.versions["wordpress"].startswith("6.")
    assert site.versions["akismet"].startswith("5.")


def test_a_comment_the_service_passes_is_published_by_wordpress(site, service):
    app, _ = service

    comment = post_one(site, comment=HAM_TEXT, author="Lois Lane", email="lois@example.org")

    assert (comment["author"], comment["approved"], comment["akismet_result"]) \
        == ("Lois Lane", "1", "false")
    [check] = checks(app)
    assert (check.source, check.answer, check.status) == ("akismet", "ham", "published")
    assert check.article.startswith(site.url)  # the plugin's permalink of the article
    assert check.ip_hash and "127.0.0.1" not in check.ip_hash


def test_spam_goes_to_wordpress_spam_list_and_not_spam_there_teaches_the_service(site, service):
    app, _ = service

    comment = post_one(site, comment=SPAM_TEXT, author="Best Deals", email="deals@example.com")

    assert (comment["approved"], comment["akismet_result"]) == ("spam", "true")
    [check] = checks(app)
    assert check.answer in {"spam", "discard"} and check.label is None

    # A moderator disagrees: "Not Spam" in wp-admin makes the plugin send submit-ham.
    site.php("not-spam", comment["id"])

    assert site.comments()[0]["approved"] == "1"
    [check] = checks(app)
    assert check.label == "ham"
