"""No raw IP address is stored anywhere: after comments, failed logins, a flood and readers'
reports from known addresses, every column of every table is searched for them; what is stored is the keyed HMAC
with the key from configuration."""

from __future__ import annotations

import hmac
from hashlib import sha256

from sqlalchemy import MetaData, select

from comment_helpers import good_form
from security_helpers import add_moderator, login
from service.review.auth import hash_password

IPS = ("198.51.100.23", "2001:db8::23", "203.0.113.5")


def _everything_stored(engine) -> str:
    metadata = MetaData()
    metadata.reflect(engine)
    dump = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                dump.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(dump)


def test_only_keyed_hashes_of_client_addresses_are_stored(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url, MODERATION_RATE_LIMIT="1/minute",
                   MODERATION_IP_HASH_KEY="a key from configuration", MODERATION_PROXY_HOPS="1")
    add_moderator(app, "ann", hash_password("correct horse battery"))
    client = app.test_client()
    for n, ip in enumerate(IPS[:2]):
        client.post("/comments", data=good_form(comment=f"From {n}", email=f"c{n}@example.org"),
                    environ_base={"REMOTE_ADDR": ip})
        client.post("/comments", data=good_form(comment=f"Flood {n}", email=f"c{n}@example.org"),
                    environ_base={"REMOTE_ADDR": ip})
    # Behind a trusted proxy the forwarded address is the client's.
    client.post("/api/comments", json=good_form(comment="Proxied", email="p@example.org"),
                headers={"X-Forwarded-For": IPS[2]}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    for ip in IPS:
        login(app.test_client(), "ann", "wrong password", ip=ip)
    # Readers reporting the published comment, directly and through the proxy.
    first = client.get("/api/articles/demo/comments").get_json()["comments"][0]["id"]
    for ip in IPS[:2]:
        client.post(f"/api/comments/{first}/reports", json={"reason": "spam"},
                    environ_base={"REMOTE_ADDR": ip})
    client.post(f"/api/comments/{first}/reports", json={"reason": "abuse"},
                headers={"X-Forwarded-For": IPS[2]}, environ_base={"REMOTE_ADDR": "10.0.0.1"})

    dump = _everything_stored(app.extensions["store"].engine)
    assert "From 0" in dump and "Proxied" in dump and "login_failures" in dump
    assert dump.count("reports: ") == 3
    assert "10.0.0.1" not in dump  # nor the proxy's
    for ip in IPS:
        assert ip not in dump
        keyed = hmac.new(b"a key from configuration", ip.encode(), sha256).hexdigest()
        assert keyed in dump  # the comment's ip_hash and the failed login's key
        assert sha256(ip.encode()).hexdigest() not in dump  # never an unkeyed hash
