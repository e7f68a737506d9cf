"""What becomes of a comment: scores and rules to published, held or rejected.

- `policy`: the decision itself, a plain function of scores, rules and the commenter's history.
- `rules`: link counting and whole-word term matching.
- `hold_budget`: the hold lines learnt from this site's traffic, within the operator's budget.
- `language` and `language_policy`: which language a comment is in, and what each language gets.
- `spot_checks`: the random share of published comments sent to the queue.
- `reasons`: the policy's reason codes as sentences a moderator reads.

No Flask and no views here. May import `storage` (the tables), `classifier.scoring` (the model
behind `language_policy`) and `ops.stats`.
"""
