"""Running the service: metrics, logs, alerts, the daily digest, backups and health probes.

- `metrics`: Prometheus counters and gauges, `/metrics`.
- `logs`: one JSON line per request and per decision.
- `alerts` and `digest`: what the newsroom is told, outside requests.
- `backup`: a consistent copy of the SQLite store while it serves.
- `health`: liveness and readiness probes.
- `stats`: read-only queue figures that metrics, alerts and the digest share.

May import `storage` and read from `classifier`, `decisions`, `articles` and `readers` for their
figures. Nothing outside `ops` depends on it but for logging and counting.
"""
