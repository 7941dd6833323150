"""Themes: groups of similar feedback, found by clustering sentence embeddings.

The production path, with what each step is worth on banking77 (3,080 support queries, 77 intents;
NMI against the intents, UMAP seeds 0–5; bench/RESULTS.md, "Themes: banking77 clustering"):

1. Neighbours. The vectors are centred (the sample's mean taken out, then unit length again):
   MiniLM vectors share a common direction that makes every neighbour list look alike. When the
   texts are given, two texts' similarity is their cosine plus 0.4 x the cosine of their
   character 2-5-gram TF-IDF vectors: intents that one sentence embedding blurs ("top-up failed" /
   "top-up reverted", "pending" / "not received") differ in their words, and stop words stay in
   ("why", "can't" carry the intent; without them NMI fell to 0.831). Each vector's 20 nearest
   neighbours are computed exactly.
2. UMAP on that neighbour graph: 20 neighbours, 15 dimensions (10 and 25 scored the same),
   min_dist 0.
3. Ward linkage on the UMAP space, merging only clusters that touch in its 10-nearest-neighbour
   graph (as good as unconstrained Ward, and fast): it beat k-means on the same space by about
   0.002 in most settings tried. One tree gives every k, so choosing k costs only silhouettes.
4. k, when not given: the largest k whose cut of the tree has a silhouette within 5 % of the best.
   The silhouette peaks early (k ≈ 55–64, NMI 0.83) and stays near it until the partition
   reaches the intents, then drops: within 2 % picked k 64–75 (NMI 0.838), 3–7 % picked 67–100
   (0.841), 1 % about 60 (0.83). Splitting a pain point too coarsely hides it, while a theme
   split too finely is merged in a click. Automatic k stays within 2–80 (from 5,000 vectors on,
   15–80): a reader can take in 80 top-level themes, and an oversized one is split further by
   `subcluster`.

Measured end to end (`cluster_vectors`, seeds 0–5): with texts, k = 77 NMI 0.839 (0.834–0.843)
and k auto 0.838 (0.835–0.843, 73–80 themes); without texts 0.834 / 0.835 (seeds 0–2); the
previous path (raw cosine neighbours, UMAP 10 d, k-means, 1 % tie) 0.828 / 0.821 (seeds 0–5).

Big inputs stay inside the time budget: UMAP and the tree are built on a sample of 10,000 vectors;
every other vector is placed at the mean of its nearest sampled neighbours and joins the nearest
theme centre there. Small inputs (too few points for a UMAP neighbour graph) are clustered on the
raw vectors. Everything is seeded, so a fit is reproducible.

Themes live on in the original embedding space: centroids are unit vectors there, and new feedback
joins the most similar centroid if that similarity reaches the fit's threshold.
"""

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

