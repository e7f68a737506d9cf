"""What the model page says about each version, in a newsroom's words: when it went into
service, what changed from the version before, whether it is better on this site, and how often
moderators overturned it.

Plain functions over what `service.classifier.model_registry` read (the cards and the promotion
history) and `service.classifier.overturns` counted; no Flask. ROC AUC is said as what it means to a
moderator: the chance that the model scores a randomly chosen abusive (or spam) comment above an
acceptable one (50% is a coin toss, 100% never wrong). The figures themselves stay on the page,
folded away.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from service.classifier.model_registry import HistoryEntry, Registry, Version, parse_time
from service.classifier.overturns import Overturns
from service.decisions.spot_checks import Tally, estimate

# The news-comment corpus among the cards' held-out sets: the nearest to a news site's comments.
NEWS = "fox"
PROMOTED_BY_HAND = "made current by --promote despite:"
WHAT = {"abuse": "abusive comments from acceptable ones", "spam": "spam from real comments"}


def when(value) -> str:
    """A time as the other review pages write it ("2026-11-24 17:17 UTC"); an ISO string that
    does not parse is returned as it is, and nothing as ""."""
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    else:
        moment = parse_time(value)
        if moment is None:
            return str(value or "")
    return f"{moment.astimezone(dt.timezone.utc):%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class Score:
    """One line of a version's test scores: ROC AUC per evaluation on one data set."""
    label: str
    source: str
    held_out: float | None
    out_of_fold: float | None
    before: float | None  # the version it replaced, on the same held-out rows (promotion check)


@dataclass(frozen=True)
class Story:
    in_service: str
    parent: str | None          # the version it was retrained from
    parent_kept: bool           # that version's card is in the artifact directory
    parent_made: str            # when that version was trained ("" when not known)
    changed: list[str]
    on_site: list[str]
    overturned: str
    scores: list[Score]
    by_hand: bool               # made current although the promotion check refused it


def promoted_by_hand(version: Version | None) -> bool:
    promotion = (version.promotion if version else None) or {}
    return (promotion.get("reasons") or [None])[0] == PROMOTED_BY_HAND


def in_service(stem: str, current: bool, entry: HistoryEntry | None, registry: Registry,
               version: Version | None) -> str:
    """The "made current" sentence, never empty: the history says when, or why it cannot."""
    if entry is not None:
        if entry.action == "rollback":
            return f"Put back in service {when(entry.at)} (a rollback)."
        return (f"Put in service {when(entry.at)}"
                + (" by hand, although the automatic check would have kept the version before."
                   if promoted_by_hand(version) else ", after the automatic check found it no worse."))
    refused = [e for e in registry.history if e.version == stem and e.action == "refused"]
    if refused:
        return (f"Not put in service: the automatic check kept the version before "
                f"({when(refused[-1].at)}).")
    replaced = [e for e in registry.history if e.previous == stem
                and e.action in ("promote", "rollback")]
    if replaced and not current:
        return (f"In service until {when(replaced[-1].at)}, when {replaced[-1].version} "
                "replaced it; when it went in is not on record (the history starts later).")
    if current:
        return ("In service since it was installed; no switch-over is on record "
                "(the promotion history starts after it).")
    return "Not put in service here."


def _data_names(card: dict) -> set[str]:
    # "youtube-spam/Youtube01-Psy" and its siblings are one data set to a reader.
    return {str(d.get("name", "")).split("/")[0] for d in card.get("data") or []
            if isinstance(d, dict) and d.get("name") and d.get("name") != "moderators"}


def _decisions(card: dict) -> int:
    return sum(int(d.get("rows") or 0) for d in card.get("data") or []
               if isinstance(d, dict) and d.get("name") == "moderators")


def changed(card: dict, parent_card: dict | None) -> list[str]:
    """What the card says is new against the version it was retrained from."""
    lines = []
    rows = card.get("training_rows")
    if isinstance(rows, int):
        line = f"Learned from {rows:,} labelled comments"
        before = (parent_card or {}).get("training_rows")
        if isinstance(before, int) and before != rows:
            line += f", {abs(rows - before):,} {'more' if rows > before else 'fewer'} than before"
        decisions = _decisions(card)
        line += (f", {decisions:,} of them decisions by this site's moderators." if decisions
                 else "; none of them decisions by this site's moderators.")
        lines.append(line)
    if parent_card is not None:
        added = sorted(_data_names(card) - _data_names(parent_card))
        dropped = sorted(_data_names(parent_card) - _data_names(card))
        if added:
            lines.append("New training data: " + ", ".join(added) + ".")
        if dropped:
            lines.append("No longer trained on: " + ", ".join(dropped) + ".")
        if not added and not dropped:
            lines.append("The same data sets as before.")
    return lines


def _better(new: float, old: float) -> str:
    return "better than" if new > old else "worse than" if new < old else "as well as"


