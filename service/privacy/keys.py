"""Keyed hashes of personal data, and the instance-local keys behind them.

Raw client IPs are hashed the moment they arrive and never stored. E-mails are stored (a
moderator may need to write to the commenter) and also hashed, so trust, flood control and
moderators' bans match commenters without comparing addresses in SQL.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path


def keyed_hash(key: str, value: str) -> str:
    """HMAC-SHA256 hex of `value` under `key`. Without the key the hash cannot be reversed by
    hashing every IPv4 address, which an unkeyed SHA-256 of an IP can."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def email_hash(key: str, email: str) -> str:
    return keyed_hash(key, email.strip().lower())


def email_domain(email: str) -> str:
    """What follows the last @ of an address, as e-mail-domain rules are stored and matched:
    lower case, without a trailing dot, an international name in its ASCII (IDNA, xn--) form.
    "" when there is no @. A domain names no one on its own, so it is kept as it is; intake
    takes it from the address before the address is hashed."""
    _, at, domain = email.strip().rpartition("@")
    domain = domain.strip().rstrip(".").lower()
    if not at or not domain:
        return ""
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:  # not a name IDNA can spell (a label too long): matched as typed
        return domain


def ip_hash(key: str, ip: str) -> str:
    return keyed_hash(key, ip.strip())


def reporter_hash(key: str, ip: str) -> str:
    """A reader who reports comments, by their IP: keyed like `ip_hash` but not equal to it, so
    the reports cannot be joined to the comments (who reported whom) by address."""
    return keyed_hash(key, "reporter:" + ip.strip())


def account_hash(key: str, name: str) -> str:
    """A login name as typed, which may be someone's e-mail address: kept only as this hash
    (failed-login counts, rate-limit keys). Any case and surrounding spaces hash alike."""
    return keyed_hash(key, "account:" + name.strip().lower())


def persisted_secret(instance_path: str, filename: str) -> str:
    """The secret in `instance_path/filename`, created once (mode 0600) if missing.

    Every gunicorn worker calls this at start; O_EXCL makes exactly one of them write the file and
    the others read what it wrote, so all workers sign and hash with the same key.
    """
    path = Path(instance_path) / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_when_written(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def _read_when_written(path: Path) -> str:
    # The creating worker may not have written yet; a few short waits cover that window.
    for _ in range(50):
        value = path.read_text().strip()
        if value:
            return value
        time.sleep(0.02)
    raise RuntimeError(f"{path} exists but is empty; delete it to generate a new key")
