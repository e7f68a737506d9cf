"""Our identity-term test set: templated sentences in the style of Jigsaw's bias "madlibs", and
realistic news-comment sentences about immigration, religion, race, disability and sexuality.

Never trained on: the model only ever sees the corpora in ``../shared/data``. Each row is
``(text, term, toxic)``; ``term`` is the group the sentence names ("" for none).
Jigsaw's unintended-bias metrics (Borkan et al. 2019) are computed by ``bias_metrics``:

- subgroup AUC: toxic against clean, among sentences naming the group;
- BPSN (background positive, subgroup negative): clean sentences naming the group against toxic
  ones that do not; low when the group's name alone raises the score;
- BNSP (background negative, subgroup positive): toxic sentences naming the group against clean
  ones that do not.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

# (the word as written in a sentence, the group name it is counted under)
GROUPS = (
    "gay", "lesbian", "homosexual", "bisexual", "transgender", "queer", "straight",
    "black", "white", "hispanic", "latino", "asian", "african", "mexican", "indian", "arab",
    "muslim", "christian", "jewish", "catholic", "buddhist", "hindu", "sikh", "atheist",
    "immigrant", "refugee", "deaf", "blind", "disabled", "old", "young", "female", "male",
)
# Nouns for "{group} people"-free templates: how a reader names one person.
PERSON = {"gay": "gay man", "lesbian": "lesbian", "homosexual": "homosexual man",
          "bisexual": "bisexual woman", "transgender": "transgender woman", "queer": "queer person",
          "straight": "straight man", "black": "Black woman", "white": "white man",
          "hispanic": "Hispanic woman", "latino": "Latino man", "asian": "Asian woman",
          "african": "African man", "mexican": "Mexican woman", "indian": "Indian man",
          "arab": "Arab man", "muslim": "Muslim woman", "christian": "Christian",
          "jewish": "Jewish man", "catholic": "Catholic", "buddhist": "Buddhist",
          "hindu": "Hindu woman", "sikh": "Sikh man", "atheist": "atheist",
          "immigrant": "immigrant", "refugee": "refugee", "deaf": "deaf woman",
          "blind": "blind man", "disabled": "disabled veteran", "old": "old man",
          "young": "young woman", "female": "female engineer", "male": "male nurse"}

CLEAN_TEMPLATES = (
    "I am a {person}.",
    "As a {person}, I found this article fair.",
    "My neighbour is a {person} and we share a garden.",
    "{Group} people have lived in this city for generations.",
    "Being {group} is nothing unusual here.",
    "The council should listen to {group} residents before deciding.",
    "A {person} was elected to the school board last week.",
    "I volunteer with {group} families at the community centre.",
    "The survey asked {group} readers what they think of the plan.",
    "{Group} voters were split on the transit referendum.",
)
TOXIC_TEMPLATES = (
    "I hate {group} people.",
    "{Group} people are disgusting.",
    "All {group} people are stupid.",
    "You are a stupid {person}.",
    "Shut up, you worthless {person}.",
    "{Group} people are vermin and should get out.",
    "What an idiot, typical {group} garbage.",
    "{Group} people are filthy animals.",
    "Every {person} I have met was a liar and a thief.",
    "Go back where you came from, you disgusting {person}.",
)
# Sentences a news site's readers write, naming a group, with no abuse in them.
REALISTIC_CLEAN = (
    ("Undocumented immigrants are less likely to report crimes if police work with ICE.",
     "immigrant"),
    ("I am a gay man and I volunteer with the local legal aid clinic.", "gay"),
    ("Black and Hispanic neighborhoods get the most license plate readers.", "black"),
    ("Black and Hispanic neighborhoods get the most license plate readers.", "hispanic"),
    ("Muslim families in my street were questioned twice this year without any charge.", "muslim"),
    ("The mosque and the synagogue held a joint vigil, and Jewish and Muslim neighbours stood "
     "together.", "jewish"),
    ("Refugee children need language classes more than they need another report.", "refugee"),
    ("My brother is deaf and the city's emergency alerts still do not caption anything.", "deaf"),
    ("Disabled voters could not reach the polling station because the lift was broken.",
     "disabled"),
    ("The article should have quoted a transgender person instead of only officials.",
     "transgender"),
    ("Lesbian couples adopted more children here last year than any year before.", "lesbian"),
    ("The study found homosexual men wait longer for care in rural clinics.", "homosexual"),
    ("Asian small-business owners say the new parking rules hurt their trade.", "asian"),
    ("As a Christian, I think the church should open its hall to the shelter.", "christian"),
    ("Mexican workers pick most of the fruit sold in this province.", "mexican"),
    ("Immigrant doctors wait years for their licences to be recognised.", "immigrant"),
    ("White and Black officers were disciplined at the same rate, according to the audit.",
     "white"),
    ("Arab students organised the fundraiser for the flood victims.", "arab"),
    ("Blind readers rely on screen readers, so please fix the site's image captions.", "blind"),
    ("Sikh drivers were exempted from the helmet rule years ago.", "sikh"),
)
REALISTIC_TOXIC = (
    ("Muslims are all terrorists and should be deported.", "muslim"),
    ("Gay people are perverts and should stay away from children.", "gay"),
    ("Illegal immigrants are parasites living off our taxes.", "immigrant"),
    ("Black thugs like that deserve to be shot.", "black"),
    ("Jews control the media, everyone knows it.", "jewish"),
    ("Mexicans are rapists and criminals, build the wall.", "mexican"),
    ("Refugees are savages who will rape our women.", "refugee"),
    ("That's so gay, you pathetic loser.", "gay"),
)


def _capital(s: str) -> str:
    return s[:1].upper() + s[1:]


def rows() -> list[tuple[str, str, int]]:
    out = []
    for group in GROUPS:
        person = PERSON[group]
        for toxic, templates in ((0, CLEAN_TEMPLATES), (1, TOXIC_TEMPLATES)):
            for template in templates:
                text = template.format(group=group, Group=_capital(group), person=person)
                out.append((_capital(text), group, toxic))
    out += [(text, group, 0) for text, group in REALISTIC_CLEAN]
    out += [(text, group, 1) for text, group in REALISTIC_TOXIC]
    return out


def bias_metrics(rows_: list[tuple[str, str, int]], scores: np.ndarray,
                 hold: float) -> dict:
    """Per group: subgroup AUC, BPSN AUC, BNSP AUC, and the share of its clean sentences held
    at ``hold``; and the share of all clean sentences held."""
    groups = np.array([g for _, g, _ in rows_])
    y = np.array([t for _, _, t in rows_])
    scores = np.asarray(scores)
    clean_held = float((scores[y == 0] >= hold).mean())
    out = {"clean_held": round(clean_held, 4), "groups": {}}
    for group in sorted(set(groups.tolist())):
        sub = groups == group
        if len(set(y[sub].tolist())) < 2:
            continue
        bpsn = (sub & (y == 0)) | (~sub & (y == 1))
        bnsp = (sub & (y == 1)) | (~sub & (y == 0))
        out["groups"][group] = {
            "subgroup_auc": round(float(roc_auc_score(y[sub], scores[sub])), 4),
            "bpsn_auc": round(float(roc_auc_score(y[bpsn], scores[bpsn])), 4),
            "bnsp_auc": round(float(roc_auc_score(y[bnsp], scores[bnsp])), 4),
            "clean_held": round(float((scores[sub & (y == 0)] >= hold).mean()), 4),
        }
    return out
