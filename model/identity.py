"""Words that name a group of people, and training weights that keep them from meaning "abuse".

In the public corpora, group names co-occur with abuse: hateful tweets name their targets, and
news comments attacking a group name it. A model trained on them learns that "gay", "muslim" or
"black" are signs of abuse, and holds the reader who writes "I am a gay man" or "Black and
Hispanic neighbourhoods get the most licence plate readers". On a news site, whose articles are
about immigration, religion and race, that is a model that silences the people the story is
about.

``balance`` reweights the abuse head's training rows so that, within each corpus, the comments
naming a group are no more often abusive than the corpus as a whole (Dixon et al., "Measuring and
Mitigating Unintended Bias in Text Classification", 2018, balanced the data the same way by
adding clean examples). The words keep their weight where they are used as an insult: the
abusive rows that name a group still count, only no longer more than their share.

The lexicon and the prior (``model/span_lexicon.py``, ``model/profanity_prior.py``) learnt word by
word, with no context; a group's name alone is never evidence there (``neutral``).
"""

from __future__ import annotations

import numpy as np

from model import text as textmod

# Comments naming a group are balanced to this share of the odds of abuse among comments naming
# none: under parity, because a group's name also leaks through the character n-grams it shares
# with other words ("homosexual" with "sexual"), which balancing by word cannot reach. At 0.8 one
# clean "homosexual" sentence of our identity set was still held; at 0.6 none, and the lowest
# BPSN AUC rose from 0.947 to 0.953 (bench/README.md).
GROUP_ODDS = 0.6

# Single words, as ``model.text.normalize`` leaves them (lower case). Plurals are listed: the
# hashed features see words, not stems.
TERMS = (
    # sexuality and gender
    "gay", "gays", "lesbian", "lesbians", "homosexual", "homosexuals", "bisexual", "transgender",
    "trans", "queer", "lgbt", "lgbtq", "heterosexual", "straight", "nonbinary",
    # race, ethnicity and origin
    "black", "blacks", "white", "whites", "african", "hispanic", "hispanics", "latino", "latinos",
    "latina", "latinx", "mexican", "mexicans", "asian", "asians", "chinese", "japanese", "indian",
    "indians", "indigenous", "native", "arab", "arabs", "european", "american", "americans",
    "canadian", "canadians", "immigrant", "immigrants", "migrant", "migrants", "refugee",
    "refugees", "undocumented", "foreigner", "foreigners",
    # religion
    "muslim", "muslims", "islam", "islamic", "christian", "christians", "catholic", "catholics",
    "jew", "jews", "jewish", "buddhist", "hindu", "sikh", "atheist", "atheists", "protestant",
    # disability and age
    "deaf", "blind", "disabled", "disability", "autistic", "wheelchair", "elderly",
    # gender
    "woman", "women", "man", "men", "female", "male", "feminist", "feminists", "girl", "boy",
)
TERM_SET = frozenset(TERMS)


def terms_in(text: str) -> set[str]:
    """The group names ``text`` mentions, after the model's own normalisation."""
    return TERM_SET.intersection(textmod.normalize(text).split(" "))


def balance(texts: list[str], labels: np.ndarray, weights: np.ndarray,
            sources: np.ndarray) -> np.ndarray:
    """Weights with each source's abusive rows that name a group scaled down until, for every
    group name, the weighted odds of abuse among that source's rows naming it are no higher
    than GROUP_ODDS times those among its rows naming no group. ``labels``: 1/0, -1 for no opinion (left as they are)."""
    weights = np.asarray(weights, dtype=float).copy()
    mentions = [terms_in(t) for t in texts]
    for source in set(sources.tolist()) - {"moderators"}:   # a site's decisions are its own
        rows = np.flatnonzero((sources == source) & (labels >= 0))
        # The odds of abuse among the rows that name no group: what naming one should not change.
        plain = np.array([not mentions[i] for i in rows], dtype=bool)
        background = rows[plain] if plain.any() else rows
        pos = weights[background][labels[background] == 1].sum()
        neg = weights[background][labels[background] == 0].sum()
        if pos == 0 or neg == 0:
            continue
        odds = pos / neg
        naming: dict[str, list[int]] = {}
        for i in rows:
            for term in mentions[i]:
                naming.setdefault(term, []).append(i)
        factor = {}
        for term, at in naming.items():
            at = np.array(at)
            p = weights[at][labels[at] == 1].sum()
            # A name only abusive rows use still gets the odds of one average clean row.
            n = weights[at][labels[at] == 0].sum() or weights[rows].mean()
            if p > GROUP_ODDS * odds * n:
                factor[term] = GROUP_ODDS * odds * n / p
        for i in rows:
            if labels[i] == 1 and mentions[i]:
                scale = min((factor.get(t, 1.0) for t in mentions[i]), default=1.0)
                weights[i] *= scale
    return weights
