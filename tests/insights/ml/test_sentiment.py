"""Sentiment: rating → polarity, the lexicon fallback, and the trained model on toy corpora.

Trained-model tests pass random unit vectors as the embeddings, so no sentence model is loaded;
the TF-IDF half has to carry the signal on its own.
"""

import numpy as np
import pytest

from insights.ml import sentiment
from insights.ml.sentiment import (
    LABELS,
    MIN_TRAINING_TEXTS,
    SentimentModel,
    SentimentPrediction,
    cross_validate,
    polarity_from_scores,
)

POSITIVE_WORDS = ["great", "love", "excellent", "wonderful", "helpful", "fantastic"]
NEGATIVE_WORDS = ["terrible", "broken", "awful", "useless", "crash", "refund"]
NEUTRAL_WORDS = ["tuesday", "invoice", "address", "schedule", "question", "account"]
FILLER = ["the", "app", "support", "team", "today", "my", "order", "was", "is", "and"]


def toy_corpus(n_per_class: int, *, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for label, words in (
        ("positive", POSITIVE_WORDS),
        ("negative", NEGATIVE_WORDS),
        ("neutral", NEUTRAL_WORDS),
    ):
        for _ in range(n_per_class):
            chosen = list(rng.choice(words, size=2)) + list(rng.choice(FILLER, size=4))
            rng.shuffle(chosen)
            texts.append(" ".join(chosen))
            labels.append(label)
    return texts, labels


def random_vectors(n: int, *, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, 384)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def trained():
    texts, labels = toy_corpus(MIN_TRAINING_TEXTS // 3 + 20)
    return SentimentModel.fit(texts, labels, vectors=random_vectors(len(texts)), seed=0)


@pytest.fixture(autouse=True)
def _no_sentence_model(monkeypatch):
    """A test that forgets to pass vectors fails instead of loading torch."""

    def refuse(texts):
        raise AssertionError("embeddings requested in a unit test")

    monkeypatch.setattr(sentiment, "_embed", refuse)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"nps": 0}, "negative"),
        ({"nps": 6}, "negative"),
        ({"nps": 7}, "neutral"),
        ({"nps": 8}, "neutral"),
        ({"nps": 9}, "positive"),
        ({"nps": 10}, "positive"),
        ({"csat": 1}, "negative"),
        ({"csat": 2}, "negative"),
        ({"csat": 3}, "neutral"),
        ({"csat": 4}, "positive"),
        ({"csat": 5}, "positive"),
        ({"ces": 1}, "positive"),
        ({"ces": 3}, "positive"),
        ({"ces": 4}, "neutral"),
        ({"ces": 5}, "negative"),
        ({"ces": 7}, "negative"),
        ({}, None),
        ({"nps": None, "csat": None, "ces": None}, None),
        ({"nps": 11}, None),
        ({"csat": 0}, None),
        ({"ces": 8}, None),
        ({"nps": 10, "csat": 1}, "positive"),
        ({"nps": None, "csat": 1, "ces": 1}, "negative"),
        ({"nps": 42, "csat": 5}, "positive"),
    ],
)
def test_polarity_from_scores(kwargs, expected):
    assert polarity_from_scores(**kwargs) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("good", "positive"),
        ("not good", "negative"),
        ("this is not good at all", "negative"),
        ("I don't like it", "negative"),
        ("The flight was terrible and late", "negative"),
        ("Thanks, the support team was amazing!", "positive"),
        ("I changed my address on Tuesday", "neutral"),
    ],
)
def test_fallback_labels(text, expected):
    assert SentimentModel.fallback().predict([text]).labels == [expected]


def test_fallback_negation_of_a_negative_word_is_not_negative():
    prediction = SentimentModel.fallback().predict(["not bad", "never a problem"])

    assert prediction.labels[0] != "negative"
    assert prediction.labels[1] != "negative"
    assert prediction.scores[0] > SentimentModel.fallback().predict(["bad"]).scores[0]


def test_fallback_but_weighs_the_second_clause():
    prediction = SentimentModel.fallback().predict(["the app is nice but support was useless"])

    assert prediction.labels == ["negative"]


def test_fallback_ignores_handles_and_urls():
    prediction = SentimentModel.fallback().predict(["@greatairline see https://great.example"])

    assert prediction.labels == ["neutral"]


def test_fallback_identity():
    model = SentimentModel.fallback()

    assert model.trained_on == 0
    assert model.version == "lexicon/1"


