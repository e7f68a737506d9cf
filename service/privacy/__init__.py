"""Readers' personal data: what is kept, for how long, and how it leaves.

- `keys`: keyed hashes of IPs and e-mail addresses, and the instance-local keys behind them.
- `retention`: the retention purge, and export or erasure on request.
- `log_redaction`: raw IPs and e-mail addresses kept out of gunicorn's logs.

May import `storage` and `review.auth` (the operator commands' moderator check).
"""
