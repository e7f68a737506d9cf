"""What readers see: the published comments of an article, as JSON, HTML thread and embed.

- `views`: the feed (`GET /api/articles/<id>/comments`) and the article pages.
- `early`: the same pages' 304s and page-cache hits, answered before Flask (a WSGI layer).
- `page_cache`: rendered pages kept per article version, in process or in Redis.
- `http_cache`: validators, freshness and when to answer 304.
- `embed`: `/embed.js` and `/embed.css` for sites without WordPress.

May import `storage`, `articles`, `intake` (the form's fields and bot traps on the article page),
`readers`, `ops` (the early answers' log line and metrics) and `web`. Never imports `review`:
readers' pages know nothing of the moderators'.
"""
