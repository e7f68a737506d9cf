"""A tiny corpus in the shared/data layout, written by the tests, a model trained on it, and a
service store the tests fill with moderators' decisions."""

import csv
import hashlib
import random
from datetime import datetime, timedelta, timezone

import pytest

from model import train

SPAM = ["Check out my channel and subscribe http://bit.ly/{n}", "Earn $500 a day from home, visit www.cash{n}.biz",
        "FREE iPhone giveaway click here www.win{n}.com", "Call +1 888 555 01{n:02d} for tech support now",
        "Make money fast with crypto, DM me on whatsapp {n}", "subscribe to my channel for free gift cards {n}"]
HAM = ["I love this song, it reminds me of summer {w}", "The council should explain the budget {w}",
       "Great article, thanks for the careful reporting on {w}", "My kids watch this every day {w}",
       "I disagree with the mayor about the {w} plan", "Who is still listening in {w}?"]
ABUSE = ["You are a stupid idiot {w}", "shut up you moron {w}", "what a pathetic loser you are {w}",
         "go to hell you worthless trash {w}", "you dumb bitch {w}", "idiots like you ruin {w}"]
WORDS = ["parks", "schools", "roads", "taxes", "winter", "football", "music", "trains", "buses", "housing"]


def _rows(templates, k, rng):
    return [t.format(n=rng.randrange(100), w=rng.choice(WORDS)) for t in templates for _ in range(k)]


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    rng = random.Random(7)
    root = tmp_path_factory.mktemp("data")
    yt = root / "youtube-spam"
    yt.mkdir()
    for video in ("Youtube01-Psy", "Youtube02-KatyPerry", "Youtube03-LMFAO", "Youtube04-Eminem"):
        with open(yt / f"{video}.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["COMMENT_ID", "AUTHOR", "DATE", "CONTENT", "CLASS"])
            for i, text in enumerate(_rows(SPAM, 2, rng)):
                w.writerow([f"s{i}", "a", "", text, 1])
            for i, text in enumerate(_rows(HAM, 2, rng)):
                w.writerow([f"h{i}", "b", "2014-01-01", text, 0])
    (root / "davidson-hate-offensive").mkdir()
    with open(root / "davidson-hate-offensive" / "labeled_data.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["", "count", "hate_speech", "offensive_language", "neither", "class", "tweet"])
        rows = [(t, 1) for t in _rows(ABUSE, 6, rng)] + [(t, 2) for t in _rows(HAM, 6, rng)]
        for i, (text, cls) in enumerate(rows):
            w.writerow([i, 3, 0, 3 if cls == 1 else 0, 3 if cls == 2 else 0, cls, f"RT @x: {text}"])
    (root / "olid").mkdir()
    with open(root / "olid" / "olid-training-v1.0.tsv", "w", encoding="utf-8", newline="") as f:
        f.write("id\ttweet\tsubtask_a\tsubtask_b\tsubtask_c\r\n")
        rows = [(t, "OFF") for t in _rows(ABUSE, 6, rng)] + [(t, "NOT") for t in _rows(HAM, 6, rng)]
        for i, (text, lab) in enumerate(rows):
            f.write(f"{i}\t@USER {text} URL\t{lab}\tNULL\tNULL\r\n")
    (root / "fox-news-comments").mkdir()
    from model.dataset import FOX_TEST_ARTICLES
    titles = list(FOX_TEST_ARTICLES) + ["Some other story", "Another story"]
    with open(root / "fox-news-comments" / "fox-news-comments.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label", "title"])
        rows = [(t, 1) for t in _rows(ABUSE, 3, rng)] + [(t, 0) for t in _rows(HAM, 3, rng)]
        for i, (text, lab) in enumerate(rows):
            w.writerow([text, lab, titles[i % len(titles)]])
    (root / "toxic-spans").mkdir()
    for name, k in (("tsd_train", 4), ("tsd_trial", 1)):
        with open(root / "toxic-spans" / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["spans", "text"])
            for text in _rows(ABUSE, k, rng):
                lead = "The council voted again on " + rng.choice(WORDS) + ". "
                toxic = [word for word in ("idiot", "moron", "loser", "trash", "bitch", "idiots")
                         if word in text]
                at = len(lead) + text.index(toxic[0])
                w.writerow([str(list(range(at, at + len(toxic[0])))), lead + text])
    return root


@pytest.fixture(scope="session")
def tiny_artifacts(tiny_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("artifacts")
    assert train.main(["--data", str(tiny_data), "--no-decisions", "--out", str(out), "--promote",
                       "--quiet"]) == 0
    return out


class Site:
    """A service store the test fills the way the site does: comments arrive through intake as
    pending, and moderators decide, overturn and undo them with the review queue's own verbs.
    Every step advances a clock by a minute, so decisions have a clear order."""

    def __init__(self, url):
        from service.storage.db import make_engine
        from service.review.queue import Moderation
        from service.storage.store import Store

        self.url = url
        self.engine = make_engine(url)
        self.store, self.moderation = Store(self.engine), Moderation(self.engine)
        self.clock = datetime(2026, 11, 1, tzinfo=timezone.utc)

    def _tick(self):
        self.clock += timedelta(minutes=1)
        return self.clock

    def post(self, text, commenter="reader", post_id="article-1"):
        from service.decisions.policy import Decision
        from service.storage.store import Candidate

        digest = hashlib.sha256(commenter.encode()).hexdigest()
        candidate = Candidate(post_id=post_id, author=commenter, email=f"{commenter}@example.org",
                              email_hash=digest, text=text, ip_hash=digest)
        outcome = self.store.enqueue(
            candidate, lambda _h: Decision(status="pending", reasons=(), policy_status="pending"),
            duplicate_window=0, rate=None, now=self._tick())
        return outcome.comment.id

    def decide(self, comment_id, action, reason=None, moderator="ann", overturn=False):
        from service.review.queue import state_token

        seen = state_token(self.store.get(comment_id)) if overturn else None
        self.moderation.decide(comment_id, moderator, action, reason, seen=seen, now=self._tick())

    def label(self, text, spam=0, abuse=0, commenter="reader", post_id="article-1"):
        """Post ``text`` and have a moderator decide it as (spam, abuse) says."""
        comment_id = self.post(text, commenter, post_id)
        if spam or abuse:
            self.decide(comment_id, "reject", "spam" if spam else "abuse")
        else:
            self.decide(comment_id, "approve")
        return comment_id

    def undo(self, moderator="ann"):
        self.moderation.undo_last(moderator, now=self._tick())


@pytest.fixture(scope="session")
def make_site():
    """The Site class, for tests and fixtures that open a store of their own."""
    return Site


@pytest.fixture
def site(db_url):
    s = Site(db_url)
    yield s
    s.engine.dispose()
