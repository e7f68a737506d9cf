"""The policy per language: what the service does with a comment, given the language it is in.

The shipped heads learnt English only. On Indonesian news comments they rank abusive against
clean at chance and hold clean ones at random (issue 17), so a comment is scored only by a model
for its own language, and the operator chooses per language (`MODERATION_LANGUAGE_POLICY`):

- `rules`: the rules alone decide (links, blocked and watched terms, and in intake flood and
  duplicates), and whatever they do not stop is published. The default for every language but
  English, so a new language never sees a random hold.
- `hold`: every comment in it waits for a person.
- `model`: scored by the site's own model for that language (`ScorerHolder.languages()`); while
  there is none yet, the rules alone, as `rules`. English's default.

Comments whose language is not told (`unknown`: too short, or mixing languages) are scored by
the English heads, and only their confident lines act (the card's confident and reject lines,
not the uncertain hold line). Why: identification abstains on exactly the comments where English
abuse and spam are shortest and plainest ("kill yourself", a link and a phone number), and those
score high whatever the surrounding language; but on a short Indonesian "Mantap gan" an English
score in the uncertain band means nothing, and holding on it would be the random hold this policy
exists to prevent. In the hold budget's sample they count as traffic whose uncertain score holds
nothing (service/storage/store.py, `recent_scores`).

`judge(...)` is what intake and the integrations call: identify, plan, score each language's
comments with its own model in one call, and give each comment the `Rules` it is decided by.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Callable, Mapping

from flask import Flask

from service.ops import metrics
from service.decisions.hold_budget import cautious
from service.decisions.language import UNKNOWN, Identifier
from service.decisions.policy import Rules, Thresholds
from service.classifier.scoring import Scored

RULES, HOLD, MODEL = "rules", "hold", "model"
ENGLISH = "en"
UNSCORED = Scored(None, None)


@dataclass(frozen=True)
class Plan:
    language: str            # the comment's language (service.decisions.language), or UNKNOWN
    choice: str              # rules, hold or model: the operator's, or the default
    scorer: str | None       # the language of the model that scores it; None: not scored
    confident_only: bool = False


@dataclass(frozen=True)
class Judged:
    plan: Plan
    scored: Scored           # UNSCORED when the plan scores nothing
    rules: Rules


def choice_for(language: str, policy: Mapping[str, str]) -> str:
    """The operator's choice for `language`, else `*`'s (which does not cover `unknown`), else
    the default: English and unknown scored, everything else rules only."""
    if language in policy:
        return policy[language]
    if language != UNKNOWN and "*" in policy:
        return policy["*"]
    return MODEL if language in (ENGLISH, UNKNOWN) else RULES


def plan(language: str, policy: Mapping[str, str], scorable: frozenset[str]) -> Plan:
    choice = choice_for(language, policy)
    if choice == MODEL:
        if language == UNKNOWN and ENGLISH in scorable:
            return Plan(language, choice, ENGLISH, confident_only=True)
        if language in scorable:
            return Plan(language, choice, language)
    # `model` for a language without a model yet is rules only until it has one.
    return Plan(language, choice, None)


def terms_for(language: str, by_language: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The per-language terms that apply: the language's own; every language's when it is not
    told (a short insult is both what identification abstains on and what the list is for)."""
    if language == UNKNOWN:
        return tuple(term for terms in by_language.values() for term in terms)
    return by_language.get(language, ())


def confident_only(thresholds: Mapping[str, Thresholds], card: dict | None,
                   fixed: frozenset[str] = frozenset()) -> dict[str, Thresholds]:
    """`thresholds` with each hold line raised to the card's confident line (the reject line
    where the card has none), so uncertain scores hold nothing; except the labels in `fixed`,
    whose hold line the operator set (explicit settings are never moved, as in the hold
    budget)."""
    lines = cautious(card) if card else {}
    out = {}
    for label, limits in thresholds.items():
        if label in fixed:
            out[label] = limits
            continue
        confident = lines.get(label, {}).get("hold", limits.reject)
        out[label] = Thresholds(min(max(limits.hold, confident), limits.reject), limits.reject)
    return out


