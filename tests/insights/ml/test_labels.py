import zlib

import numpy as np
import pytest
from spacy.lang.en.stop_words import STOP_WORDS

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


def fake_embed(texts):
    """A bag of content words, each a fixed random direction (plurals folded): phrases that
    share words with a theme's members lie close to its centroid, as with the real model."""
    rows = []
    for text in texts:
        vector = np.zeros(64)
        for word in "".join(c if c.isalnum() else " " for c in text.lower()).split():
            if word in STOP_WORDS:
                continue
            stem = word[:-1] if word.endswith("s") and len(word) > 3 else word
            vector += np.random.default_rng(zlib.crc32(stem.encode())).normal(size=64)
        rows.append(vector / max(np.linalg.norm(vector), 1e-9))
    return np.array(rows, dtype=np.float32).reshape(len(texts), 64)


def _describe(texts, labels, **options):
    labels = np.asarray(labels)
    vectors = fake_embed(texts)
    centroids = np.array(
        [vectors[labels == theme].mean(axis=0) for theme in range(labels.max() + 1)]
    )
    descriptions = describe_clusters(
        texts, labels, vectors, centroids, embed_texts=fake_embed, **options
    )
    return descriptions, vectors, centroids


def _corpus():
    texts, labels = [], []
    for theme, sentences in THEMES.items():
        for index in range(12):
            opening = OPENINGS[index % len(OPENINGS)]
            texts.append(f"{opening} {sentences[index % len(sentences)]}")
            labels.append(theme)
    texts.append("completely unrelated remark")
    labels.append(-1)
    return texts, np.array(labels)


def _said_by_a_member(phrase, texts):
    wording = " ".join(phrase.lower().split())
    return any(wording in " ".join(text.lower().split()) for text in texts)


def test_each_theme_gets_a_short_plain_label_in_its_members_own_words():
    texts, labels = _corpus()

    descriptions, _, _ = _describe(texts, labels)

    assert set(descriptions) == {0, 1, 2}
    assert all(isinstance(d, ThemeDescription) for d in descriptions.values())
    assert "card" in descriptions[0].label.lower()
    assert "arrived" in descriptions[0].label
    assert "exchange rate" in descriptions[1].label.lower()
    assert "app" in descriptions[2].label.lower()
    assert "crashing" in descriptions[2].label
    for theme, description in descriptions.items():
        label = description.label
        assert 3 <= len(label.split()) <= 7
        assert label[0].isupper()
        assert label[-1].isalnum()
        members = [text for text, of in zip(texts, labels, strict=True) if of == theme]
        assert _said_by_a_member(label, members)
        assert not {"hi", "hello", "please", "honestly"} & set(label.lower().split())


def test_no_two_themes_share_a_label_and_none_takes_an_existing_one():
    # Two themes worded alike: the smaller takes its next-best candidate, not "(2)".
    texts = [f"my card has not arrived after {week} weeks" for week in range(2, 8)] * 2
    texts += ["still waiting, my card has not arrived yet"] * 4
    labels = [0] * 12 + [1] * 4

    descriptions, _, _ = _describe(texts, labels)
    again, _, _ = _describe(texts, labels, existing_labels={descriptions[0].label.upper()})

    assert descriptions[0].label != descriptions[1].label
    assert descriptions[0].label.lower() not in {again[0].label.lower(), again[1].label.lower()}
    assert again[0].label != again[1].label
    assert not any("(" in d.label for d in [*descriptions.values(), *again.values()])


def test_a_numbered_label_only_when_every_candidate_is_taken():
    texts = ["refund", "refund", "refunds", "refund"]

    descriptions, _, _ = _describe(texts, [0, 0, 0, 0], existing_labels=["Refund"])

    assert descriptions[0].label == "Refund (2)"


def test_short_members_give_a_short_label():
    texts = ["refund please", "refund", "refund please", "refund pls"]

    descriptions, _, _ = _describe(texts, [0, 0, 0, 0])

    assert descriptions[0].label == "Refund"


