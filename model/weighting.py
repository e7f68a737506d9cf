"""How moderators' decisions enter training: against each other, against the corpora, over time.

In order (``prepare``):

1. **A moderator outranks a corpus.** A corpus row whose normalised text a moderator decided is
   dropped, in every split: the site's own judgement replaces the public label, and a held-out
   row the candidate has now been taught is no longer held out. Only a text with words of its
   own has a key to match on (``model.duplicates.text_key``): a decision on a bare link, a
   number or "....." overrides nothing, as approving one link says nothing about another.
2. **The latest decision wins.** The comments table already holds each comment's decision in
   force (overturned and undone decisions are replaced, see ``model/decisions.py``); when several
   comments share one normalised text, the most recently decided one speaks for all of them.
   Decisions without a key each speak for themselves alone.
3. **Train on older, validate on newer.** Decisions are grouped into duplicate clusters
   (``model/duplicates.py``); the clusters decided most recently, ``recent_share`` of the
   decisions, are kept out of training and become the "recent decisions" the promotion gate
   compares models on (those whose text no corpus trains on: the current model has seen the
   others). A cluster never straddles the two sides, or its copies would make the
   validation look better than it is.
4. **One wave, one example.** The members of a near-duplicate cluster share a weight of 1.
5. **No commenter outweighs ``COMMENTER_CAP`` decisions.** A commenter (the keyed e-mail hash
   the service stores; the IP hash when there is none) whose decisions weigh more than the cap
   has them scaled down to it. Poisoning needs volume: a spammer who gets copies of clean
   comments approved, to reuse the account or the texts later, adds at most the cap's worth of
   "this is fine" (and copies of one text fold to one example anyway); ordinary commenters, with
   a handful of decided comments each, are not touched. A cap rather than 1/n weighting, because
   1/n would also make a prolific, honest regular count as little as a one-off visitor.

Finally each decision unit counts ``DECISION_WEIGHT`` times a corpus row (``model/train.py``):
the site's moderators judge the very comments the model will score, so one of their decisions
says more about this site than one tweet from a public corpus.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

from model.dataset import Example
from model.duplicates import clusters, text_key

COMMENTER_CAP = 10.0
RECENT_SHARE = 0.2
# The card's account of the above, for whoever reads a version's card without this file.
POLICY = (
    "A moderator's decision replaces the corpus label of the same normalised text (one with "
    "words of its own: a bare link or \".....\" replaces nothing); the latest decision in force "
    "wins. Exact and near-duplicate decisions (MinHash of word 3-shingles) "
    "share the weight of one, so a spam wave counts once. No commenter (keyed e-mail hash) "
    f"weighs more than {COMMENTER_CAP:g} decisions: a cap, not 1/n, so poisoning by volume "
    "(approved copies of clean comments) is bounded while honest regulars keep full weight. "
    f"The newest {RECENT_SHARE:.0%} of decisions are validated on, not trained on."
)


@dataclass
class Prepared:
    corpus: list[Example]              # corpus rows not overridden by a decision, any split
    train: list[Example]               # decisions to train on, weights folded and capped
    recent: list[Example]              # newest decisions, split "test": never trained on
    report: dict = field(default_factory=dict)
    # The recent decisions whose text is in no corpus' training rows: the current model, trained
    # on the corpora, has seen the others (the gate would compare memory with judgement).
    fresh: list[Example] = field(default_factory=list)


def _when(example: Example) -> tuple:
    return (example.decided_at.timestamp() if example.decided_at else 0.0,
            example.comment_id or 0)


def latest_per_text(decisions: list[Example]) -> list[Example]:
    """One decision per text key: the latest; in decision order. A decision without a key is
    kept on its own (its place in the order stands in for the key it does not have)."""
    latest: dict[str | int, Example] = {}
    for n, example in enumerate(sorted(decisions, key=_when)):
        key = text_key(example.text)
        latest[n if key is None else key] = example
    return sorted(latest.values(), key=_when)


def split_recent(decisions: list[Example], share: float) -> tuple[list[Example], list[Example]]:
    """(older, recent): whole duplicate clusters, newest first, until ``share`` are recent."""
    ids = clusters([text_key(e.text) for e in decisions])
    members: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(ids):
        members[c].append(i)
    newest_first = sorted(members.values(), key=lambda m: max(_when(decisions[i]) for i in m),
                          reverse=True)
    want, recent = int(len(decisions) * share), set()
    for group in newest_first:
        if len(recent) >= want:
            break
        recent.update(group)
    older = [replace(e, split="train") for i, e in enumerate(decisions) if i not in recent]
    newer = [replace(e, split="test") for i, e in enumerate(decisions) if i in recent]
    return older, newer


def _fold_weights(decisions: list[Example]) -> list[float]:
    """1 / size of each decision's near-duplicate cluster."""
    ids = clusters([text_key(e.text) for e in decisions])
    size: dict[int, int] = defaultdict(int)
    for c in ids:
        size[c] += 1
    return [1.0 / size[c] for c in ids]


