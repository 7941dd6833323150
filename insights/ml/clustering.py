"""Themes: groups of similar feedback, found by clustering sentence embeddings.

The production path is UMAP (cosine, 20 neighbours, 10 dimensions, min_dist 0) then k-means: on
banking77 it beats k-means or Ward on the raw MiniLM vectors (NMI 0.835 against 0.79 / 0.806 at
k = 77). The number of themes, when not given, is the largest k whose k-means partition of the
UMAP space has a silhouette within 1 % of the best; on banking77 that curve is flat from about 44
to 70, while Calinski-Harabasz only grows with k (bench/RESULTS.md, "Themes: banking77
clustering").

Big inputs stay inside the time budget by fitting UMAP on a sample and `transform`-ing the rest,
and by choosing k on a sample. Small inputs (too few points for a UMAP neighbour graph) are
clustered on the raw vectors. Everything is seeded, so a fit is reproducible.

Themes live on in the original embedding space: centroids are unit vectors there, and new feedback
joins the most similar centroid if that similarity reaches the fit's threshold.
"""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

# 20 neighbours rather than UMAP's 15: on banking77 (AVX2 int8 vectors) NMI at k = 77 went from
# 0.827–0.830 to 0.831–0.832 over seeds; 10 did worse (bench/RESULTS.md, "Themes").
UMAP_PARAMS = {"n_neighbors": 20, "n_components": 10, "metric": "cosine", "min_dist": 0.0}
# Below this many vectors a UMAP neighbour graph says little; the raw vectors are clustered.
UMAP_MIN_VECTORS = 200
# UMAP is fitted on at most this many vectors; the others are placed with `transform`.
UMAP_FIT_SAMPLE = 10_000
UMAP_MANY_EPOCHS_UP_TO = 5_000
# Vectors outside the UMAP sample are placed from this many nearest sampled neighbours, computed
# this many rows at a time (a 2,000 x 10,000 similarity block is 80 MB).
PLACEMENT_NEIGHBOURS = 10
PLACEMENT_CHUNK = 2_000
# k is chosen on at most this many points, and silhouettes are computed on at most this many.
K_SEARCH_SAMPLE = 5_000
SILHOUETTE_SAMPLE = 5_000
MAX_K = 250
# At most this share of a fit is left unthemed (the threshold is never above this quantile).
UNTHEMED_MAX_SHARE = 0.08
# A member further than this many robust standard deviations below the median similarity to its
# centroid fits no theme. Every unthemed item costs NMI on a set without real outliers: on
# banking77 (k=77) 3 deviations leave 1.9 % unthemed at NMI 0.828, 5 leave 0.1 % at 0.835, while
# random vectors among clustered ones still fall far below.
OUTLIER_DEVIATIONS = 5.0
# k-means restarts of the final fit (up to 20k vectors): 30 found partitions 0.001–0.005 NMI
# better than 10 on banking77, for about a second more.
FINAL_N_INIT = 30
# Silhouettes within this share of the best count as a tie, and the largest tied k wins: the curve
# is flat over a wide range of k (on banking77 44–60 lie within 1 %), and splitting a pain point too
# coarsely hides it, while one split too finely is merged in a click.
K_TIE_SHARE = 0.01
# With enough data, a theme is a repeated pain point: smaller groups are left unthemed.
MIN_THEME_SIZE = 3
MIN_THEME_SIZE_FROM = 100


@dataclass(frozen=True)
class ClusterResult:
    labels: np.ndarray
    centroids: np.ndarray
    threshold: float
    k: int
    silhouette: float
    unthemed_share: float
    parameters: dict = field(default_factory=dict)


