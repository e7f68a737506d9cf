"""Set-up: configuration, the init-db command, generated keys, and gunicorn serving the app."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from werkzeug.security import check_password_hash

from service import config, create_app
from service.config import RateLimit, from_env, parse_rate

from serving import free_port, gunicorn_conf

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("raw, expected", [
    ("5/minute", RateLimit(5, 60)), ("20 / hour", RateLimit(20, 3600)),
    ("100/day", RateLimit(100, 86400)), ("3/10seconds", RateLimit(3, 10)),
    ("off", None), ("OFF", None),
])
def test_parse_rate(raw, expected):
    assert parse_rate(raw) == expected


def test_bad_settings_name_the_variable():
    with pytest.raises(ValueError, match="MODERATION_RATE_LIMIT"):
        from_env({"MODERATION_RATE_LIMIT": "lots"})
    with pytest.raises(ValueError, match="MODERATION_SPAM_HOLD"):
        from_env({"MODERATION_SPAM_HOLD": "1.5"})
    with pytest.raises(ValueError, match="MODERATION_LOG_ONLY"):
        from_env({"MODERATION_LOG_ONLY": "perhaps"})


def test_defaults_are_safe():
    values = from_env({})
    assert values["MODERATION_RATE_LIMIT"] == RateLimit(5, 60)
    assert values["MODERATION_LOG_ONLY"] is False
    assert values["MODERATION_CORS_ORIGINS"] == ()
    assert values["MODERATION_DATABASE_URL"] is None  # SQLite under instance/


def test_environment_reaches_the_app(monkeypatch, tmp_path, scorer):
    monkeypatch.setenv("MODERATION_WATCHED_TERMS", "lawsuit, council tax")
    monkeypatch.setenv("MODERATION_RATE_LIMIT", "off")
    app = create_app({"SCORER": scorer}, instance_path=str(tmp_path))
    assert app.config["MODERATION_WATCHED_TERMS"] == ("lawsuit", "council tax")
    assert app.config["MODERATION_RATE_LIMIT"] is None


def test_the_configuration_docs_list_every_setting_in_one_table():
    docs = (ROOT / "docs" / "configuration.md").read_text()
    assert config.markdown_table() in docs


def test_the_readmes_first_screen_takes_a_newcomer_to_an_approved_comment():
    readme = (ROOT / "README.md").read_text()
    first_screen = "\n".join(readme.splitlines()[:40])
    for step in ("make serve", "make test", "http://127.0.0.1:8000/", "/review/",
                 "one-time password", "-m model.site_update", "-m model.train"):
        assert step in first_screen, step
    awaiting = (ROOT / "service" / "templates" / "_awaiting.html").read_text()
    notice = re.search(r">(Your comment is awaiting moderation\.[^<{]*)", awaiting).group(1)
    assert " ".join(notice.split()) in " ".join(first_screen.split())
    for link in re.findall(r"\]\(([^)#]+)\)", readme):
        assert (ROOT / link).is_file(), link


def test_default_store_is_sqlite_in_the_instance_folder_and_keys_are_shared(tmp_path, scorer):
    first = create_app({"SCORER": scorer}, instance_path=str(tmp_path / "instance"))
    second = create_app({"SCORER": scorer}, instance_path=str(tmp_path / "instance"))
    assert str(first.extensions["store"].engine.url) == \
        f"sqlite:///{tmp_path / 'instance' / 'moderation.sqlite3'}"
    for name in ("MODERATION_SECRET_KEY", "MODERATION_IP_HASH_KEY",
                 "MODERATION_EMAIL_HASH_KEY"):
        assert first.config[name] == second.config[name]  # every worker agrees
        assert len(first.config[name]) == 64
    assert first.config["MODERATION_IP_HASH_KEY"] != first.config["MODERATION_EMAIL_HASH_KEY"]
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_init_db_migrates_in_wal_mode_and_creates_the_first_moderator_once(tmp_path, scorer):
    app = create_app({"SCORER": scorer}, instance_path=str(tmp_path / "instance"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db", "--first-moderator"])
    assert result.exit_code == 0, result.output
    password = re.search(r"one-time password: (\S+)", result.output).group(1)
    moderator = app.extensions["store"].moderator("admin")
    assert moderator.password_hash.startswith("scrypt:")
    assert check_password_hash(moderator.password_hash, password)
    assert moderator.must_change_password and moderator.active
    with sqlite3.connect(tmp_path / "instance" / "moderation.sqlite3") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"comments", "moderators", "audit_log", "alembic_version"} <= tables
    again = runner.invoke(args=["init-db", "--first-moderator"])
    assert again.exit_code == 0 and "password" not in again.output



def test_gunicorn_serves_the_app_with_its_config_file(tmp_path):
    """What `make serve` runs: init-db, then gunicorn with service/gunicorn_conf.py."""
    env = {**os.environ, "MODERATION_INSTANCE_PATH": str(tmp_path / "instance"),
           "MODERATION_RATE_LIMIT": "off", "GUNICORN_ACCESSLOG": ""}
    python = sys.executable
    init = subprocess.run([python, "-m", "flask", "--app", "service", "init-db",
                           "--first-moderator"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    assert "one-time password" in init.stdout
    port = free_port()
    server = subprocess.Popen(
        [str(Path(python).parent / "gunicorn"), "--config", "service/gunicorn_conf.py",
         "--bind", f"127.0.0.1:{port}", "service:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
                    assert response.status == 200
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "gunicorn did not become ready"
                time.sleep(0.2)
        body = urllib.parse.urlencode({
            "comment": "Served by gunicorn.", "author": "Ann", "email": "ann@example.org",
            "comment_post_ID": "demo", "comment_parent": "0"}).encode()
        opener = urllib.request.build_opener(_NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(urllib.request.Request(f"{base}/comments", data=body), timeout=10)
        assert redirect.value.code == 303
        redirect.value.close()
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
            assert response.status == 200
    finally:
        server.terminate()
        printed, _errors = server.communicate(timeout=30)
    # What a newcomer opens next, printed once the server is ready.
    assert f"the demo article at {base}/ and the review page at {base}/review/" in printed
    with sqlite3.connect(tmp_path / "instance" / "moderation.sqlite3") as connection:
        assert connection.execute("SELECT text FROM comments").fetchall() == \
            [("Served by gunicorn.",)]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_dockerfile_matches_the_serve_commands():
    """No Docker engine runs here: check that the image runs what `make serve` runs, as an
    unprivileged user, with the instance folder on its volume and a health check."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    user = re.search(r"^USER (\S+)$", dockerfile, re.M).group(1)
    assert user not in {"root", "0"}
    assert "MODERATION_INSTANCE_PATH=/data" in dockerfile
    assert 'VOLUME ["/data"]' in dockerfile
    assert re.search(r"HEALTHCHECK .*\n.*http://127\.0\.0\.1:8000/healthz", dockerfile)
    cmd = re.search(r"^CMD (.+)$", dockerfile, re.M).group(1)
    assert "flask --app service init-db --first-moderator" in cmd
    assert "gunicorn --config service/gunicorn_conf.py 'service:create_app()'" in cmd
    assert "init-db --first-moderator" in makefile and "service/gunicorn_conf.py" in makefile
    assert (ROOT / "service" / "gunicorn_conf.py").is_file()
    # Requirements are installed before the code is copied (layer caching), and no data goes in.
    assert dockerfile.index("pip install -r requirements.txt") < dockerfile.index("COPY service/")
    assert "shared/data" not in dockerfile and "COPY . " not in dockerfile


def test_gunicorn_workers_freeze_what_is_loaded_at_start():
    import gc

    conf = gunicorn_conf()
    try:
        conf.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