def _commenter_totals(decisions: list[Example], weights: list[float]) -> dict[str, float]:
    total: dict[str, float] = defaultdict(float)
    for e, w in zip(decisions, weights):
        total[e.group] += w
    return total


def fold_and_cap(decisions: list[Example], cap: float = COMMENTER_CAP) -> list[Example]:
    """Weights: a near-duplicate cluster shares 1, then no commenter's total exceeds ``cap``."""
    weights = _fold_weights(decisions)
    total = _commenter_totals(decisions, weights)
    return [replace(e, weight=w * min(1.0, cap / total[e.group]))
            for e, w in zip(decisions, weights)]


def prepare(corpus: list[Example], decisions: list[Example],
            recent_share: float = RECENT_SHARE, cap: float = COMMENTER_CAP) -> Prepared:
    """Join the corpora and the decisions as the module docstring says."""
    if not decisions:
        return Prepared(corpus=corpus, train=[], recent=[], report={"decisions": 0, "policy": POLICY})
    decision_keys = [text_key(e.text) for e in decisions]
    decided = set(decision_keys) - {None}
    corpus_keys = [text_key(e.text) for e in corpus]
    kept = [e for e, key in zip(corpus, corpus_keys) if key not in decided]
    trained_texts = {key for e, key in zip(corpus, corpus_keys)
                     if e.split == "train" and key is not None}
    latest = latest_per_text(decisions)
    older, recent = split_recent(latest, recent_share)
    train = fold_and_cap(older, cap)
    weights = _fold_weights(older)
    fresh = [e for e in recent if text_key(e.text) not in trained_texts]
    report = {
        "decisions": len(decisions),
        "distinct_texts": len(latest),
        "without_text_key": decision_keys.count(None),
        "corpus_rows_overridden": len(corpus) - len(kept),
        "trained": len(train),
        "trained_weight": round(sum(e.weight for e in train), 2),
        "duplicate_clusters": round(sum(weights)),
        "commenters_capped": sum(1 for w in _commenter_totals(older, weights).values() if w > cap),
        "recent": len(recent),
        "recent_not_in_corpora": len(fresh),
        "recent_share": recent_share,
        "commenter_cap": cap,
        "policy": POLICY,
        "trained_through": _mark(older),
    }
    return Prepared(corpus=kept, train=train, recent=recent, report=report, fresh=fresh)


def _mark(decisions: list[Example]) -> dict | None:
    """The newest decision trained on; later ones are new to this model (the gate's test)."""
    if not decisions:
        return None
    last = max(decisions, key=_when)
    return {"decided_at": last.decided_at.isoformat() if last.decided_at else None,
            "comment_id": last.comment_id}


def unseen_by(recent: list[Example], mark: dict | None) -> list[Example]:
    """The recent decisions a model whose card says ``trained_through: mark`` never trained on."""
    if not mark or not mark.get("decided_at"):
        return list(recent)
    cut = (datetime.fromisoformat(mark["decided_at"]).timestamp(), mark.get("comment_id") or 0)
    return [e for e in recent if _when(e) > cut]
