"""Fixtures for the operations tests: a store on each backend with the alert tables emptied, a
local webhook receiver and a local SMTP sink on loopback, and a way to put comments in the store
at chosen times and outcomes."""

from __future__ import annotations

import pytest
from ops_helpers import Receiver, Sink
from serving import free_port
from sqlalchemy import delete

from service.config import from_env
from service.storage.db import make_engine
from service.storage.store import Store
from service.storage.tables import AlertDelivery, AlertState

# Settings that switch every alert off and send nowhere, for tests to build on.
QUIET = {"MODERATION_ALERT_QUEUE_SIZE": 0, "MODERATION_ALERT_QUEUE_AGE_MINUTES": 0,
         "MODERATION_ALERT_SPAM_BURST": None}


@pytest.fixture
def store(db_url):
    """A store on each backend; the alert tables start empty (conftest only truncates its own)."""
    store = Store(make_engine(db_url))
    with store.engine.begin() as connection:
        connection.execute(delete(AlertDelivery))
        connection.execute(delete(AlertState))
    yield store
    store.engine.dispose()


@pytest.fixture
def settings():
    """The service's settings as the environment would give them, with every alert off."""
    return {**from_env({}), **QUIET}


@pytest.fixture
def slack():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def hook():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    sink = Sink()
    # aiosmtpd checks it is up by connecting to its port, so it needs a real one, not 0.
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.url = f"smtp://127.0.0.1:{controller.port}"
    yield sink
    controller.stop()


@pytest.fixture
def channels(settings, slack, hook, smtp):
    """Settings that send alerts to the receivers and the SMTP sink."""
    return {**settings, "MODERATION_ALERT_SLACK_WEBHOOKS": (slack.url,),
            "MODERATION_ALERT_JSON_WEBHOOKS": (hook.url,),
            "MODERATION_ALERT_EMAIL_TO": ("desk@news.example", "night@news.example"),
            "MODERATION_ALERT_EMAIL_FROM": "alerts@news.example",
            "MODERATION_SMTP_URL": smtp.url}
