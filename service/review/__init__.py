"""The moderators' side: the review queue, their decisions, their accounts and logins.

- `queue`: the queue's verbs (list, lease, decide, undo, bulk) over the store, no Flask.
- `views`: the review page, decisions, undo, bulk actions and the audit log.
- `auth`: login, logout, `login_required`, the slow-down after failed logins.
- `accounts`: `flask --app service moderators ...`.
- `redirects`: the one check for where a request may send the browser next.

May import `storage`, `decisions`, `classifier`, `articles`, `readers` (reports and appeals a
decision settles), `privacy`, `ops` and `web`.
"""
