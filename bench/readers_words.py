"""Distinct words for the benchmarks' made-up comments.

Readers write their own words, so the benchmarks' comments must differ as the service sees them:
the repeat rule (MODERATION_REPEAT_LIMIT) folds numbers, case and links before comparing two
texts, so "Comment 7 on the bridge" and "Comment 8 on the bridge" are one text pasted twice.
`word(n)` spells n in syllables instead ("lomi" for 12): letters survive the folding, and
alternating consonants and vowels never form the runs of one letter it shortens.
"""

_SYLLABLES = ("ka", "lo", "mi", "nu", "pe", "ra", "so", "ti", "vu", "ze")


def word(n: int) -> str:
    return "".join(_SYLLABLES[int(d)] for d in str(n))
