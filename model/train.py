"""Train the spam and abuse model: ``python -m model.train``.

Reads the public corpora (``--data``, default ``../shared/data``) and the moderators' decisions
stored by the service (joined as ``model/weighting.py`` says): from ``--database-url``, or by
default from the service's own store, found as the service finds it (MODERATION_DATABASE_URL, else
SQLite in its instance folder); ``--no-decisions`` trains on the corpora alone. Fits a
TwoHeadModel; compares it with the current version (``model/gate.py``); keeps the artifact and
its card in the configured model store (``model/model_store.py``; or the folder ``--out`` names),
and makes it current when the gate lets it (or ``--promote`` forces it).
``--dry-run`` trains and reports, and writes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import platform
import shlex
import sys
import time
from collections import Counter
from pathlib import Path

import joblib
import numpy as np
import scipy
import sklearn
from tqdm import tqdm

from model import artifact, gate, identity, metrics, model_store, weighting
from model.dataset import (Example, default_data_dir, default_found_dir, examples_of,
                           load_corpora)
from model.decisions import ENGLISH, hide_password, load_decisions, store_url
from model.pipeline import LABELS, TwoHeadModel
from model.profanity_prior import ProfanityPrior

# Share of each head's total training weight per source. The corpora differ in size by 15x;
# without this, Davidson's tweets would decide what "abuse" means and YouTube's 1,586 rows would be
# drowned by 38,000 tweets as spam negatives. OLID's "offensive" (insults aimed at someone, with or
# without swear words) is the closest to what a news site calls abuse, hence its larger share;
# Davidson's "offensive" class is mostly casual profanity. Values chosen on the evaluation splits
# (see model/report/report.md), where they moved held-out ROC AUC by about 0.005.
#
# News comments (toxic spans and their counterfactuals, Fox News) and long-form discussion
# (Wikipedia talk) carry most of both heads' negatives: they are what a news site's readers write,
# and the spam head must not learn that an ordinary comment, or one citing a link, is spam.
SOURCE_SHARE = {
    "spam": {"youtube": 1.0, "sms": 0.3, "fox": 0.12, "olid": 0.05, "davidson": 0.05,
             "toxicspans": 1.0, "wikitalk": 1.0},
    "abuse": {"davidson": 0.3, "olid": 1.2, "fox": 0.35, "youtube": 0.05, "toxicspans": 1.5,
              "wikitalk": 0.6},
}
# Moderators' decisions are not a share but a weight per decision: one (folded, capped) decision
# counts as DECISION_WEIGHT corpus rows, so 100 decisions nudge the model and 1,000 move it, and
# never more than MAX_DECISION_SHARE of a head's total weight, so the corpora keep the model
# general while a site has few decisions. Chosen with bench/learning_curve.py (bench/README.md).
DECISION_WEIGHT = 20.0
MAX_DECISION_SHARE = 0.5
N_FOLDS = 4


# Where each corpus comes from and under which licence (README, "Data"): the card says it too.
SOURCES = {
    "youtube-spam": {"source": "KayhanB21/YouTube-Spam-Collection, dataset/", "licence": "CC BY 4.0"},
    "davidson-hate-offensive": {"source": "t-davidson/hate-speech-and-offensive-language, "
                                "data/labeled_data.csv", "licence": "MIT"},
    "olid": {"source": "bertav6/Project-in-Language-Technology, OLID_dataset/",
             "licence": "none stated (predates the data policy; its README asks for a citation)"},
    "fox-news-comments": {"source": "sjtuprog/fox-news-comments", "licence": "MIT"},
    "toxic-spans": {"source": "ipavlopoulos/toxic_spans, SemEval2021/data/", "licence": "CC0 1.0"},
    "cat-large-wikitalk": {"source": "ipavlopoulos/context_toxicity@5df49c29, data/CAT_LARGE/",
                           "licence": "Apache-2.0; Wikipedia text CC BY-SA 3.0"},
    "sms-spam-collection": {"source": "PARKER-X/SpamClassifier@5fa41eaf, "
                            "smsspamcollection/SMSSpamCollection (UCI SMS Spam Collection)",
                            "licence": "CC BY 4.0"},
}


def source_kind(example: Example) -> str:
    return example.source.split(":", 1)[0]


def fold_of(example: Example) -> int:
    """Calibration folds: a YouTube video, or a Fox article, never straddles two folds."""
    if example.source.startswith("youtube:"):
        return sorted(["youtube:Psy", "youtube:KatyPerry", "youtube:LMFAO",
                       "youtube:Eminem"]).index(example.source) % N_FOLDS
    digest = hashlib.sha256(example.group.encode()).digest()
    return digest[0] % N_FOLDS


def label_matrix(examples: list[Example]) -> np.ndarray:
    return np.array([[-1 if e.spam is None else e.spam, -1 if e.abuse is None else e.abuse]
                     for e in examples])


def weight_matrix(examples: list[Example]) -> np.ndarray:
    """Per head: each corpus gets its SOURCE_SHARE of the corpus weight (rows within it weighted
    by ``Example.weight``); each moderators' decision DECISION_WEIGHT times its own weight, up to
    MAX_DECISION_SHARE of the total; the mean weight is 1."""
    labels = label_matrix(examples)
    weights = np.zeros(labels.shape)
    kinds = np.array([source_kind(e) for e in examples])
    units = np.array([e.weight for e in examples], dtype=float)
    site = kinds == "moderators"
    for k, label in enumerate(LABELS):
        has = labels[:, k] >= 0
        corpus = has & ~site
        shares = SOURCE_SHARE[label]
        if label == "abuse":
            units = identity.balance([e.text for e in examples], labels[:, k],
                                     np.array([e.weight for e in examples], dtype=float), kinds)
        present = {s for s in set(kinds[corpus]) if shares.get(s, 0) > 0}
        total_share = sum(shares[s] for s in present)
        for s in present:
            rows = corpus & (kinds == s)
            weights[rows, k] = shares[s] / total_share * corpus.sum() / units[rows].sum() * units[rows]
        decided = has & site
        if decided.any():
            w = units[decided] * DECISION_WEIGHT
            limit = MAX_DECISION_SHARE / (1 - MAX_DECISION_SHARE) * weights[corpus, k].sum()
            weights[decided, k] = w * min(1.0, limit / w.sum())
            weights[has, k] *= has.sum() / weights[has, k].sum()
    return weights


# News-shaped clean comments: what a news site's readers write when they are civil. The default
# thresholds are set on their out-of-fold scores, so a new site starts from what its own readers
# will meet, not from the F1-best point on tweets and music-video comments (which held 14-25% of
# clean news comments).
NEWS_SOURCES = ("fox", "wikitalk", "toxicspans")
# Share of clean news comments each head may hold on day one, and may reject outright. The two
# holds add up to the default hold budget (service/config.py); the service then learns the
# site's own score distribution from its traffic (service/budget.py).
HOLD_SHARE = {"spam": 0.01, "abuse": 0.03}
REJECT_SHARE = 0.001
REJECT_PRECISION = 0.995
# Where clean news comments all score next to nothing (a small or very easy corpus), their
# quantile is no line at all: a hold line at 0 would hold every comment.
MIN_HOLD = 0.05
CONFIDENT_PRECISION = 0.9


def _news_clean(examples: list[Example], rows: np.ndarray, label: str) -> np.ndarray:
    """Mask over ``rows``: clean news comments (the counterfactuals are not: they are what is left
    of a toxic comment, and a head should score them higher than ordinary ones)."""
    return np.array([source_kind(examples[i]) in NEWS_SOURCES and getattr(examples[i], label) == 0
                     and examples[i].spans != () for i in rows], dtype=bool)


def suggest_thresholds(model: TwoHeadModel, examples: list[Example]) -> dict:
    """Per label, on out-of-fold scores:

    - ``hold``: where HOLD_SHARE of clean news comments would be held (for spam, never below the
      F1-best point on spam's own corpora): a new site's default, which the service's hold
      budget then fits to the site's own traffic;
    - ``confident``: where news comments at or above it carry the label with precision
      CONFIDENT_PRECISION: held whatever the budget says;
    - ``reject``: where the precision reaches REJECT_PRECISION and at most REJECT_SHARE of clean
      news comments would be rejected. The bar is high because rejection happens with no human
      in the loop, and a wrongly rejected reader is worse than a held one.
    """
    out = {}
    for label in LABELS:
        rows, proba = model.oof_scores_[label]
        y = np.array([getattr(examples[i], label) for i in rows])
        clean_news = _news_clean(examples, rows, label)
        news = np.array([source_kind(examples[i]) in NEWS_SOURCES for i in rows], dtype=bool)
        hold = 0.5
        if label == "spam":
            # Spam's own F1 point is where spam lives (YouTube, SMS), not on every negative.
            own = np.array([source_kind(examples[i]) in ("youtube", "sms") for i in rows])
            hold = metrics.best_f1_threshold(y[own], proba[own])
        precise = metrics.threshold_for_precision(y, proba, REJECT_PRECISION)
        if clean_news.any():
            quantile = float(np.quantile(proba[clean_news], 1 - HOLD_SHARE[label]))
            hold = max(hold, quantile) if label == "spam" else max(quantile, MIN_HOLD)
            precise = max(precise, float(np.quantile(proba[clean_news], 1 - REJECT_SHARE)))
        # Abuse: precision among news comments (the tweets' 77% offensive would flatter it);
        # spam: among all comments, as no news corpus holds spam.
        pool = news if label == "abuse" and len(set(y[news])) == 2 else np.ones_like(news)
        confident = metrics.threshold_for_precision(y[pool], proba[pool], CONFIDENT_PRECISION)
        reject = max(precise, hold)
        out[label] = {"hold": round(float(hold), 4),
                      "confident": round(float(min(max(confident, hold), reject)), 4),
                      "reject": round(float(reject), 4)}
    return out


def news_score_quantiles(model: TwoHeadModel, examples: list[Example]) -> dict:
    """Per label, percentiles 0..100 of the out-of-fold scores of news comments that carry the
    label: the models page reads from them what share of such comments a line catches."""
    out = {}
    for label in LABELS:
        rows, proba = model.oof_scores_[label]
        news = np.array([source_kind(examples[i]) in NEWS_SOURCES + ("youtube", "sms")
                         and getattr(examples[i], label) == 1 for i in rows], dtype=bool)
        if news.any():
            out[label] = [round(float(q), 5) for q in np.percentile(proba[news], np.arange(101))]
    return out


def validation_metrics(model: TwoHeadModel, examples: list[Example], thresholds: dict,
                       held_out: list[Example]) -> dict:
    """Out-of-fold figures per label and source, and figures on the fixed held-out rows."""
    out = {"out_of_fold": {}, "held_out": {}}
    for label in LABELS:
        rows, proba = model.oof_scores_[label]
        by_source = {}
        for kind in sorted({source_kind(examples[i]) for i in rows}):
            sel = np.array([source_kind(examples[i]) == kind for i in rows])
            y = np.array([getattr(examples[i], label) for i in rows[sel]])
            if len(set(y)) == 2:
                by_source[kind] = metrics.summary(y, proba[sel], thresholds[label]["hold"])
        out["out_of_fold"][label] = by_source
    if held_out:
        proba = model.predict_proba([e.text for e in held_out])
        for k, label in enumerate(LABELS):
            by_source = {}
            for kind in sorted({source_kind(e) for e in held_out}):
                sel = np.array([source_kind(e) == kind and getattr(e, label) is not None
                                for e in held_out])
                y = np.array([getattr(e, label) for e, s in zip(held_out, sel) if s])
                if len(set(y)) == 2:
                    by_source[kind] = metrics.summary(y, proba[sel, k], thresholds[label]["hold"])
            out["held_out"][label] = by_source
    return out


def profanity_prior() -> ProfanityPrior | None:
    """alt-profanity-check's weights when the package is installed (it is in the dev
    requirements, which ``make model`` installs); without it the abuse head does without."""
    try:
        # Its tweets taught it that group names are abuse; our head learns their abusive
        # uses from balanced rows instead (model/identity.py).
        return ProfanityPrior.from_package().without(identity.TERMS)
    except ImportError:
        return None


def fit(examples: list[Example], progress=None, prior: ProfanityPrior | None = None,
        jobs: int | None = None) -> TwoHeadModel:
    """Fit a TwoHeadModel on ``examples`` with this module's weights and folds, ``jobs``
    regressions at a time (default: one per core)."""
    return TwoHeadModel(prior=prior).fit(
        [e.text for e in examples], label_matrix(examples), weight_matrix(examples),
        np.array([fold_of(e) for e in examples]), progress=progress,
        spans=[e.spans for e in examples],
        site=np.array([source_kind(e) == "moderators" for e in examples]),
        jobs=jobs or os.cpu_count() or 1)


def build_card(*, stem, command, corpora, decisions, train_rows, held_out, thresholds,
               validation, seconds, parent, promotion, joined, prior=None,
               positives=None) -> dict:
    return {
        "name": stem.rsplit("-", 2)[0],
        "version": stem,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "parent": parent,
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                     "numpy": np.__version__, "scipy": scipy.__version__,
                     "joblib": joblib.__version__,
                     # The abuse head's prior is this package's model, read at training time.
                     "alt-profanity-check": prior.version if prior else None},
        "data": [
            {"name": c.name, "path": str(c.path.name), "sha256": c.sha256,
             "rows": len(c.examples),
             "held_out_rows": sum(e.split == "test" for e in c.examples),
             **SOURCES.get(c.name.split("/")[0], {})}
            for c in corpora
        ] + ([{"name": "moderators", "rows": len(decisions)}] if decisions else []),
        "label_balance": {
            label: {"positive": sum(getattr(e, label) == 1 for e in train_rows),
                    "negative": sum(getattr(e, label) == 0 for e in train_rows)}
            for label in LABELS
        },
        "training_rows": len(train_rows),
        "held_out_rows": len(held_out),
        "training_seconds": round(seconds, 1),
        "thresholds": thresholds,
        # What the models page says a line catches: out-of-fold scores of labelled news comments
        # (spam: YouTube and SMS spam, as no news corpus holds spam).
        "positive_score_percentiles": positives,
        "validation": validation,
        "source_shares": SOURCE_SHARE,
        "decision_weight": {"per_decision": DECISION_WEIGHT, "max_share": MAX_DECISION_SHARE},
        "moderators": joined,
        "promotion": promotion,
    }


def _share(value: str) -> float:
    share = float(value)
    if not 0 <= share < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a share between 0 and 1 (e.g. 0.2)")
    return share


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m model.train", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None,
                        help="folder of public corpora (default: ../shared/data)")
    parser.add_argument("--found-data", type=Path, default=default_found_dir(),
                        help="folder of the found corpora named in the README's data section "
                             "(default: ../extra-data; used when present)")
    parser.add_argument("--no-found-data", action="store_true",
                        help="train on --data alone even where the found corpora are present")
    store = parser.add_mutually_exclusive_group()
    store.add_argument("--database-url", default=None,
                       help="SQLAlchemy URL of the service's store to read moderators' decisions "
                            "from (default: the store the service uses: MODERATION_DATABASE_URL, "
                            "else instance/moderation.sqlite3)")
    store.add_argument("--no-decisions", action="store_true",
                       help="train on the public corpora alone (the shipped model: `make model`)")
    parser.add_argument("--out", type=Path, default=None,
                        help="artifact folder to write to instead of the configured model store "
                             "(MODERATION_MODEL_STORE: model/artifacts, or the service's database)")
    parser.add_argument("--name", default="moderation", help="artifact name prefix")
    parser.add_argument("--promote", action="store_true",
                        help="make the new version current even if the promotion gate refuses it "
                             "(the deliberate rebuild of `make model`); the card keeps the comparison")
    parser.add_argument("--dry-run", action="store_true",
                        help="train, compare and report; save nothing and change no pointer")
    parser.add_argument("--recent-share", type=_share, default=weighting.RECENT_SHARE,
                        help="share of the newest decisions kept out of training to validate on "
                             f"(default {weighting.RECENT_SHARE})")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--jobs", type=int, default=None,
                        help="regressions fitted at once (default: one per core; the model is "
                             "the same for any number)")
    return parser


def _current(store):
    """(stem, model, card) of the store's current version, or (stem or None, None, reason it is
    unusable)."""
    try:
        stem = store.current()
    except artifact.ArtifactError:
        return None, None, "no current model to compare with"
    try:
        model, card = artifact.load(store.fetch(stem))
    except artifact.ArtifactError as exc:
        return stem, None, f"the current model cannot be loaded to compare with: {exc}"
    return stem, model, card


def judge(model, store, held_out: list[Example], recent: list[Example]) -> tuple[str | None, dict]:
    """(parent, promotion) of a model just trained, against the current version in ``store``."""
    parent, current, card = _current(store)
    if current is None:
        first = parent is None
        return parent, {"promoted": first, "reasons": [card], "comparison": None}
    unseen = weighting.unseen_by(recent, (card.get("moderators") or {}).get("trained_through"))
    comparison = gate.compare(model, current, held_out, unseen)
    promoted, reasons = gate.verdict(comparison)
    return parent, {"promoted": promoted, "reasons": reasons, "comparison": comparison}


def _report(promotion: dict, stem: str, parent: str | None, dry_run: bool = False) -> str:
    if dry_run:
        head = (f"{stem}: would be promoted (current: {parent})" if promotion["promoted"]
                else f"{stem}: would NOT be promoted; {parent} stays current")
    else:
        head = (f"{stem}: promoted (was {parent})" if promotion["promoted"]
                else f"{stem}: NOT promoted, kept as a candidate; {parent} stays current")
    return "\n".join([head] + [f"  - {r}" for r in promotion["reasons"]])


def _decisions_source(args) -> tuple[str | None, str]:
    """(store URL or None, where that URL came from) for the decisions to train on."""
    if args.no_decisions:
        return None, "--no-decisions"
    if args.database_url:
        return args.database_url, "--database-url"
    from_env = os.environ.get("MODERATION_DATABASE_URL", "").strip() or None
    url = store_url(from_env, os.environ.get("MODERATION_INSTANCE_PATH", "").strip() or None)
    return url, ("MODERATION_DATABASE_URL" if from_env else "the service's default store")


def _missing_sqlite_file(url: str) -> str | None:
    """The path of a SQLite store that does not exist (opening it would create an empty file and
    then fail on the missing tables), or None."""
    from sqlalchemy.engine import make_url
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return None if Path(parsed.database).exists() else parsed.database


def _load_site_decisions(args, parser) -> list[Example]:
    """The moderators' decisions the command line asks for, saying where they came from."""
    url, source = _decisions_source(args)
    if url is None:
        print("moderators' decisions: none (--no-decisions); training on the public corpora alone")
        return []
    missing = _missing_sqlite_file(url)
    if missing:
        parser.error(f"no database at {missing} ({source}). Start the service once (make serve) to "
                     "create it, name another with --database-url URL, or train on the public "
                     "corpora alone with --no-decisions.")
    # The general model's heads are English's: decisions on comments in other languages teach
    # those languages' site layers instead (model.site_update).
    decisions = load_decisions(url, ENGLISH)
    print(f"moderators' decisions: read {len(decisions)} on English comments from "
          f"{hide_password(url)} ({source})")
    return decisions