def cluster_vectors(vectors: np.ndarray, *, k: int | None = None, seed: int = 0) -> ClusterResult:
    """Cluster embeddings into themes. `k=None` chooses the number of themes; labels are ordered
    by theme size (0 is the largest) and -1 marks vectors that fit no theme."""
    vectors = _unit_rows(vectors)
    n, dim = vectors.shape
    if k is not None and k < 1:
        raise ValueError("k must be at least 1.")
    parameters: dict = {"n": n, "seed": seed, "k_requested": k}
    if n == 0:
        return ClusterResult(
            labels=np.zeros(0, dtype=np.int64),
            centroids=np.zeros((0, dim), dtype=np.float32),
            threshold=0.0,
            k=0,
            silhouette=0.0,
            unthemed_share=0.0,
            parameters=parameters | {"space": "none", "k_chosen_by": "empty input"},
        )

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    if n >= UMAP_MIN_VECTORS:
        space, umap_parameters = _umap_space(vectors, seed=seed)
        seconds["umap"] = round(time.perf_counter() - started, 2)
        parameters |= {"space": "umap", "umap": umap_parameters}
    else:
        space = vectors
        parameters |= {"space": "raw"}

    if k is not None:
        k = min(k, n)
        parameters["k_chosen_by"] = "given"
    elif n <= 2:
        k = 1
        parameters["k_chosen_by"] = "tiny input"
    else:
        started = time.perf_counter()
        k, scores = _choose_k(space, seed=seed)
        seconds["choose_k"] = round(time.perf_counter() - started, 2)
        parameters |= {"k_chosen_by": "best silhouette of k-means on the clustered space"}
        parameters["k_silhouettes"] = {int(key): round(value, 4) for key, value in scores.items()}

    # Restarts are cheap in 10 dimensions but not free: past 20k vectors two are enough.
    n_init = FINAL_N_INIT if n <= 20_000 else 2
    started = time.perf_counter()
    raw_labels = _kmeans(space, k, seed=seed, n_init=n_init)
    seconds["kmeans"] = round(time.perf_counter() - started, 2)
    parameters |= {"kmeans_k": k, "kmeans_n_init": n_init, "seconds": seconds}

    labels, centroids, threshold = _prune(vectors, raw_labels)
    parameters["threshold_rule"] = (
        f"min(median - {OUTLIER_DEVIATIONS} x 1.4826 x MAD, {UNTHEMED_MAX_SHARE:.0%} quantile) of "
        "members' cosine similarity to their centroid"
    )
    themed = labels >= 0
    return ClusterResult(
        labels=labels,
        centroids=centroids,
        threshold=threshold,
        k=len(centroids),
        silhouette=_silhouette(space[themed], labels[themed], seed=seed),
        unthemed_share=float(1.0 - themed.mean()),
        parameters=parameters,
    )


