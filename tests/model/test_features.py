"""The vectorizer gives the same features for a comment alone or inside a batch."""

import numpy as np
import pytest

from model.features import SIGNAL_NAMES, CommentVectorizer

TEXTS = ["Check out my channel http://bit.ly/x !!!", "you are an idiot", "", "a b",
         "I think the article misses the point about the budget.", "ОК мир", "x" * 5000]


@pytest.fixture(scope="module")
def vec():
    return CommentVectorizer(n_features=2 ** 16).fit(TEXTS)


def test_batch_and_single_rows_are_identical(vec):
    batch = vec.transform(TEXTS).toarray()
    for i, text in enumerate(TEXTS):
        assert np.array_equal(vec.transform([text]).toarray()[0], batch[i])


def test_large_batches_split_into_chunks_give_the_same_rows(vec):
    many = TEXTS * 400
    big = vec.transform(many)
    assert big.shape == (len(many), 2 ** 16 + len(SIGNAL_NAMES))
    assert np.allclose(big[-len(TEXTS):].toarray(), vec.transform(TEXTS).toarray())


def test_rows_are_l2_normalised_per_block(vec):
    x = vec.transform(["I think the article misses the point"]).toarray()[0]
    words, chars = x[: 2 ** 15], x[2 ** 15: 2 ** 16]
    assert np.linalg.norm(words) == pytest.approx(1.0)
    assert np.linalg.norm(chars) == pytest.approx(1.0)


def test_links_and_phones_are_counted_as_signals(vec):
    x = vec.transform(["call +1 (888) 555-0199 or visit a.com and b.com"]).toarray()[0]
    signals = dict(zip(SIGNAL_NAMES, x[-len(SIGNAL_NAMES):]))
    assert signals["links"] == pytest.approx(np.log1p(2))
    assert signals["phones"] == pytest.approx(np.log1p(1))


def test_obfuscated_and_plain_spellings_share_features(vec):
    plain, tricked = vec.transform(["idiot", "id10t"]).toarray()
    assert np.array_equal(plain[:-len(SIGNAL_NAMES)], tricked[:-len(SIGNAL_NAMES)])


EDGE_TEXTS = ["", " ", "a", "x" * 5000, "f\u200buck", "\x01\x02 control", "tab\there", "ｆｕｌｌ",
              "😀 emoji 😀", "a  b", " leading", "trailing ", "nul\x00inside", "Ünïcödé wörds"]


def _entries(vec, texts, small_batch):
    vec.SMALL_BATCH = small_batch  # 0: always hash the batch whole
    try:
        return vec.weighted_chunk(texts)
    finally:
        del vec.SMALL_BATCH


def test_words_hashed_once_give_the_columns_of_hashing_the_batch_whole():
    """Small batches (the service's form posts) reuse each word's hashed columns; on real
    comments, alone and in groups, the entries must be exactly those of the array path."""
    from model import Scorer
    from model.dataset import examples_of, load_corpora

    vec = Scorer.load().model.vectorizer_
    texts = [example.text for example in examples_of(load_corpora())][::40] + EDGE_TEXTS
    for start in range(0, len(texts), 3):
        group = texts[start:start + 3]
        for batch in [group] + [[text] for text in group]:
            whole = _entries(vec, batch, 0)
            by_word = _entries(vec, batch, 32)
            assert all(np.array_equal(a, b) for a, b in zip(whole, by_word)), batch
    assert vec._remembered_words()  # the word path did run


def test_remembered_words_are_bounded_and_never_pickled(vec):
    import pickle

    vec.WORDS_KEPT = 5
    try:
        vec.transform(["one two three four five six seven"])
        assert 0 < len(vec._remembered_words()) <= 5
    finally:
        del vec.WORDS_KEPT
    assert "_word_columns" not in pickle.loads(pickle.dumps(vec)).__dict__


def test_changing_the_hashing_forgets_the_remembered_words():
    vec = CommentVectorizer(n_features=2 ** 16).fit(TEXTS)
    vec.transform(["the same words"])
    vec.set_params(n_features=2 ** 12).fit(TEXTS)
    assert np.array_equal(vec.transform(["the same words"]).toarray(),
                          CommentVectorizer(n_features=2 ** 12).fit(TEXTS)
                          .transform(["the same words"]).toarray())
