"""A site's moderators deciding comments, as the site layer's tests and pages need them: through
intake into a real store, then with the review page's verb."""

from __future__ import annotations

import random
import zlib
from datetime import datetime, timedelta, timezone

from model.dataset import Example
from service.review.queue import Moderation
from service.decisions.policy import Decision
from service.storage.store import Candidate, Store

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)
PENDING = Decision(status="pending", reasons=("test",), policy_status="pending")

SUBJECTS = ["the council", "the mayor", "the transit plan", "the new budget", "the school board",
            "the housing report", "the bridge repair", "the police review", "the library vote",
            "the water rates", "the zoning change", "the bike lanes", "the hospital merger"]
SIGNERS = ["Ana", "Budi", "Chen", "Dewi", "Eko", "Fatima", "Gita", "Hendra", "Ines", "Joko",
           "Kartika", "Lukas", "Maya", "Nadia", "Omar", "Putri", "Rudi", "Sari", "Tomas", "Wulan"]
KEPT = ["I think {} deserves a closer look before the vote.",
        "Thanks for explaining {} so clearly.", "My neighbours are split on {}.",
        "Does anyone know when {} is discussed again?", "The figures on {} surprised me.",
        "{} could work if the costs are published.", "I would like more detail on {}."]
# What this site's moderators remove and no public corpus calls abuse: a campaign of
# "paid shill" accusations against other readers.
REMOVED = ["Only a paid shill would defend {}.", "Another paid shill pushing {} again.",
           "Paid shills everywhere on {}, ignore them.", "You are a paid shill for {}.",
           "Funny how the paid shills love {}."]


def site_comments(n: int, seed: int = 1, *, kept=KEPT, removed=REMOVED,
                  subjects=SUBJECTS) -> list[tuple[str, bool]]:
    """``n`` comments, a quarter of them what the moderators remove, as (text, removed)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        is_removed = i % 4 == 0
        template = rng.choice(removed if is_removed else kept)
        # Signed, as readers do: distinct texts, so no two decisions fold into one.
        out.append((f"{template.format(rng.choice(subjects))} {rng.choice(SIGNERS)} "
                    f"{rng.choice(SIGNERS)}", is_removed))
    return out


def website_spam(n: int, seed: int = 21) -> tuple[list[tuple[str, bool]], list[str]]:
    """``n`` ordinary comments as (text, removed), and their authors' website fields: every other
    one posted by a spammer who filled the field with a shop of his own (removed as spam), the
    others by readers who left it empty. The words say nothing; the website field says it all,
    and no shop comes twice, so only the filled field can be learnt, not a domain."""
    comments = [(text, i % 2 == 0) for i, (text, _) in
                enumerate(site_comments(n, seed, removed=KEPT))]
    websites = [f"https://www.shop-{i}.example.com/deals" if removed else ""
                for i, (_, removed) in enumerate(comments)]
    return comments, websites


# A spammer's ads no public corpus has seen, for a general model blind to them.
ADS = ["Best prices on {} tickets, message me for a discount code.",
       "Earn cash from home while reading about {}, ask me how.",
       "I sell {} souvenirs cheap, send me a private message.",
       "Work from home and forget {}: I made 3,000 this week, ask me."]


class BlindToSpam:
    """A general model that knows nothing of this site's spam: the real model's abuse scores,
    and a spam score that is noise (the same for the same text), as the shipped model's 0.53 on
    article-comment spam nearly was."""

    version = "blind-to-spam"

    def __init__(self, scorer) -> None:
        self.scorer, self.model = scorer, self

    def predict_proba(self, texts):
        out = self.scorer.model.predict_proba(texts)
        out[:, 0] = [0.1 * (zlib.crc32(t.encode()) % 1000) / 1000 for t in texts]
        return out


# The same on an Indonesian-language site: its moderators remove accusations of being a paid
# "buzzer" (the word Jakarta readers use for a paid online campaigner) aimed at other readers.
TOPIK = ["banjir Kampung Melayu", "tarif Transjakarta", "proyek MRT fase dua", "anggaran trotoar",
         "normalisasi Ciliwung", "pasar Senen", "ganjil genap", "rusun Marunda", "bansos kelurahan",
         "tanggul laut", "revitalisasi Kota Tua", "sekolah negeri", "polusi udara"]
DIPERTAHANKAN = ["Saya kira soal {} perlu dibahas lagi sebelum diputuskan.",
                 "Terima kasih, penjelasan tentang {} sangat jelas.",
                 "Tetangga saya berbeda pendapat soal {}.",
                 "Kapan {} dibahas lagi di DPRD?", "Angka-angka tentang {} cukup mengejutkan.",
                 "Menurut saya {} bisa berhasil kalau biayanya dibuka ke publik.",
                 "Mohon liputan lanjutan soal {}."]
DIHAPUS = ["Dasar buzzer bayaran, pasti dibayar untuk membela {}.",
           "Buzzer bayaran lagi yang mendukung {}.",
           "Banyak buzzer bayaran di kolom komentar soal {}, abaikan saja.",
           "Kamu buzzer bayaran untuk {}.", "Lucu, buzzer bayaran paling semangat soal {}."]


def indonesian_site_comments(n: int, seed: int = 1) -> list[tuple[str, bool]]:
    """``site_comments`` on the Indonesian-language site."""
    return site_comments(n, seed, kept=DIPERTAHANKAN, removed=DIHAPUS, subjects=TOPIK)


def decide(engine, comments, start: int = 0, *, wrong: bool = False,
           language: str | None = None, reason: str = "abuse",
           websites: list[str] | None = None) -> None:
    """Enqueue and decide ``comments``, removing with ``reason``; ``language``: what intake
    identified them as; ``websites``: what each author gave in the form's website field."""
    store, moderation = Store(engine), Moderation(engine)
    websites = websites or [""] * len(comments)
    for i, ((body, removed), website) in enumerate(zip(comments, websites), start):
        candidate = Candidate(post_id="article", author=f"reader {i}",
                              email=f"r{i}@example.org", email_hash=f"{i:064x}", text=body,
                              ip_hash=f"{i:064x}", language=language, url=website)
        outcome = store.enqueue(candidate, lambda _h: PENDING, duplicate_window=0, rate=None,
                                now=T0 + timedelta(minutes=2 * i))
        if wrong:
            removed = not removed
        moderation.decide(outcome.comment.id, "ed", "reject" if removed else "approve",
                          reason if removed else None, now=T0 + timedelta(minutes=2 * i + 1))


# A guard split in the shape of the corpora's held-out rows: plainly abusive and plainly clean.
GUARD = ([Example(f"You are a worthless idiot and a moron, {s}.", 0, 1, "guard", "test")
          for s in SUBJECTS]
         + [Example(f"Shut up, you stupid pathetic loser. {s} is none of your business.", 0, 1,
                    "guard", "test") for s in SUBJECTS]
         + [Example(f"I read the article about {s} this morning.", 0, 0, "guard", "test")
            for s in SUBJECTS]
         + [Example(f"Good questions were asked about {s} at the meeting.", 0, 0, "guard", "test")
            for s in SUBJECTS])