def assign_to_centroids(
    vectors: np.ndarray, centroids: np.ndarray, *, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each vector's most similar centroid (-1 when that cosine similarity is below `threshold`),
    and that similarity."""
    vectors = _unit_rows(vectors)
    if len(vectors) == 0 or len(centroids) == 0:
        return np.full(len(vectors), -1, dtype=np.int64), np.zeros(len(vectors), dtype=np.float32)
    similarities = vectors @ _unit_rows(centroids).T
    best = similarities.argmax(axis=1)
    best_similarity = similarities[np.arange(len(vectors)), best]
    labels = np.where(best_similarity >= threshold, best, -1).astype(np.int64)
    return labels, best_similarity.astype(np.float32)


def match_clusters(
    previous: np.ndarray, current: np.ndarray, *, min_similarity: float
) -> dict[int, int]:
    """Pair each current centroid with at most one previous centroid (the pairing with the largest
    total cosine similarity), keeping pairs at least `min_similarity` alike: current index ->
    previous index. A theme keeps its id across re-clustering through this mapping."""
    from scipy.optimize import linear_sum_assignment

    if len(previous) == 0 or len(current) == 0:
        return {}
    similarity = _unit_rows(current) @ _unit_rows(previous).T
    rows, columns = linear_sum_assignment(similarity, maximize=True)
    return {
        int(row): int(column)
        for row, column in zip(rows, columns, strict=True)
        if similarity[row, column] >= min_similarity
    }


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise ValueError("Expected a 2-D array of vectors.")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _umap_space(vectors: np.ndarray, *, seed: int) -> tuple[np.ndarray, dict]:
    """UMAP coordinates for every vector. Beyond UMAP_FIT_SAMPLE, UMAP is fitted on a sample and
    each other vector is placed at the similarity-weighted mean of its nearest sampled neighbours:
    UMAP's own `transform` starts from that point and then optimises for minutes at 100k."""
    import umap

    rng = np.random.default_rng(seed)
    n = len(vectors)
    fit_size = min(n, UMAP_FIT_SAMPLE)
    fit_rows = np.sort(rng.choice(n, size=fit_size, replace=False)) if fit_size < n else None
    # UMAP's own default drops from 500 to 200 epochs above 10k points; a 10k sample takes 200
    # too, which keeps 100k vectors inside the time budget.
    epochs = 200 if fit_size > UMAP_MANY_EPOCHS_UP_TO else None
    reducer = umap.UMAP(**UMAP_PARAMS, n_epochs=epochs, random_state=seed, n_jobs=1)
    with warnings.catch_warnings():
        # UMAP warns that a seed turns off its parallelism; reproducibility is the point here.
        warnings.simplefilter("ignore", UserWarning)
        if fit_rows is None:
            space = np.asarray(reducer.fit_transform(vectors), dtype=np.float32)
        else:
            reducer.fit(vectors[fit_rows])
            sample_space = np.asarray(reducer.embedding_, dtype=np.float32)
            space = np.empty((n, sample_space.shape[1]), dtype=np.float32)
            space[fit_rows] = sample_space
            rest = np.setdiff1d(np.arange(n), fit_rows)
            space[rest] = _place_by_neighbours(vectors[rest], vectors[fit_rows], sample_space)
    parameters = UMAP_PARAMS | {"fit_sample": fit_size, "n_epochs": epochs or "default"}
    if fit_rows is not None:
        parameters["others_placed_by"] = f"mean of {PLACEMENT_NEIGHBOURS} nearest sampled vectors"
    return space, parameters


def _place_by_neighbours(
    vectors: np.ndarray, sample: np.ndarray, sample_space: np.ndarray
) -> np.ndarray:
    placed = np.empty((len(vectors), sample_space.shape[1]), dtype=np.float32)
    neighbours = PLACEMENT_NEIGHBOURS
    for start in range(0, len(vectors), PLACEMENT_CHUNK):
        similarity = vectors[start : start + PLACEMENT_CHUNK] @ sample.T
        nearest = np.argpartition(-similarity, neighbours - 1, axis=1)[:, :neighbours]
        weights = np.maximum(np.take_along_axis(similarity, nearest, axis=1), 1e-6)
        weights /= weights.sum(axis=1, keepdims=True)
        placed[start : start + PLACEMENT_CHUNK] = np.einsum(
            "ij,ijk->ik", weights, sample_space[nearest]
        )
    return placed


def _kmeans(space: np.ndarray, k: int, *, seed: int, n_init: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    if k == 1:
        return np.zeros(len(space), dtype=np.int64)
    model = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
    return model.fit_predict(space).astype(np.int64)


def _candidate_ks(n: int) -> list[int]:
    k_max = min(MAX_K, n - 1, max(10, n // 10))
    return sorted({int(round(k)) for k in np.geomspace(2, k_max, num=16)} | {k_max})


def _choose_k(space: np.ndarray, *, seed: int) -> tuple[int, dict[int, float]]:
    """The k whose k-means partition of (a sample of) `space` has the best silhouette — the
    largest of those within K_TIE_SHARE of it: a coarse geometric sweep, then every k between the
    best one's neighbours (step ≥ 1, ≤ 8 more fits)."""
    rng = np.random.default_rng(seed)
    if len(space) > K_SEARCH_SAMPLE:
        space = space[np.sort(rng.choice(len(space), size=K_SEARCH_SAMPLE, replace=False))]
    n = len(space)
    if n < 3 or len(np.unique(space, axis=0)) < 3:
        return 1, {}
    scores: dict[int, float] = {}

    def score(k: int) -> None:
        if k not in scores:
            labels = _kmeans(space, k, seed=seed, n_init=2)
            scores[k] = _silhouette(space, labels, seed=seed)

    coarse = _candidate_ks(n)
    for k in coarse:
        score(k)
    best = max(coarse, key=lambda k: (scores[k], -k))
    position = coarse.index(best)
    low = coarse[max(0, position - 1)]
    high = coarse[min(len(coarse) - 1, position + 1)]
    step = max(1, (high - low) // 8)
    for k in range(low, high + 1, step):
        score(k)
    top = max(scores.values())
    tied = [k for k, value in scores.items() if value >= top - abs(top) * K_TIE_SHARE]
    return max(tied), scores


def _silhouette(space: np.ndarray, labels: np.ndarray, *, seed: int) -> float:
    from sklearn.metrics import silhouette_score

    distinct = len(np.unique(labels))
    if distinct < 2 or distinct >= len(labels):
        return 0.0
    sample = min(len(labels), SILHOUETTE_SAMPLE)
    return float(silhouette_score(space, labels, sample_size=sample, random_state=seed))


def _prune(vectors: np.ndarray, raw_labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Leave members too far from their centroid, and themes too small to be one, unthemed;
    relabel themes by size; centroids from the remaining members."""
    k = int(raw_labels.max()) + 1
    centroids = _centroids(vectors, raw_labels, k)
    similarity = np.einsum("ij,ij->i", vectors, centroids[raw_labels])
    if len(vectors) < MIN_THEME_SIZE_FROM:
        threshold = float(similarity.min())
        min_size = 1
    else:
        median = np.median(similarity)
        spread = 1.4826 * np.median(np.abs(similarity - median))
        robust = median - OUTLIER_DEVIATIONS * spread
        threshold = float(min(robust, np.quantile(similarity, UNTHEMED_MAX_SHARE)))
        min_size = MIN_THEME_SIZE
    labels = np.where(similarity >= threshold, raw_labels, -1)
    sizes = np.bincount(labels[labels >= 0], minlength=k)
    kept = [c for c in np.argsort(-sizes, kind="stable") if sizes[c] >= min_size]
    relabel = np.full(k + 1, -1, dtype=np.int64)
    relabel[np.asarray(kept, dtype=np.int64)] = np.arange(len(kept))
    labels = relabel[labels]  # -1 indexes the final slot, which stays -1
    return labels, _centroids(vectors, labels, len(kept)), threshold


def _centroids(vectors: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    sums = np.zeros((k, vectors.shape[1]), dtype=np.float64)
    themed = labels >= 0
    np.add.at(sums, labels[themed], vectors[themed])
    return _unit_rows(sums)
