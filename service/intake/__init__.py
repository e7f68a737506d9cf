"""Comment intake: a reader's comment from the form or the JSON API to a stored decision.

- `views`: `POST /comments` and `POST /api/comments`, thin: read, check, decide, store, answer.
- `submission`: the posted fields in WordPress's names, and the site's own error messages.
- `bots`: the honeypot and the signed form timestamp.
- `limits`: Flask-Limiter's per-commenter and per-account rate limits.
- `batching`: group commit, comments that arrive together scored and stored together.

May import `storage`, `decisions`, `classifier`, `privacy`, `ops`, `web`, `articles`, `readers`
(the commenter's status token) and `review.queue` (spot checks enter the queue). Nothing below
`views` imports Flask's request.
"""