def test_labels_never_hold_placeholders_and_shouting_is_lowered():
    texts = [
        "MY NEW CARD HAS NOT ARRIVED, write to [EMAIL]",
        "[NAME] here: my new card has not arrived",
        "new card has not arrived, call [PHONE] or [EMAIL]",
        "my new card has not arrived [EMAIL] [EMAIL]",
        "Hello. My new card has not arrived.",
    ]

    description = _describe(texts, [0, 0, 0, 0, 0])[0][0]

    assert "[" not in description.label
    assert not {"email", "name", "phone"} & set(description.label.lower().split())
    assert description.label != description.label.upper()
    assert description.summary == "My new card has not arrived."
    assert not {"email", "name", "phone"} & set(description.keywords)


def test_summary_is_the_most_central_real_sentence_of_a_member():
    texts = [
        "Hi team. My card has not arrived yet. Thanks, Ana",
        "Hello. The card I ordered has not arrived. Regards",
        "Quick one. Card not arrived after two weeks.",
        "Morning! Still no card, it has not arrived.",
    ]

    description = _describe(texts, [0, 0, 0, 0])[0][0]

    assert description.summary in {
        "My card has not arrived yet.",
        "The card I ordered has not arrived.",
        "Card not arrived after two weeks.",
        "Still no card, it has not arrived.",
    }


def test_a_long_summary_is_cut_at_a_word():
    sentence = "The export " + "of the quarterly report with all the attachments " * 8 + "fails."
    texts = [sentence, sentence + " Again.", "Export fails. " + sentence]

    summary = _describe(texts, [0, 0, 0])[0][0].summary

    assert len(summary) <= 200
    assert summary.endswith("…")
    assert sentence.startswith(summary[:-1])
    assert summary[-2].isalnum()


def test_keywords_are_distinct_and_not_repeats_of_one_another():
    texts, labels = _corpus()
    texts[0] = "Hi, my cards have not arrived"  # "cards" besides "card"

    descriptions, _, _ = _describe(texts, labels)

    for description in descriptions.values():
        keywords = description.keywords
        assert 1 <= len(keywords) <= 8
        assert len(set(keywords)) == len(keywords)
        assert not {"hi", "hello", "team", "please"} & set(keywords)
        singular = [k[:-1] if k.endswith("s") and len(k) > 3 else k for k in keywords]
        assert len(set(singular)) == len(singular)


def test_quotes_are_distinct_members_closest_to_the_centroid():
    texts, labels = _corpus()
    texts[1] = texts[0]  # an exact repeat is quoted once at most

    descriptions, vectors, centroids = _describe(texts, labels)

    for theme, description in descriptions.items():
        assert len(description.quotes) == 3
        assert all(labels[index] == theme for index in description.quotes)
        assert len({texts[index] for index in description.quotes}) == 3
        members = np.flatnonzero(labels == theme)
        best = members[np.argmax(vectors[members] @ centroids[theme])]
        assert texts[description.quotes[0]] == texts[best]


def test_near_duplicate_vectors_are_not_quoted_twice():
    texts = ["card not arrived", "card not arrived!", "my card never came", "where is my card"]
    vectors = np.array([[1, 0, 0], [1, 0.01, 0], [0.9, 0.4, 0], [0.8, 0, 0.6]], dtype=np.float32)

    def embed_in_three(phrases):
        return np.tile(np.array([[1.0, 0, 0]], dtype=np.float32), (len(phrases), 1))

    description = describe_clusters(
        texts, np.zeros(4, int), vectors, np.array([[1.0, 0, 0]]), embed_texts=embed_in_three
    )[0]

    assert description.quotes == [0, 2, 3]


def test_nothing_to_describe_without_themes_and_clear_errors():
    unthemed = np.array([-1, -1])

    assert describe_clusters(["a", "b"], unthemed, np.zeros((2, 3)), np.zeros((0, 3))) == {}
    with pytest.raises(ValueError, match="one entry per item"):
        describe_clusters(["a"], np.array([0, 0]), np.zeros((2, 3)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="space of the vectors"):
        describe_clusters(
            ["card not arrived", "card late"],
            np.array([0, 0]),
            np.ones((2, 3)),
            np.ones((1, 3)),
            embed_texts=fake_embed,
        )
