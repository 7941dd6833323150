"""Anchored theming without a database: existing themes hold their members, newcomers join the
nearest theme they fit, and only what fits none is clustered into new themes."""

import numpy as np
import pytest

from insights.ml.anchoring import (
    admission_threshold,
    robust_floor,
    themes_anchor,
    unit_rows,
)
from insights.ml.clustering import ClusterResult


def blobs(centres: np.ndarray, per: int, *, spread: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return unit_rows(
        np.repeat(centres, per, axis=0)
        + spread * rng.normal(size=(len(centres) * per, centres.shape[1]))
    )


@pytest.fixture
def centres():
    return unit_rows(np.random.default_rng(0).normal(size=(4, 32)))


def anchor(vectors, current, centroids, *, pinned=None, **kwargs):
    n = len(vectors)
    options = {
        "thresholds": np.full(len(centroids), 0.6, dtype=np.float32),
        "keep_floors": np.full(len(centroids), 0.3, dtype=np.float32),
        "match_similarity": 0.8,
        "seed": 0,
    } | kwargs
    return themes_anchor(
        vectors,
        current=np.asarray(current),
        pinned=np.zeros(n, dtype=bool) if pinned is None else pinned,
        centroids=centroids,
        **options,
    )


def test_members_stay_and_newcomers_join_their_nearest_theme(centres):
    # Given two themes with members, and newcomers of both kinds
    members = blobs(centres[:2], 10, spread=0.1, seed=1)
    newcomers = blobs(centres[:2], 3, spread=0.1, seed=2)
    vectors = np.vstack([members, newcomers])
    current = [0] * 10 + [1] * 10 + [-1] * 6

    # When they are anchored to the two themes' centres
    result = anchor(vectors, current, centres[:2])

    # Then every member stayed and each newcomer joined its own kind
    assert result.labels.tolist() == [0] * 10 + [1] * 10 + [0] * 3 + [1] * 3
    assert (result.kept, result.joined, result.new_themes) == (20, 6, 0)


def test_a_member_stays_even_when_another_theme_is_now_closer(centres):
    # A k-means partition does not follow the raw nearest centroid: a member placed by the fit
    # stays where it was unless it is too far from its own theme.
    between = unit_rows((centres[0] + 1.2 * centres[1])[None, :])
    result = anchor(between, [0], centres[:2], keep_floors=np.array([-1.0, -1.0]))

    assert result.labels.tolist() == [0]


def test_a_member_too_far_from_its_theme_leaves_it(centres):
    result = anchor(centres[2:3], [0], centres[:2], keep_floors=np.array([0.5, 0.5]))

    assert result.released == 1
    assert result.labels.tolist() == [-1]


def test_pinned_feedback_keeps_what_a_person_chose_even_no_theme(centres):
    vectors = np.vstack([centres[0], centres[0]])
    pinned = np.array([True, True])

    result = anchor(vectors, [1, -1], centres[:2], pinned=pinned)

    assert result.labels.tolist() == [1, -1]


def test_a_new_topic_in_what_fits_no_theme_becomes_a_new_theme(centres):
    # Given two themes and 30 newcomers of a third topic
    vectors = blobs(centres[2:3], 30, spread=0.05, seed=3)

    # When anchored (the pool is big enough to cluster)
    result = anchor(vectors, [-1] * 30, centres[:2], pool_min=20, min_new_theme=5)

    # Then they form one new theme, index 2 (after the two anchors)
    assert result.new_themes >= 1
    assert set(result.labels.tolist()) <= {2, 3, 4, -1}
    assert (result.labels >= 2).sum() >= 25
    assert result.discovered == (result.labels >= 2).sum()


def test_a_pool_cluster_close_to_a_theme_joins_it_instead_of_becoming_new(centres):
    # Newcomers near theme 0 but under its admission bar: its fringe, not a new topic
    vectors = blobs(centres[:1], 30, spread=0.12, seed=4)
    strict = np.array([0.999, 0.999], dtype=np.float32)

    result = anchor(vectors, [-1] * 30, centres[:2], thresholds=strict, pool_min=20)

    assert result.new_themes == 0
    assert (result.labels == 0).sum() >= 25


def test_a_small_pool_is_left_unthemed_until_more_arrives(centres):
    vectors = blobs(centres[2:3], 5, spread=0.05, seed=5)

    result = anchor(vectors, [-1] * 5, centres[:2], pool_min=20)

    assert result.labels.tolist() == [-1] * 5
    assert result.parameters["pool"] == 5


def test_without_anchors_everything_is_clustered(centres):
    vectors = blobs(centres, 25, spread=0.05, seed=6)
    calls = []

    def cluster(pool, *, seed):
        calls.append(len(pool))
        labels = np.repeat(np.arange(4), 25)
        return ClusterResult(
            labels=labels, centroids=centres, threshold=0.0, k=4, silhouette=0.9, unthemed_share=0.0
        )

    result = themes_anchor(
        vectors,
        current=np.full(100, -1),
        pinned=np.zeros(100, dtype=bool),
        centroids=np.zeros((0, 32), dtype=np.float32),
        thresholds=np.zeros(0),
        keep_floors=np.zeros(0),
        match_similarity=0.8,
        cluster=cluster,
        min_new_theme=1,
    )

    assert calls == [100]
    assert result.new_themes == 4
    assert result.labels.tolist() == np.repeat(np.arange(4), 25).tolist()


def test_inputs_of_the_wrong_shape_are_refused(centres):
    with pytest.raises(ValueError, match="one entry per vector"):
        anchor(centres[:2], [0], centres[:2])
    with pytest.raises(ValueError, match="does not exist"):
        anchor(centres[:1], [5], centres[:2])


def test_thresholds_and_floors():
    similarities = np.linspace(0.5, 0.9, 101)

    assert admission_threshold(similarities, floor=0.2, quantile=0.05) == pytest.approx(0.52)
    assert admission_threshold(similarities, floor=0.7, quantile=0.05) == 0.7
    assert admission_threshold(np.zeros(0), floor=0.3, quantile=0.05) == 0.3
    assert robust_floor(similarities, deviations=5, max_share=0.08) <= np.quantile(
        similarities, 0.08
    )
    assert robust_floor(np.zeros(0), deviations=5, max_share=0.08) == 0.0