def on_site(version: Version | None, overturns: Overturns | None,
            parent_overturns: Overturns | None) -> list[str]:
    """Whether it does better on this site: the moderators' own recent decisions (the promotion
    check), how often they overturned it against the version before, and unseen news comments."""
    lines = []
    promotion = (version.promotion if version else None) or {}
    comparison = promotion.get("comparison") if isinstance(promotion.get("comparison"), dict) \
        else None
    if comparison is not None:
        recent = comparison.get("recent") or {}
        measured = False
        for label in ("abuse", "spam"):
            m = recent.get(label)
            if isinstance(m, dict):
                measured = True
                lines.append(f"On the {m['rows']} most recent moderator decisions here, it tells "
                             f"{WHAT[label]} apart {_better(m['candidate'], m['current'])} the "
                             f"version before ({m['candidate']:.0%} against {m['current']:.0%}).")
        if not measured:
            lines.append("Not yet measured on this site's own comments: there were too few "
                         "recent moderator decisions of both kinds to compare it with the "
                         "version before.")
    if (overturns and overturns.share is not None and parent_overturns
            and parent_overturns.share is not None):
        new, old = overturns.share, parent_overturns.share
        how = "less often than" if new < old else "more often than" if new > old else "as often as"
        lines.append(f"Moderators overturned it {how} the version before ({new:.0%} of "
                     f"{overturns.decided} against {old:.0%} of {parent_overturns.decided}).")
    news = ((comparison or {}).get("held_out") or {}).get("abuse", {}).get(NEWS)
    if isinstance(news, dict):
        lines.append(f"On news-site comments it never saw, it ranks an abusive comment above an "
                     f"acceptable one {news['candidate']:.0%} of the time, against "
                     f"{news['current']:.0%} for the version before.")
    else:
        held = [m for m in (version.metrics if version else [])
                if (m.split, m.label, m.source) == ("held_out", "abuse", NEWS)]
        if held:
            lines.append(f"On news-site comments it never saw, it ranks an abusive comment above "
                         f"an acceptable one {held[0].roc_auc:.0%} of the time.")
    if not lines:
        lines.append("Its card holds no comparison with the version before.")
    return lines


def overturned(overturns: Overturns | None) -> str:
    if overturns is None:
        return "It has not scored a comment on this site."
    if not overturns.decided:
        return (f"It scored {overturns.scored} comments here; moderators have not decided any "
                "of them yet.")
    return (f"Moderators overturned {overturns.overturned} of the {overturns.decided} of its "
            f"decisions they reviewed: they approved {overturns.approved_held} it had held or "
            f"rejected, and rejected {overturns.rejected_published} it had published. It scored "
            f"{overturns.scored} comments here.")


def percent(share: float) -> str:
    """A share as a moderator reads it: "25%", "2.5%", "2%", "0.4%", "0%"; never "0%" for a
    share that is not zero."""
    if share == 0 or share >= 0.1:
        return f"{share:.0%}"
    return f"{share:.1%}".replace(".0%", "%") if share >= 0.001 else "under 0.1%"


def missed(tally: Tally, pick_share: float) -> list[str]:
    """What the spot checks say about the comments the policy published: how many of them the
    moderators would have removed, with the 95% interval, or why there is no figure yet."""
    if pick_share:
        picking = (f"Spot checks: {percent(pick_share)} of the comments the policy publishes "
                   "are picked at random and also put in the review queue, where a moderator "
                   "keeps or removes them.")
    else:
        picking = ("Spot checks are off (MODERATION_SPOT_CHECK_SHARE is 0): no published "
                   "comment is picked for the review queue any more.")
    lines = [picking]
    found = estimate(tally.removed, tally.decided)
    if found.share is None:
        lines.append("No spot check has been decided yet, so there is no estimate yet of how "
                     "many published comments moderators would have removed.")
    else:
        lines.append(f"Moderators removed {tally.removed} of the {tally.decided} published "
                     f"comments they checked.")
        lines.append(f"So about {percent(found.share)} of the comments this site publishes are "
                     f"ones a moderator would remove: between {percent(found.low)} and "
                     f"{percent(found.high)}, with 95% confidence (the range narrows as more spot "
                     "checks are decided).")
    if tally.open:
        lines.append(f"{tally.open} spot check{'s wait' if tally.open != 1 else ' waits'} in "
                     "the review queue.")
    return lines


def scores(version: Version | None) -> list[Score]:
    """One line per label and data set, each evaluation in a column of its own."""
    if version is None:
        return []
    figures: dict[tuple[str, str], dict[str, float]] = {}
    for m in version.metrics:
        figures.setdefault((m.label, m.source), {})[m.split] = m.roc_auc
    comparison = (version.promotion or {}).get("comparison") or {}
    before = {(label, source): m.get("current")
              for label, sources in (comparison.get("held_out") or {}).items()
              for source, m in (sources or {}).items() if isinstance(m, dict)}
    return [Score(label, source, f.get("held_out"), f.get("out_of_fold"),
                  before.get((label, source)))
            for (label, source), f in sorted(figures.items())]


def story(stem: str, version: Version | None, current: bool, registry: Registry,
          overturns: dict[str, Overturns]) -> Story:
    cards = {v.stem: v for v in registry.versions}
    parent = version.parent if version else None
    parent_version = cards.get(parent) if parent else None
    parent_made = when((parent_version.created_at if parent_version else None) or "")
    return Story(in_service(stem, current, registry.last_made_current(stem), registry, version),
                 parent, parent_version is not None, parent_made,
                 changed(version.card if version else {},
                         parent_version.card if parent_version else None),
                 on_site(version, overturns.get(stem), overturns.get(parent) if parent else None),
                 overturned(overturns.get(stem)), scores(version), promoted_by_hand(version))
