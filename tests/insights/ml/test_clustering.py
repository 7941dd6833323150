import time

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from insights.ml.clustering import (
    ClusterResult,
    assign_to_centroids,
    cluster_vectors,
    match_clusters,
    subcluster,
)


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _blobs(*, themes: int, per_theme: int, dim: int = 32, spread: float = 0.25, seed: int = 0):
    """Well-separated groups on the unit sphere: random centres, each member its centre plus noise
    (cosine ≈ 0.97 to its centre, ≈ 0 to the others)."""
    rng = np.random.default_rng(seed)
    centres = _unit(rng.normal(size=(themes, dim)))
    truth = np.repeat(np.arange(themes), per_theme)
    noise = rng.normal(scale=spread / np.sqrt(dim), size=(len(truth), dim))
    return _unit(centres[truth] + noise), truth, centres


def test_auto_k_recovers_separated_blobs():
    vectors, truth, _ = _blobs(themes=6, per_theme=25)

    result = cluster_vectors(vectors, seed=0)

    assert isinstance(result, ClusterResult)
    assert result.k == 6
    assert adjusted_rand_score(truth, result.labels) == pytest.approx(1.0)
    assert result.unthemed_share == 0.0
    assert result.centroids.shape == (6, 32)
    assert np.allclose(np.linalg.norm(result.centroids, axis=1), 1.0, atol=1e-5)
    assert result.silhouette > 0.5
    assert result.parameters["space"] == "raw"


@pytest.mark.slow
def test_auto_k_recovers_blobs_through_umap():
    vectors, truth, _ = _blobs(themes=8, per_theme=60)

    result = cluster_vectors(vectors, seed=0)

    assert result.parameters["space"] == "umap"
    assert result.k == 8
    assert adjusted_rand_score(truth, result.labels) > 0.98


def test_outliers_stay_unthemed():
    vectors, truth, _ = _blobs(themes=5, per_theme=30)
    outliers = _unit(np.random.default_rng(1).normal(size=(6, 32)))

    result = cluster_vectors(np.vstack([vectors, outliers]), seed=0)

    assert result.k == 5
    assert (result.labels[len(vectors) :] == -1).all()
    assert (result.labels[: len(vectors)] >= 0).all()
    assert result.unthemed_share == pytest.approx(6 / 156)
    assert 0.0 < result.threshold < 0.95


