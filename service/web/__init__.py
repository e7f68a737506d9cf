"""What every request and response goes through, whatever the page.

- `errors`: HTTP errors as JSON for API clients and a short page for readers.
- `security_headers`: CSP and the other headers on every response.
- `cors`: the news site's origins for the feed and the JSON intake.
- `input_guard`: body size limits and NUL characters, before any view reads the body.

May import `storage` (a database briefly unavailable becomes a 503) and nothing else of the
service.
"""