UMAP_PARAMS = {"n_neighbors": 20, "n_components": 15, "metric": "cosine", "min_dist": 0.0}
# Below this many vectors a UMAP neighbour graph says little; the raw vectors are clustered.
UMAP_MIN_VECTORS = 200
# UMAP and the Ward tree are built on at most this many vectors; the others are placed.
UMAP_FIT_SAMPLE = 10_000
UMAP_MANY_EPOCHS_UP_TO = 5_000
# Vectors outside the UMAP sample are placed from this many nearest sampled neighbours. Rows of
# similarities are computed this many at a time (1,000 x 10,000 floats is 40 MB, twice with words).
PLACEMENT_NEIGHBOURS = 10
SIMILARITY_CHUNK = 1_000
# The weight of the character n-gram TF-IDF cosine next to the embedding cosine (banking77, k = 77,
# Ward, mean over UMAP seeds; 10 d: 0.2 → 0.836, 0.35 → 0.840, 0.5 → 0.840, 0.75 → 0.836, 1.0 →
# 0.828; 15 d: 0.4 → 0.840, 0.55 → 0.837; word 1-2-grams instead: 0.840). Texts are cut to about
# what the embedding reads (128 word pieces), which also bounds the cost: 10 s more for a
# 10,000-text sample.
LEXICAL_WEIGHT = 0.4
LEXICAL_MAX_CHARS = 500
# Ward merges only clusters that touch in this k-nearest-neighbour graph of the UMAP space.
WARD_NEIGHBOURS = 10
# Silhouettes are computed on at most this many points.
SILHOUETTE_SAMPLE = 5_000
# Automatic k: 80 top-level themes at most, and from 5,000 vectors on at least 15 (a handful of
# giant catch-alls hides every pain point in them).
MAX_K = 80
MIN_K_FROM = 5_000
MIN_K_LARGE = 15
# Silhouettes within this share of the best count as a tie, and the largest tied k wins. On the
# raw vectors of a small input the curve is not flat, and 1 % (the previous path's share) found
# 3 and 12–15 groups in banking77 samples of 3 and 10 intents, where 5 % found 4 and 14–15.
K_TIE_SHARE = 0.05
RAW_K_TIE_SHARE = 0.01
# Below this best silhouette the points form no separate groups, and stay one: a tight blob of 30
# vectors scores 0.03–0.07 at any k, samples of 3–10 banking77 intents 0.17–0.31 (the raw
# silhouettes of sentence embeddings run low, hence a floor under Kaufman and Rousseeuw's 0.25).
NO_STRUCTURE_SILHOUETTE = 0.1
# At most this share of a fit is left unthemed (the threshold is never above this quantile).
UNTHEMED_MAX_SHARE = 0.08
# A member further than this many robust standard deviations below the median similarity to its
# centroid fits no theme. Every unthemed item costs NMI on a set without real outliers: on
# banking77 (k=77) 3 deviations leave 1.9 % unthemed at NMI 0.828, 5 leave 0.1 % at 0.835, while
# random vectors among clustered ones still fall far below.
OUTLIER_DEVIATIONS = 5.0
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


def cluster_vectors(
    vectors: np.ndarray,
    *,
    k: int | None = None,
    seed: int = 0,
    texts: Sequence[str] | None = None,
) -> ClusterResult:
    """Cluster embeddings into themes. `k=None` chooses the number of themes; `texts` (one per
    vector, optional) lets shared wording count next to the embedding. Labels are ordered by theme
    size (0 is the largest) and -1 marks vectors that fit no theme."""
    if k is not None and k < 1:
        raise ValueError("k must be at least 1.")
    return _fit(vectors, texts=texts, k=k, k_range=None, seed=seed)


def subcluster(
    vectors: np.ndarray,
    *,
    seed: int = 0,
    max_k: int = 8,
    texts: Sequence[str] | None = None,
) -> ClusterResult:
    """Split the members of one oversized theme into 2..`max_k` sub-themes, k by the best
    silhouette (no preference for finer splits: a parent with many children is another
    catch-all). Centred on the theme's own mean, what the members share drops out and what tells
    them apart remains. Too few or too alike members give one sub-theme."""
    if max_k < 2:
        raise ValueError("max_k must be at least 2.")
    return _fit(vectors, texts=texts, k=None, k_range=(2, max_k), seed=seed)


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