def test_too_few_texts_gives_the_fallback():
    texts, labels = toy_corpus(MIN_TRAINING_TEXTS // 3 - 1)

    model = SentimentModel.fit(texts, labels, vectors=random_vectors(len(texts)))

    assert model.trained_on == 0
    assert model.version == SentimentModel.fallback().version


def test_a_missing_class_gives_the_fallback():
    texts, labels = toy_corpus(MIN_TRAINING_TEXTS)
    keep = [i for i, label in enumerate(labels) if label != "neutral"]

    model = SentimentModel.fit(
        [texts[i] for i in keep], [labels[i] for i in keep], vectors=random_vectors(len(keep))
    )

    assert model.trained_on == 0


def test_unknown_labels_are_refused():
    with pytest.raises(ValueError, match="Unknown labels"):
        SentimentModel.fit(["a", "b"], ["good", "bad"])


def test_fit_learns_a_separable_corpus(trained):
    texts, labels = toy_corpus(30, seed=1)

    prediction = trained.predict(texts, vectors=random_vectors(len(texts), seed=1))

    accuracy = np.mean([p == t for p, t in zip(prediction.labels, labels, strict=True)])
    assert accuracy >= 0.95
    assert trained.trained_on == 3 * (MIN_TRAINING_TEXTS // 3 + 20)
    assert trained.version.startswith("tfidf-lr+minilm-lr/1+")


def test_predictions_are_bounded_and_consistent(trained):
    texts, _ = toy_corpus(30, seed=2)
    texts += ["", "???", "@someone http://x.example"]

    prediction = trained.predict(texts, vectors=random_vectors(len(texts), seed=2))

    assert isinstance(prediction, SentimentPrediction)
    assert prediction.scores.shape == (len(texts),)
    assert np.all((prediction.scores >= -1) & (prediction.scores <= 1))
    assert set(prediction.labels) <= set(LABELS)
    for score, label in zip(prediction.scores, prediction.labels, strict=True):
        if label == "positive":
            assert score > 0
        if label == "negative":
            assert score < 0


def test_fallback_scores_are_bounded_and_consistent():
    texts, _ = toy_corpus(20, seed=3)
    texts += ["very very very extremely great!!!", "", "not not not bad"]

    prediction = SentimentModel.fallback().predict(texts)

    assert np.all((prediction.scores >= -1) & (prediction.scores <= 1))
    for score, label in zip(prediction.scores, prediction.labels, strict=True):
        if label == "positive":
            assert score > 0
        if label == "negative":
            assert score < 0


def test_predict_of_nothing():
    prediction = SentimentModel.fallback().predict([])

    assert prediction.scores.shape == (0,)
    assert prediction.labels == []


def test_dumps_loads_round_trip(trained):
    texts, _ = toy_corpus(20, seed=4)
    vectors = random_vectors(len(texts), seed=4)

    restored = SentimentModel.loads(trained.dumps())

    before = trained.predict(texts, vectors=vectors)
    after = restored.predict(texts, vectors=vectors)
    np.testing.assert_array_equal(before.scores, after.scores)
    assert before.labels == after.labels
    assert restored.version == trained.version
    assert restored.trained_on == trained.trained_on


def test_fallback_round_trip():
    restored = SentimentModel.loads(SentimentModel.fallback().dumps())

    assert restored.trained_on == 0
    assert restored.predict(["not good"]).labels == ["negative"]


def test_loads_refuses_other_data():
    with pytest.raises(ValueError, match="Not a stored sentiment model"):
        SentimentModel.loads(_npz_with_header({"format": "something-else"}))


def _npz_with_header(header: dict) -> bytes:
    import io
    import json

    buffer = io.BytesIO()
    np.savez(buffer, header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))
    return buffer.getvalue()


def test_vectors_must_match_the_texts(trained):
    with pytest.raises(ValueError, match="one vector per text"):
        trained.predict(["a", "b"], vectors=random_vectors(3))


def test_cross_validate_returns_the_keys():
    texts, labels = toy_corpus(MIN_TRAINING_TEXTS // 2 + 10)

    result = cross_validate(texts, labels, folds=3, vectors=random_vectors(len(texts)))

    assert set(result) == {"accuracy", "macro_f1", "rows", "seconds"}
    assert result["rows"] == len(texts)
    assert result["accuracy"] >= 0.9
    assert 0 <= result["macro_f1"] <= 1


def test_cross_validate_with_few_rows_scores_the_fallback():
    texts, labels = toy_corpus(10)

    result = cross_validate(texts, labels, folds=2)

    assert result["rows"] == 30
    assert 0 <= result["accuracy"] <= 1


def test_cross_validate_needs_two_classes():
    with pytest.raises(ValueError, match="2 classes"):
        cross_validate(["good"] * 10, ["positive"] * 10)


def test_fallback_with_two_buts():
    prediction = SentimentModel.fallback().predict(["good but bad but great"])

    assert prediction.labels == ["positive"]
