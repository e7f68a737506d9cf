"""Articles and sections: what the service knows of an article besides its comments.

- `records`: titles, addresses, sections, closing and pre-moderation, as plain verbs.
- `api`: `PUT /api/articles/<id>`, the site telling the service about an article.
- `views`: the moderators' article pages under /review/articles.
- `sections` and `section_views`: which moderators look after which sections, and the queue per
  section.

May import `storage`, `web`, `integrations.apikeys` (the site's API key) and `review.auth`.
"""