def _used(report: dict) -> str:
    if not report["decisions"]:
        return "no decisions to learn from: training on the public corpora alone"
    return (f"used {report['trained'] + report['recent']} decisions: {report['trained']} to "
            f"train on, {report['recent']} (the newest) to validate on")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    store = model_store.configured(out=args.out, database_url=args.database_url)
    try:
        return _train(args, parser, argv, store)
    finally:
        store.close()


def _train(args, parser, argv, store) -> int:
    """Train, compare with the store's current version, report, and keep the new version in the
    store (made current when the gate or --promote says so)."""
    started = time.perf_counter()
    decisions = _load_site_decisions(args, parser)  # first: a missing store stops it at once
    corpora = load_corpora(args.data or default_data_dir(),
                           None if args.no_found_data else args.found_data)
    joined = weighting.prepare(examples_of(corpora), decisions, args.recent_share)
    if not args.no_decisions:
        print(f"moderators' decisions: {_used(joined.report)}")
    examples = joined.corpus + joined.train + joined.recent
    train_rows = [e for e in examples if e.split == "train"]
    held_out = [e for e in examples if e.split == "test"]
    counts = Counter(source_kind(e) for e in train_rows)
    print(f"training on {len(train_rows)} rows ({dict(counts)}), {len(held_out)} held out"
          + (f"; decisions: { {k: v for k, v in joined.report.items() if k != 'policy'} }"
             if decisions else ""), file=sys.stderr)

    steps = 1 + 2 * (N_FOLDS + 1)
    with tqdm(total=steps, desc="training", unit="step", disable=args.quiet,
              file=sys.stderr) as bar:
        def progress(msg):
            bar.set_postfix_str(msg)
            bar.update(1)
        model = fit(train_rows, progress, prior=profanity_prior(), jobs=args.jobs)
    thresholds = suggest_thresholds(model, train_rows)
    validation = validation_metrics(model, train_rows, thresholds, held_out)
    parent, promotion = judge(model, store, [e for e in joined.corpus if e.split == "test"],
                              joined.fresh)
    if args.promote and not promotion["promoted"]:
        promotion = {**promotion, "promoted": True,
                     "reasons": ["made current by --promote despite:"] + promotion["reasons"]}
    seconds = time.perf_counter() - started

    stem = f"{args.name}-{dt.datetime.now(dt.timezone.utc):%Y%m%d-%H%M%S}"
    print(metrics.format_validation(validation))
    print(_report(promotion, stem, parent, args.dry_run))
    if args.dry_run:
        print("dry run: nothing saved, the current version is unchanged")
        return 0
    command = "python -m model.train " + " ".join(
        shlex.quote(hide_password(a)) for a in (argv if argv is not None else sys.argv[1:]))
    card = build_card(stem=stem, command=command.strip(), corpora=corpora, decisions=decisions,
                      train_rows=train_rows, held_out=held_out, thresholds=thresholds,
                      validation=validation, seconds=seconds, parent=parent,
                      promotion=promotion, joined=joined.report, prior=model.prior,
                      positives=news_score_quantiles(model, train_rows))
    path = store.save(model, card, stem)
    reason = "; ".join(promotion["reasons"])
    if promotion["promoted"]:
        store.promote(stem, reason)
    else:
        store.refuse(stem, reason)
    print(f"wrote {stem} to {store} ({path.stat().st_size / 1e6:.1f} MB) in {seconds:.1f} s"
          + ("; now current" if promotion["promoted"] else "; current version unchanged"),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