def rules_for(plan_: Plan, base: Rules, card: dict | None, config: Mapping) -> Rules:
    """The rules a comment under `plan_` is decided by: `base` (the site's rules, thresholds from
    its scorer's card) with its language's terms, and scored, held or confident-only as planned."""
    language = plan_.language
    rules = replace(
        base,
        blocked_terms=base.blocked_terms + terms_for(
            language, config["MODERATION_BLOCKED_TERMS_BY_LANGUAGE"]),
        watched_terms=base.watched_terms + terms_for(
            language, config["MODERATION_WATCHED_TERMS_BY_LANGUAGE"]))
    if plan_.choice == HOLD:
        return replace(rules, scored=False, hold_reason=f"language_hold:{language}")
    if plan_.scorer is None:
        return replace(rules, scored=False, notes=(f"language_unscored:{language}",))
    if plan_.confident_only:
        fixed = frozenset(label for label in rules.thresholds
                          if config.get(f"MODERATION_{label.upper()}_HOLD") is not None)
        # No note: the review item says the language was not told, and most comments this
        # applies to are ordinary short ones ("Good reporting.") that no rule stopped.
        return replace(rules, thresholds=confident_only(rules.thresholds, card, fixed))
    return rules


def follow_models(app: Flask) -> None:
    """Bring the general model and the site layers `judge` scores with to their newest versions.
    Called in the request's own thread before `judge`, which intake runs in its batcher's: a
    newly promoted model loaded there would hold up every comment of the worker meanwhile
    (service.classifier.scoring). Each is a clock comparison until a check is due."""
    app.extensions["scorer"].refresh_if_due()
    app.extensions["site_layers"].refresh_if_due()


def judge(app: Flask, texts: list[str], rules_for_card: Callable[[dict | None], Rules], *,
          budget: bool = True, websites: list[str] | None = None) -> list[Judged]:
    """Identify, plan and score `texts` (comments that arrived together): one scoring call per
    language that has a model, and each comment's rules. `rules_for_card(card)`: the site's
    rules with a scorer card's thresholds (service.intake.views.policy_rules); `budget`: fit English
    thresholds to the site's hold budget (intake does, the integrations do not); `websites`: the
    authors' website fields, one per text, which the site layer learns from (model.context)."""
    config = app.config
    holder = app.extensions["scorer"]
    site_layers = app.extensions["site_layers"]
    identifier: Identifier = app.extensions["language"]
    general = holder.languages()
    # A language the general model has not learnt is scorable once the site's moderators
    # taught it a layer of its own (model.site_update).
    scorable = general | site_layers.own_languages()
    plans = [plan(identifier.identify(text), config["MODERATION_LANGUAGE_POLICY"], scorable)
             for text in texts]
    groups: dict[str, list[int]] = defaultdict(list)
    for i, planned in enumerate(plans):
        if planned.scorer is not None:
            groups[planned.scorer].append(i)
    scored = [UNSCORED] * len(texts)
    base = {None: rules_for_card(None)}
    cards: dict[str | None, dict | None] = {None: None}
    for language, indexes in groups.items():
        some = [texts[i] for i in indexes]
        sites = None if websites is None else [websites[i] for i in indexes]
        with metrics.scoring_time():  # one call per language of the group
            if language in general:
                # The site layer learnt from this site's moderators adjusts the general scores.
                results = site_layers.adjust_scored(some, holder.score_many(some, language),
                                                    language, sites)
            else:
                results = site_layers.score_alone(some, language, sites)
        if results is None:            # its own layer failed or was switched off meanwhile
            for i in indexes:
                plans[i] = replace(plans[i], scorer=None)
            continue
        for i, result in zip(indexes, results):
            scored[i] = result
        first = results[0]                 # one model scored the whole language group
        card = first.thresholds
        if budget and language == ENGLISH:
            # The budget knows one model's score distribution: the English heads'.
            card = app.extensions["hold_budget"].thresholds(first.model_version, card,
                                                            len(indexes))
        cards[language], base[language] = card, rules_for_card(card)
    return [Judged(planned, result, rules_for(planned, base[planned.scorer],
                                              cards[planned.scorer], config))
            for planned, result in zip(plans, scored)]


def init_app(app: Flask) -> None:
    try:
        app.extensions["language"] = Identifier(app.config["MODERATION_LANGUAGES"])
    except ValueError as exc:
        raise ValueError(f"MODERATION_LANGUAGES: {exc}") from exc
