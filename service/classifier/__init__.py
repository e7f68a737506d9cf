"""The classifier in service: the model the service scores with, and the moderators' model page.

- `scoring`: the holder that swaps in a newly promoted model without a restart.
- `site_layers`: the site layer each host follows from the shared database.
- `model_registry`: the versions, their cards and the current pointer, from the model store.
- `model_story`, `overturns`, `bar_chart`: what the model page says and draws.
- `views`: `GET /review/models` and the reload switch.

The training and the model itself live in the top-level `model/` package, which never imports
Flask or this package. May import `model`, `storage`, `decisions`, `review.auth` (the page's
login), `intake.views` (the rules intake decides with, for the page's expected shares) and `web`.
"""
