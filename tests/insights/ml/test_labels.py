import numpy as np
import pytest

from insights.ml.labels import ThemeDescription, describe_clusters

OPENINGS = ["Hi,", "Hello team,", "Honestly", "Quick question:", "Ugh,", "Please help,"]
THEMES = {
    0: [
        "my card has not arrived yet",
        "the card still has not arrived",
        "why has my new card not arrived",
        "card not arrived after two weeks",
    ],
    1: [
        "the exchange rate was wrong on my payment",
        "you applied a bad exchange rate",
        "exchange rate charge is too high",
        "wrong exchange rate again",
    ],
    2: [
        "the mobile app keeps crashing on login",
        "app crashing every time I open it",
        "mobile app crashing after the update",
        "the app keeps crashing",
    ],
}


def _corpus():
    texts, labels = [], []
    for theme, sentences in THEMES.items():
        for index in range(12):
            opening = OPENINGS[index % len(OPENINGS)]
            texts.append(f"{opening} {sentences[index % len(sentences)]}")
            labels.append(theme)
    texts.append("completely unrelated remark")
    labels.append(-1)
    rng = np.random.default_rng(0)
    centroids = np.eye(3, 16, dtype=np.float32)
    vectors = np.array(
        [centroids[max(label, 0)] + rng.normal(scale=0.3, size=16) for label in labels],
        dtype=np.float32,
    )
    return texts, np.array(labels), vectors, centroids


def test_ctfidf_names_each_theme_by_its_distinctive_phrase():
    texts, labels, vectors, centroids = _corpus()

    descriptions = describe_clusters(texts, labels, vectors, centroids)

    assert set(descriptions) == {0, 1, 2}
    assert all(isinstance(d, ThemeDescription) for d in descriptions.values())
    assert "card not arrived" in descriptions[0].label or descriptions[0].label == "card arrived"
    assert "exchange rate" in descriptions[1].label
    assert "app" in descriptions[2].label
    assert "crashing" in descriptions[2].label
    for description in descriptions.values():
        assert 2 <= len(description.label.split()) <= 5
        assert description.label == description.label.lower()
        assert 1 <= len(description.keywords) <= 8
        assert not {"hi", "hello", "team", "please"} & set(description.keywords[:3])


def test_quotes_are_distinct_members_closest_to_the_centroid():
    texts, labels, vectors, centroids = _corpus()
    texts[1] = texts[0]  # an exact repeat is quoted once at most

    descriptions = describe_clusters(texts, labels, vectors, centroids)

    for theme, description in descriptions.items():
        assert len(description.quotes) == 3
        assert all(labels[index] == theme for index in description.quotes)
        assert len({texts[index] for index in description.quotes}) == 3
        similarity = vectors[description.quotes[0]] @ centroids[theme]
        members = np.flatnonzero(labels == theme)
        norms = np.linalg.norm(vectors[members], axis=1)
        best = members[np.argmax(vectors[members] @ centroids[theme] / norms)]
        assert description.quotes[0] == best
        assert similarity > 0


def test_near_duplicate_vectors_are_not_quoted_twice():
    texts = ["card not arrived", "card not arrived!", "my card never came", "where is my card"]
    vectors = np.array([[1, 0, 0], [1, 0.01, 0], [0.9, 0.4, 0], [0.8, 0, 0.6]], dtype=np.float32)

    description = describe_clusters(texts, np.zeros(4, int), vectors, np.array([[1.0, 0, 0]]))[0]

    assert description.quotes == [0, 2, 3]


def test_nothing_to_describe_without_themes():
    unthemed = np.array([-1, -1])

    assert describe_clusters(["a", "b"], unthemed, np.zeros((2, 3)), np.zeros((0, 3))) == {}
    with pytest.raises(ValueError, match="one entry per item"):
        describe_clusters(["a"], np.array([0, 0]), np.zeros((2, 3)), np.zeros((1, 3)))
