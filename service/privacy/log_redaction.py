"""Keep raw IP addresses and e-mail addresses out of gunicorn's logs.

The access log format in `gunicorn_conf.py` already leaves out the client address, the query
string, the Referer and the user agent. Gunicorn's error log still names the client of a
malformed request ("Invalid request from ip=..."), so its logger runs every line through
`redact` as well: a safety net for messages nobody here writes.
"""

from __future__ import annotations

import ipaddress
import logging
import re

from gunicorn.glogging import Logger

_EMAIL = re.compile(r"[^\s@<>()\[\]\"',;:]+@[^\s@<>()\[\]\"',;:]+\.[A-Za-z]{2,}")
# Candidates only; `ipaddress` decides, so times such as 19:55:01 are left alone.
_ADDRESS = re.compile(r"[0-9A-Fa-f]*[:.][0-9A-Fa-f:.]*[0-9A-Fa-f]")


def _mask_address(match: re.Match) -> str:
    token = match.group(0)
    try:
        ipaddress.ip_address(token)
    except ValueError:
        return token
    return "[ip]"


def redact(message: str) -> str:
    """`message` with every e-mail address and IPv4/IPv6 address replaced by a marker."""
    return _ADDRESS.sub(_mask_address, _EMAIL.sub("[email]", message))


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RedactingLogger(Logger):
    """Gunicorn's logger with `RedactingFilter` on its error and access logs."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactingFilter) for f in log.filters):
                log.addFilter(RedactingFilter())