@pytest.mark.parametrize("n", [0, 1, 2, 5, 30])
def test_tiny_inputs_give_sensible_themes(n):
    vectors, _, _ = _blobs(themes=3, per_theme=10)

    result = cluster_vectors(vectors[:: max(1, 30 // n)][:n] if n else vectors[:0], seed=0)

    assert result.labels.shape == (n,)
    assert result.centroids.shape == (result.k, 32)
    assert 0 <= result.k <= max(n, 0)
    if n == 0:
        assert result.k == 0
    elif n <= 2:
        assert result.k == 1
        assert (result.labels == 0).all()
    if n == 30:
        assert result.k == 3


def test_given_k_is_used_and_capped_by_n():
    vectors, _, _ = _blobs(themes=4, per_theme=10)

    assert cluster_vectors(vectors, k=4, seed=0).k == 4
    assert cluster_vectors(vectors[:3], k=10, seed=0).k == 3
    with pytest.raises(ValueError, match="k must be"):
        cluster_vectors(vectors, k=0)


def test_same_seed_same_themes():
    vectors, _, _ = _blobs(themes=7, per_theme=12, spread=0.8)

    first = cluster_vectors(vectors, seed=3)
    second = cluster_vectors(vectors, seed=3)

    assert np.array_equal(first.labels, second.labels)
    assert np.array_equal(first.centroids, second.centroids)
    assert first.threshold == second.threshold


def test_assign_to_centroids_leaves_dissimilar_vectors_unthemed():
    centroids = np.eye(3, 8, dtype=np.float32)
    vectors = np.array([[1, 0.1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 1]], dtype=np.float32)

    labels, similarities = assign_to_centroids(vectors, centroids, threshold=0.5)

    assert labels.tolist() == [0, -1]
    assert similarities[0] == pytest.approx(1 / np.sqrt(1.01), abs=1e-5)
    assert similarities[1] == pytest.approx(0.0, abs=1e-6)
    empty_labels, _ = assign_to_centroids(vectors, np.zeros((0, 8)), threshold=0.5)
    assert empty_labels.tolist() == [-1, -1]


def test_assign_one_vector_to_500_centroids_is_fast():
    rng = np.random.default_rng(0)
    centroids = _unit(rng.normal(size=(500, 384)))
    vector = _unit(rng.normal(size=(1, 384)))
    assign_to_centroids(vector, centroids, threshold=0.3)

    started = time.perf_counter()
    for _ in range(20):
        assign_to_centroids(vector, centroids, threshold=0.3)
    per_call = (time.perf_counter() - started) / 20

    assert per_call < 0.05


def test_match_clusters_keeps_ids_under_permutation():
    _, _, previous = _blobs(themes=6, per_theme=1)
    order = np.array([3, 0, 5, 1, 4, 2])
    rng = np.random.default_rng(2)
    current = _unit(previous[order] + rng.normal(scale=0.02, size=previous.shape))

    mapping = match_clusters(previous, current, min_similarity=0.8)

    assert mapping == {index: int(old) for index, old in enumerate(order)}


def test_match_clusters_drops_dissimilar_pairs():
    previous = np.eye(3, 8, dtype=np.float32)
    current = np.array([[0, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 1]], dtype=np.float32)

    assert match_clusters(previous, current, min_similarity=0.5) == {0: 1}
    assert match_clusters(previous, np.zeros((0, 8)), min_similarity=0.5) == {}


def _theme_with_children(*, children: int, per_child: int, dim: int = 32, seed: int = 0):
    """One theme whose members share a strong common direction (cosine ≈ 0.9 between any two)
    and fall into `children` sub-topics around it."""
    rng = np.random.default_rng(seed)
    parent = _unit(rng.normal(size=(1, dim)))[0]
    offsets = _unit(rng.normal(size=(children, dim)))
    truth = np.repeat(np.arange(children), per_child)
    noise = rng.normal(scale=0.12 / np.sqrt(dim), size=(len(truth), dim))
    return _unit(3.0 * parent + offsets[truth] + noise), truth


def test_subcluster_splits_a_theme_into_its_sub_topics():
    vectors, truth = _theme_with_children(children=3, per_child=40)
    assert (vectors @ vectors.T).min() > 0.75  # one theme by any whole-corpus standard

    result = subcluster(vectors, seed=0)

    assert isinstance(result, ClusterResult)
    assert result.k == 3
    assert adjusted_rand_score(truth, result.labels) == pytest.approx(1.0)
    assert result.centroids.shape == (3, 32)
    assert np.bincount(result.labels).tolist() == [40, 40, 40]
    assert result.parameters["space"] == "raw, centred"


def test_subcluster_keeps_within_max_k():
    vectors, truth = _theme_with_children(children=6, per_child=20)

    capped = subcluster(vectors, seed=0, max_k=4)
    free = subcluster(vectors, seed=0)

    assert 2 <= capped.k <= 4
    assert max(capped.parameters["k_silhouettes"]) == 4
    assert free.k == 6
    assert adjusted_rand_score(truth, free.labels) > 0.95


@pytest.mark.parametrize("n", [0, 1, 2])
def test_subcluster_of_too_few_members_is_one_group(n):
    vectors, _ = _theme_with_children(children=2, per_child=2)

    result = subcluster(vectors[:n], seed=0)

    assert result.k == min(n, 1)
    assert (result.labels == 0).all()


def test_a_theme_without_sub_topics_is_not_split():
    # Given one tight blob: any split of it is arbitrary
    vectors, _, _ = _blobs(themes=1, per_theme=40, spread=0.3, seed=2)

    # Then neither the clustering nor the split invents groups in it
    assert cluster_vectors(vectors, seed=0).k == 1
    result = subcluster(vectors, seed=0)
    assert result.k == 1
    assert max(result.parameters["k_silhouettes"].values()) < 0.1


def test_subcluster_rejects_max_k_below_two():
    vectors, _ = _theme_with_children(children=2, per_child=5)

    with pytest.raises(ValueError, match="max_k"):
        subcluster(vectors, max_k=1)


def test_subcluster_is_reproducible():
    vectors, _ = _theme_with_children(children=4, per_child=15, seed=3)

    first, second = subcluster(vectors, seed=5), subcluster(vectors, seed=5)

    assert np.array_equal(first.labels, second.labels)
    assert np.array_equal(first.centroids, second.centroids)


@pytest.mark.slow
def test_subcluster_of_a_big_theme_goes_through_umap():
    vectors, truth = _theme_with_children(children=4, per_child=80)

    result = subcluster(vectors, seed=0)

    assert result.parameters["space"] == "umap"
    assert result.k == 4
    assert adjusted_rand_score(truth, result.labels) > 0.95


def test_texts_must_match_the_vectors():
    vectors, _, _ = _blobs(themes=2, per_theme=5)

    with pytest.raises(ValueError, match="9 texts for 10 vectors"):
        cluster_vectors(vectors, texts=["a text"] * 9)


@pytest.mark.slow
def test_shared_wording_separates_themes_the_vectors_blur():
    # Given two topics whose vectors are drawn alike, around one centre (the embedding cannot
    # tell them apart), but whose texts use their own words
    rng = np.random.default_rng(4)
    vectors, _, _ = _blobs(themes=1, per_theme=240, spread=1.0, seed=4)
    topic = np.arange(len(vectors)) % 2
    word_pools = (
        ["refund", "money", "back", "returned", "reimburse"],
        ["password", "login", "reset", "account", "locked"],
    )
    texts = [" ".join(rng.choice(word_pools[label], size=4)) for label in topic]

    # When they are clustered into two themes with and without the texts
    with_texts = cluster_vectors(vectors, k=2, seed=0, texts=texts)
    without = cluster_vectors(vectors, k=2, seed=0)

    # Then only the texts recover the topics
    assert with_texts.parameters["umap"]["neighbours_by"].startswith("cosine + ")
    assert adjusted_rand_score(topic, with_texts.labels) > 0.9
    assert adjusted_rand_score(topic, without.labels) < 0.1
