"""Sentiment: rating → polarity, the lexicon fallback, the trained model on toy corpora, and the
plain-ask rule on both.

Trained-model tests pass random unit vectors as the embeddings, so no sentence model is loaded;
the TF-IDF half has to carry the signal on its own.
"""

import numpy as np
import pytest

from insights.ml import sentiment
from insights.ml.sentiment import (
    ASK_MODEL_SHARE,
    LABELS,
    MIN_RATED_ASKS,
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


def how_to_asks(n: int, *, seed: int = 0) -> list[str]:
    """Polite how-to questions and requests, as support tickets ask them."""
    rng = np.random.default_rng(seed)
    verbs = ["change", "move", "export", "archive", "rename", "share", "set up", "reset"]
    nouns = ["report", "project", "account", "address", "schedule", "team", "password", "field"]
    shapes = [
        "Hi team, how do I {verb} our {noun}? Thanks, Ana",
        "Could you tell me how to {verb} the {noun}?",
        "Hello,\nwhere can I {verb} my {noun}?\nRegards,\nTom",
        "Please {verb} the {noun} for us.",
        "Is there a way to {verb} a {noun}",
    ]
    return [
        str(rng.choice(shapes)).format(verb=rng.choice(verbs), noun=rng.choice(nouns))
        for _ in range(n)
    ]


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


@pytest.mark.parametrize("kwargs", [{"csat": 5}, {"csat": 1}, {"ces": 2}, {"nps": 10}])
def test_a_support_tickets_rating_is_not_the_polarity_of_its_text(kwargs):
    assert polarity_from_scores(**kwargs, source="support_ticket") is None
    assert polarity_from_scores(**kwargs, source="survey") == polarity_from_scores(**kwargs)


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
        ("Hi team, how do I change our billing email? Thanks, Ana", "neutral"),
        ("Could you please add a dark mode? Thank you so much!", "neutral"),
        ("Love the new dashboard, thanks!", "positive"),
        ("Hi team, the export is broken again, could you fix it? Thanks, Ana", "negative"),
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
    assert model.version == "lexicon/2"


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
    assert trained.version.startswith("tfidf-lr+minilm-lr/2+")


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


def test_a_stored_fallback_loads_as_todays_fallback():
    stored = _npz_with_header(
        {"format": sentiment.FORMAT, "version": "lexicon/1", "trained_on": 0, "tfidf_weight": 0.5}
    )

    restored = SentimentModel.loads(stored)

    assert restored.version == SentimentModel.fallback().version


def test_round_trip_keeps_how_many_asks_were_rated(trained):
    restored = SentimentModel.loads(trained.dumps())

    assert restored.rated_asks == trained.rated_asks == 0
    assert not restored.asks_learnt


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


# --- the plain-ask rule on the trained model ---------------------------------------------------


def _fit_with_asks(asks: int, label: str) -> SentimentModel:
    """The toy corpus plus `asks` how-to questions rated `label` (as a support ticket's CSAT rates
    how it was handled, not what it says)."""
    texts, labels = toy_corpus(MIN_TRAINING_TEXTS // 3 + 20)
    texts += how_to_asks(asks, seed=5)
    labels += [label] * asks
    return SentimentModel.fit(texts, labels, vectors=random_vectors(len(texts)), seed=0)


def test_the_toy_corpus_has_no_plain_asks(trained):
    assert trained.rated_asks == 0


def test_unlearnt_plain_asks_are_neutral_whatever_the_model_leans():
    # given a model that saw too few asks, all rated negative
    model = _fit_with_asks(MIN_RATED_ASKS // 2, "negative")
    asks = how_to_asks(40, seed=6)

    # when it scores new asks
    prediction = model.predict(asks, vectors=random_vectors(len(asks), seed=6))
    proba = model.probabilities(asks, vectors=random_vectors(len(asks), seed=6))

    # then they are neutral, keeping a quarter of the model's lean at most
    assert model.rated_asks == MIN_RATED_ASKS // 2
    assert not model.asks_learnt
    assert set(prediction.labels) == {"neutral"}
    assert np.all(np.abs(prediction.scores) <= ASK_MODEL_SHARE)
    assert np.all(proba[:, LABELS.index("neutral")] >= 1 - ASK_MODEL_SHARE)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_learnt_plain_asks_keep_the_models_verdict_when_it_is_a_complaint():
    # given an organisation whose ratings say its many questions are complaints
    model = _fit_with_asks(MIN_RATED_ASKS + 50, "negative")
    asks = how_to_asks(40, seed=6)

    prediction = model.predict(asks, vectors=random_vectors(len(asks), seed=6))

    assert model.asks_learnt
    assert np.mean([label == "negative" for label in prediction.labels]) >= 0.9


def test_a_plain_ask_is_never_praise_even_when_rated_as_praise():
    # given many how-to questions rated positive (a quick answer, a happy customer)
    model = _fit_with_asks(MIN_RATED_ASKS + 50, "positive")
    asks = how_to_asks(40, seed=6)

    proba = model.probabilities(asks, vectors=random_vectors(len(asks), seed=6))
    prediction = model.predict(asks, vectors=random_vectors(len(asks), seed=6))

    assert np.all(proba[:, LABELS.index("positive")] == 0)
    assert "positive" not in prediction.labels
    assert np.all(prediction.scores <= 0)


def test_the_rule_leaves_praise_and_complaints_to_the_model():
    model = _fit_with_asks(MIN_RATED_ASKS // 2, "positive")
    texts = [
        "great love, could you add the schedule too? thanks",
        "hi team, the app is broken and terrible, could you fix it? thanks",
    ]

    prediction = model.predict(texts, vectors=random_vectors(len(texts), seed=7))

    assert prediction.labels == ["positive", "negative"]


def test_a_model_stored_before_the_rule_keeps_its_judgement_of_asks(trained):
    import io
    import json

    # given a stored model whose header predates the count of rated asks
    with np.load(io.BytesIO(trained.dumps()), allow_pickle=False) as stored:
        arrays = dict(stored)
    header = json.loads(arrays["header"].tobytes().decode())
    del header["rated_asks"]
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)

    restored = SentimentModel.loads(buffer.getvalue())

    assert restored.asks_learnt