def _fit(
    vectors: np.ndarray,
    *,
    texts: Sequence[str] | None,
    k: int | None,
    k_range: tuple[int, int] | None,
    seed: int,
) -> ClusterResult:
    vectors = _unit_rows(vectors)
    n, dim = vectors.shape
    if texts is not None and len(texts) != n:
        raise ValueError(f"{len(texts)} texts for {n} vectors.")
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
        space, fit_rows, space_parameters = _umap_space(vectors, texts=texts, seed=seed)
        seconds["umap"] = round(time.perf_counter() - started, 2)
        parameters |= {"space": "umap", "umap": space_parameters}
    else:
        # Sub-themes share their parent's direction: centred, what sets them apart remains.
        space = _centred(vectors) if k_range is not None else vectors
        fit_rows = np.arange(n)
        parameters |= {"space": "raw, centred" if k_range is not None else "raw"}
    sample = space[fit_rows]

    started = time.perf_counter()
    children = _ward_tree(sample)
    seconds["ward"] = round(time.perf_counter() - started, 2)
    parameters["clustering"] = f"Ward linkage on the {parameters['space']} space" + (
        f", within its {WARD_NEIGHBOURS}-nearest-neighbour graph" if len(sample) > 2 else ""
    )

    if k is not None:
        k = min(k, len(sample))
        parameters["k_chosen_by"] = "given"
    elif len(sample) <= 2:
        k = 1
        parameters["k_chosen_by"] = "tiny input"
    else:
        started = time.perf_counter()
        if k_range is None:
            low = MIN_K_LARGE if n >= MIN_K_FROM else 2
            high = min(MAX_K, max(10, len(sample) // 10))
            tie_share = K_TIE_SHARE if parameters["space"] == "umap" else RAW_K_TIE_SHARE
            rule = f"largest k within {tie_share:.0%} of the best"
        else:
            low, high = k_range
            tie_share, rule = 0.0, f"best in {low}..{high}"
        k, scores = _choose_k(sample, children, low=low, high=high, tie_share=tie_share, seed=seed)
        seconds["choose_k"] = round(time.perf_counter() - started, 2)
        parameters["k_chosen_by"] = f"silhouette of the tree's cuts: {rule}"
        parameters["k_silhouettes"] = {int(key): round(value, 4) for key, value in scores.items()}

    raw_labels = np.empty(n, dtype=np.int64)
    raw_labels[fit_rows] = _cut(children, len(sample), k)
    if len(fit_rows) < n:
        rest = np.setdiff1d(np.arange(n), fit_rows)
        raw_labels[rest] = _nearest_centre(space[rest], sample, raw_labels[fit_rows], k)
        parameters["others_joined"] = "the nearest theme centre in the UMAP space"
    parameters |= {"tree_k": k, "seconds": seconds}

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


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise ValueError("Expected a 2-D array of vectors.")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _centred(vectors: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    mean = vectors[rows].mean(axis=0) if rows is not None else vectors.mean(axis=0)
    return _unit_rows(vectors - mean)


def _umap_space(
    vectors: np.ndarray, *, texts: Sequence[str] | None, seed: int
) -> tuple[np.ndarray, np.ndarray, dict]:
    """UMAP coordinates for every vector, and the rows UMAP was fitted on. Beyond
    UMAP_FIT_SAMPLE, UMAP is fitted on a sample and each other vector is placed at the
    similarity-weighted mean of its nearest sampled neighbours: UMAP's own `transform` starts
    from that point and then optimises for minutes at 100k."""
    import umap

    rng = np.random.default_rng(seed)
    n = len(vectors)
    fit_size = min(n, UMAP_FIT_SAMPLE)
    fit_rows = np.arange(n)
    if fit_size < n:
        fit_rows = np.sort(rng.choice(n, size=fit_size, replace=False))
    centred = _centred(vectors, fit_rows)
    sample = centred[fit_rows]
    lexical = _lexical([texts[row] for row in fit_rows]) if texts is not None else None
    neighbours = min(UMAP_PARAMS["n_neighbors"], fit_size - 1)
    knn = _nearest_neighbours(sample, lexical, neighbours)
    # UMAP's own default drops from 500 to 200 epochs above 10k points; a 10k sample takes 200
    # too, which keeps 100k vectors inside the time budget.
    epochs = 200 if fit_size > UMAP_MANY_EPOCHS_UP_TO else None
    reducer = umap.UMAP(
        **(UMAP_PARAMS | {"n_neighbors": neighbours}),
        n_epochs=epochs,
        random_state=seed,
        n_jobs=1,
        precomputed_knn=(*knn, None),
    )
    with warnings.catch_warnings():
        # UMAP warns that a seed turns off its parallelism; reproducibility is the point here.
        warnings.simplefilter("ignore", UserWarning)
        sample_space = np.asarray(reducer.fit_transform(sample), dtype=np.float32)
    space = np.empty((n, sample_space.shape[1]), dtype=np.float32)
    space[fit_rows] = sample_space
    if fit_size < n:
        rest = np.setdiff1d(np.arange(n), fit_rows)
        space[rest] = _place_by_neighbours(centred[rest], sample, sample_space)
    parameters = UMAP_PARAMS | {
        "n_neighbors": neighbours,
        "fit_sample": fit_size,
        "n_epochs": epochs or "default",
        "vectors": "centred on the sample's mean",
        "neighbours_by": (
            f"cosine + {LEXICAL_WEIGHT} x character 2-5-gram TF-IDF cosine"
            if lexical is not None
            else "cosine"
        ),
    }
    if fit_size < n:
        parameters["others_placed_by"] = f"mean of {PLACEMENT_NEIGHBOURS} nearest sampled vectors"
    return space, fit_rows, parameters


def _lexical(texts: Sequence[str]):
    """Unit-length character 2-5-gram TF-IDF rows of the texts, or None when they hold no
    characters to count."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float32
    )
    try:
        return vectorizer.fit_transform([str(text)[:LEXICAL_MAX_CHARS] for text in texts]).tocsr()
    except ValueError:  # an empty vocabulary: no text has a character n-gram
        return None


def _nearest_neighbours(sample: np.ndarray, lexical, neighbours: int):
    """Exact nearest neighbours of every sampled row (itself first, at distance 0) under the
    combined similarity, as UMAP's (indices, distances)."""
    n = len(sample)
    weight = LEXICAL_WEIGHT if lexical is not None else 0.0
    indices = np.empty((n, neighbours), dtype=np.int32)
    distances = np.empty((n, neighbours), dtype=np.float32)
    for start in range(0, n, SIMILARITY_CHUNK):
        stop = min(n, start + SIMILARITY_CHUNK)
        similarity = sample[start:stop] @ sample.T
        if lexical is not None:
            similarity += weight * (lexical[start:stop] @ lexical.T).toarray()
        similarity /= 1.0 + weight
        rows = np.arange(stop - start)
        similarity[rows, rows + start] = np.inf
        nearest = np.argpartition(-similarity, neighbours - 1, axis=1)[:, :neighbours]
        order = np.argsort(-np.take_along_axis(similarity, nearest, axis=1), axis=1)
        nearest = np.take_along_axis(nearest, order, axis=1)
        indices[start:stop] = nearest
        distances[start:stop] = 1.0 - np.take_along_axis(similarity, nearest, axis=1)
        distances[start:stop, 0] = 0.0
    return indices, np.maximum(distances, 0.0)


def _place_by_neighbours(
    vectors: np.ndarray, sample: np.ndarray, sample_space: np.ndarray
) -> np.ndarray:
    placed = np.empty((len(vectors), sample_space.shape[1]), dtype=np.float32)
    neighbours = PLACEMENT_NEIGHBOURS
    for start in range(0, len(vectors), SIMILARITY_CHUNK):
        similarity = vectors[start : start + SIMILARITY_CHUNK] @ sample.T
        nearest = np.argpartition(-similarity, neighbours - 1, axis=1)[:, :neighbours]
        weights = np.maximum(np.take_along_axis(similarity, nearest, axis=1), 1e-6)
        weights /= weights.sum(axis=1, keepdims=True)
        placed[start : start + SIMILARITY_CHUNK] = np.einsum(
            "ij,ijk->ik", weights, sample_space[nearest]
        )
    return placed


def _ward_tree(space: np.ndarray) -> np.ndarray:
    """The merges of a Ward tree over `space` (sklearn's `children_`), restricted to its
    k-nearest-neighbour graph when there are enough points: the full distance matrix of 10,000
    points would be 400 MB."""
    from sklearn.cluster import ward_tree
    from sklearn.neighbors import kneighbors_graph

    if len(space) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    connectivity = None
    if len(space) > WARD_NEIGHBOURS + 1:
        connectivity = kneighbors_graph(space, WARD_NEIGHBOURS, include_self=False)
    with warnings.catch_warnings():
        # A graph in several pieces is completed by sklearn, with a warning saying so.
        warnings.simplefilter("ignore", UserWarning)
        children = ward_tree(space, connectivity=connectivity)[0]
    return np.asarray(children, dtype=np.int64)


def _cut(children: np.ndarray, n: int, k: int) -> np.ndarray:
    """Labels 0..k-1 of the tree cut into k clusters: its first n - k merges applied."""
    if k >= n:
        return np.arange(n, dtype=np.int64)
    parent = np.arange(2 * n - 1)
    merges = n - k
    parent[children[:merges].ravel()] = np.repeat(np.arange(n, n + merges), 2)
    while True:  # pointer jumping: every node to its root in log(depth) steps
        grand = parent[parent]
        if np.array_equal(grand, parent):
            break
        parent = grand
    return np.unique(parent[:n], return_inverse=True)[1].astype(np.int64)


def _nearest_centre(points: np.ndarray, sample: np.ndarray, labels: np.ndarray, k: int):
    centres = np.zeros((k, sample.shape[1]), dtype=np.float64)
    np.add.at(centres, labels, sample)
    centres /= np.maximum(np.bincount(labels, minlength=k), 1)[:, None]
    nearest = np.empty(len(points), dtype=np.int64)
    for start in range(0, len(points), SIMILARITY_CHUNK):
        chunk = points[start : start + SIMILARITY_CHUNK]
        squared = (chunk**2).sum(axis=1)[:, None] - 2 * chunk @ centres.T + (centres**2).sum(1)
        nearest[start : start + SIMILARITY_CHUNK] = squared.argmin(axis=1)
    return nearest


def _choose_k(
    space: np.ndarray,
    children: np.ndarray,
    *,
    low: int,
    high: int,
    tie_share: float,
    seed: int,
) -> tuple[int, dict[int, float]]:
    """The k in low..high whose cut of the tree has the best silhouette, or the largest within
    `tie_share` of it (1 when even the best says there are no groups): a coarse geometric sweep,
    then every k (step ≥ 1, ≤ 13 more each) around the best and above the largest tied k."""
    n = len(space)
    high = min(high, n - 1)
    low = min(low, high)
    if high < 2 or len(np.unique(space, axis=0)) < 3:
        return 1, {}
    scores: dict[int, float] = {}

    def score(k: int) -> None:
        if k not in scores:
            scores[k] = _silhouette(space, _cut(children, n, k), seed=seed)

    coarse = sorted({int(round(k)) for k in np.geomspace(max(low, 2), high, num=16)} | {high})
    for k in coarse:
        score(k)

    def tied() -> list[int]:
        top = max(scores.values())
        return [k for k, value in scores.items() if value >= top - abs(top) * tie_share]

    def refine(start: int, stop: int) -> None:
        for k in range(start, stop + 1, max(1, (stop - start) // 12)):
            score(k)

    position = coarse.index(max(coarse, key=lambda k: (scores[k], -k)))
    refine(coarse[max(0, position - 1)], coarse[min(len(coarse) - 1, position + 1)])
    # The largest tied k lies between the largest tied coarse k and the next coarse one.
    largest = max(tied())
    above = [k for k in coarse if k > largest]
    refine(largest, above[0] if above else largest)
    if max(scores.values()) < NO_STRUCTURE_SILHOUETTE:
        return 1, scores
    return max(tied()), scores


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
