"""A real WordPress site for the interoperability test: Debian's WordPress package with the Akismet
plugin it bundles (unpacked into .cache/wordpress by scripts/install-wordpress.sh), a fresh
database on the machine's MariaDB, served by PHP's built-in web server on a loopback port, with
docs/integrations.md's must-use plugin pointing Akismet at the service."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

from serving import free_port

ROOT = Path(__file__).resolve().parents[2]
WORDPRESS = ROOT / ".cache" / "wordpress"
SITE_PHP = Path(__file__).resolve().parent / "wordpress" / "site.php"
# The machine's MariaDB (root without a password on loopback); another with WORDPRESS_TEST_DB.
DATABASE = os.environ.get("WORDPRESS_TEST_DB", "root:@127.0.0.1:3306")


def readme_must_use_plugin(service_url: str) -> str:
    """The must-use plugin exactly as docs/integrations.md gives it, with the service's address
    filled in."""
    docs = (ROOT / "docs" / "integrations.md").read_text()
    snippet = re.search(r"```php\n(.*?)```", docs, re.S).group(1)
    address = "const MODERATION_SERVICE_URL = 'https://moderation.news.example';"
    assert address in snippet, "the docs' WordPress snippet no longer names the example address"
    return snippet.replace(address, f"const MODERATION_SERVICE_URL = '{service_url}';")


# Test settings only, not part of what a site installs: WordPress refuses a second comment from
# one address within 15 seconds, and mails the administrator on install, which needs no mailer.
TEST_SETTINGS_PLUGIN = """<?php
add_filter( 'comment_flood_filter', '__return_false' );
add_filter( 'pre_wp_mail', '__return_false' );
"""


def missing() -> str | None:
    """Why a site cannot be set up on this machine, or None."""
    if shutil.which("php") is None:
        return "php is not installed (scripts/install-wordpress.sh installs it)"
    if not (WORDPRESS / "wp-settings.php").is_file():
        return "WordPress is not unpacked in .cache/wordpress (scripts/install-wordpress.sh)"
    host, port = DATABASE.rpartition("@")[2].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
    except OSError as exc:
        return f"no MariaDB/MySQL server at {host}:{port}: {exc}"
    return None


class WordPressSite:
    def __init__(self, directory: Path, url: str, versions: dict) -> None:
        self.directory, self.url, self.versions = directory, url, versions

    def php(self, *args: str) -> str:
        return _php(self.directory, self.url, *args)

    def sql(self, query: str) -> list[dict]:
        return json.loads(self.php("sql", query))

    def post_comment(self, **fields: str) -> httpx.Response:
        """What the theme's comment form posts to wp-comments-post.php, as a reader's browser."""
        form = {"comment_post_ID": "1", "comment_parent": "0", "url": "", **fields}
        return httpx.post(f"{self.url}/wp-comments-post.php", data=form, timeout=60,
                          headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)",
                                   "Referer": f"{self.url}/?p=1"})

    def comments(self) -> list[dict]:
        """The readers' comments on the first post, with what Akismet recorded for each."""
        return self.sql(
            "SELECT c.comment_ID AS id, c.comment_author AS author, c.comment_approved AS approved,"
            " (SELECT meta_value FROM wp_commentmeta m WHERE m.comment_id = c.comment_ID"
            "  AND m.meta_key = 'akismet_result') AS akismet_result"
            " FROM wp_comments c WHERE c.comment_post_ID = 1 AND c.user_id = 0"
            " AND c.comment_author_email <> 'wapuu@wordpress.example' ORDER BY c.comment_ID")


def _php(directory: Path, url: str, *args: str) -> str:
    result = subprocess.run(["php", str(SITE_PHP), args[0], str(directory), *args[1:]],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "WP_TEST_HOST": url.split("//")[1]})
    if result.returncode != 0:
        raise RuntimeError(f"site.php {args[0]} failed: {result.stderr or result.stdout}")
    return result.stdout


@contextmanager
def wordpress_site(tmp_path: Path, service_url: str, api_key: str) -> Iterator[WordPressSite]:
    """A fresh site whose Akismet plugin holds `api_key` and sends its calls to `service_url`."""
    directory = tmp_path / "wordpress"
    shutil.copytree(WORDPRESS, directory, symlinks=True)
    (directory / "wp-content" / "mu-plugins").mkdir()
    (directory / "wp-content" / "mu-plugins" / "moderation-service.php").write_text(
        readme_must_use_plugin(service_url))
    (directory / "wp-content" / "mu-plugins" / "test-settings.php").write_text(
        TEST_SETTINGS_PLUGIN)
    credentials, _, address = DATABASE.rpartition("@")
    user, _, password = credentials.partition(":")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    name = f"wp_test_{uuid.uuid4().hex[:12]}"
    # Replaces the Debian package's wp-config.php, which reads /etc/wordpress.
    (directory / "wp-config.php").write_text(f"""<?php
define( 'DB_NAME', '{name}' );
define( 'DB_USER', '{user}' );
define( 'DB_PASSWORD', '{password}' );
define( 'DB_HOST', '{address}' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
define( 'WP_HOME', '{url}' );
define( 'WP_SITEURL', '{url}' );
define( 'WPCOM_API_KEY', '{api_key}' );
define( 'DISABLE_WP_CRON', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
$table_prefix = 'wp_';
define( 'ABSPATH', __DIR__ . '/' );
require_once ABSPATH . 'wp-settings.php';
""")
    versions = json.loads(_php(directory, url, "install"))
    server = subprocess.Popen(["php", "-S", f"127.0.0.1:{port}", "-t", str(directory)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(url)
        yield WordPressSite(directory, url, versions)
    finally:
        server.terminate()
        server.wait(timeout=10)
        _php(directory, url, "drop")


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/wp-login.php", timeout=5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
