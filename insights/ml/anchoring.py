"""Themes that hold: a re-run keeps feedback in the theme it has, themes what has none by the
nearest theme, and looks for new themes only in what fits no theme at all.

A full re-clustering of all feedback on every run reshuffles themes: k-means on a grown data set
finds a different partition, the number of themes moves, and matching new clusters back to old
themes by centroid loses whatever does not match one to one (issue #13 saw 27 themes become 126,
and a merge target lose its own feedback). Here the existing themes are *anchors*, constraints of
the clustering rather than patches applied after it:

1. feedback a person placed (pinned) stays where it was put, in a theme or out of every theme;
2. feedback already in an anchor stays there while it is still reasonably close to it (its
   similarity to the anchor's centroid at least the anchor's keep floor: a text that was edited
   into another topic leaves);
3. feedback in no theme joins its nearest anchor when it is as close as the anchor's own members
   are (the anchor's admission threshold);
4. what is left — the pool — is clustered: a pool of up to AGGLOMERATE_MAX by average linkage,
   cut where groups become less alike than the existing themes' members are (`pool_similarity`:
   no number of themes to guess, and a handful of newcomers is not split into fragments), a
   bigger one by `insights.ml.clustering.cluster_vectors`. A cluster of the pool close to an
   anchor (centroid similarity ≥ `match_similarity`) joins that anchor: it is
   the anchor's fringe, not a new topic. Other clusters of at least `min_new_theme` members become
   new themes; the rest stays unthemed until more like it arrives.

Plain numpy, no ORM: the caller maps anchors to themes (a merged theme's anchor to where it was
merged, so what resembles it follows the merge).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

# The pool is clustered only when it holds at least this many vectors: fewer say nothing new.
POOL_MIN = 20
# Pools up to this size are grouped by average-linkage agglomeration (a 3,000 x 3,000 distance
# matrix is 36 MB); bigger pools by the full clustering.
AGGLOMERATE_MAX = 3_000
# A new theme needs at least this many members (the first fit's smallest theme, MIN_THEME_SIZE,
# is 3; a theme born later must be worth a PM's look).
MIN_NEW_THEME = 5


@dataclass(frozen=True)
class AnchoredAssignment:
    """Per vector: the anchor index, `len(anchors) + j` for new theme j, or -1 (no theme)."""

    labels: np.ndarray
    new_centroids: np.ndarray
    kept: int  # vectors that stayed in their anchor (pinned ones included)
    released: int  # vectors that left their anchor, too far from it now
    joined: int  # vectors without a theme that joined an anchor
    discovered: int  # vectors in new themes
    parameters: dict = field(default_factory=dict)

    @property
    def new_themes(self) -> int:
        return len(self.new_centroids)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def themes_anchor(
    vectors: np.ndarray,
    *,
    current: np.ndarray,
    pinned: np.ndarray,
    centroids: np.ndarray,
    thresholds: np.ndarray,
    keep_floors: np.ndarray,
    match_similarity: float,
    pool_similarity: float | None = None,
    texts: Sequence[str] | None = None,
    seed: int = 0,
    pool_min: int = POOL_MIN,
    min_new_theme: int = MIN_NEW_THEME,
    cluster: Callable | None = None,
) -> AnchoredAssignment:
    """Assign `vectors` (unit rows) to the anchors (`centroids`, unit rows, each with its
    admission `thresholds` and `keep_floors`), keeping `current` (anchor index or -1) where it
    still holds and `pinned` always; cluster the rest for new themes with `cluster(vectors,
    seed=...)` (default: `pool_group`, by `pool_similarity` — the mean pairwise cosine
    similarity a group needs, typically the existing themes' own)."""
    vectors = unit_rows(vectors)
    n = len(vectors)
    current = np.asarray(current, dtype=np.int64)
    pinned = np.asarray(pinned, dtype=bool)
    anchors = len(centroids)
    if current.shape != (n,) or pinned.shape != (n,):
        raise ValueError("current and pinned need one entry per vector.")
    if len(thresholds) != anchors or len(keep_floors) != anchors:
        raise ValueError("thresholds and keep_floors need one entry per anchor.")
    if anchors and current.max(initial=-1) >= anchors:
        raise ValueError("current names an anchor that does not exist.")
    centroids = unit_rows(centroids) if anchors else np.zeros((0, vectors.shape[1]), np.float32)
    thresholds = np.asarray(thresholds, dtype=np.float32)
    keep_floors = np.asarray(keep_floors, dtype=np.float32)

    labels = np.full(n, -1, dtype=np.int64)
    labels[pinned] = current[pinned]

    # Members stay while they are still reasonably close to their anchor.
    member = ~pinned & (current >= 0)
    own = current[member]
    own_similarity = np.einsum("ij,ij->i", vectors[member], centroids[own]) if anchors else []
    stays = np.asarray(own_similarity, dtype=np.float32) >= keep_floors[own]
    member_rows = np.flatnonzero(member)
    labels[member_rows[stays]] = own[stays]
    released = int((~stays).sum())

    # Feedback in no theme joins its nearest anchor when it is as close as the anchor's members.
    free = np.flatnonzero(~pinned & (labels < 0))
    joined = 0
    if anchors and len(free):
        similarity = vectors[free] @ centroids.T
        nearest = similarity.argmax(axis=1)
        close = similarity[np.arange(len(free)), nearest] >= thresholds[nearest]
        labels[free[close]] = nearest[close]
        joined = int(close.sum())
        free = free[~close]

    # The pool: clustered for new topics.
    new_centroids: list[np.ndarray] = []
    discovered = 0
    parameters: dict = {"pool": int(len(free)), "pool_min": pool_min}
    if len(free) >= pool_min:
        if cluster is None:
            pool_texts = None if texts is None else [texts[row] for row in free]
            result = pool_group(
                vectors[free], similarity=pool_similarity, seed=seed, texts=pool_texts
            )
        else:
            result = cluster(vectors[free], seed=seed)
        parameters["pool_clusters"] = int(result.k)
        fringe = 0
        for index in range(result.k):
            rows = free[result.labels == index]
            centroid = unit_rows(vectors[rows].mean(axis=0, keepdims=True))[0]
            if anchors:
                closeness = centroids @ centroid
                best = int(closeness.argmax())
                if closeness[best] >= match_similarity:
                    labels[rows] = best
                    fringe += len(rows)
                    continue
            if len(rows) >= min_new_theme:
                labels[rows] = anchors + len(new_centroids)
                new_centroids.append(centroid)
                discovered += len(rows)
        joined += fringe
        parameters["pool_fringe_joined"] = fringe
    dimensions = vectors.shape[1]
    return AnchoredAssignment(
        labels=labels,
        new_centroids=(
            np.vstack(new_centroids).astype(np.float32)
            if new_centroids
            else np.zeros((0, dimensions), dtype=np.float32)
        ),
        kept=int(pinned.sum()) + int(stays.sum()),
        released=released,
        joined=joined,
        discovered=discovered,
        parameters=parameters,
    )


def pool_group(
    vectors: np.ndarray,
    *,
    similarity: float | None,
    seed: int = 0,
    texts: Sequence[str] | None = None,
):
    """Group the pool: average linkage cut at `similarity` (mean pairwise cosine) when the pool
    is small enough and a similarity is known, else the full clustering. Returns a
    ClusterResult-like object (labels -1 for none, k)."""
    from insights.ml.clustering import ClusterResult, cluster_vectors

    if similarity is None or len(vectors) > AGGLOMERATE_MAX or len(vectors) < 2:
        return cluster_vectors(vectors, seed=seed, texts=texts)
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None,
        metric="cosine",
        linkage="average",
        distance_threshold=max(1e-6, 1.0 - similarity),
    )
    raw = model.fit_predict(vectors)
    sizes = np.bincount(raw)
    order = np.argsort(-sizes, kind="stable")
    relabel = np.empty_like(order)
    relabel[order] = np.arange(len(order))
    labels = relabel[raw].astype(np.int64)
    centroids = np.vstack(
        [
            unit_rows(vectors[labels == index].mean(axis=0, keepdims=True))[0]
            for index in range(len(order))
        ]
    )
    return ClusterResult(
        labels=labels,
        centroids=centroids,
        threshold=0.0,
        k=len(order),
        silhouette=0.0,
        unthemed_share=0.0,
        parameters={"pool_grouping": "average linkage", "similarity": round(similarity, 4)},
    )


def mean_pairwise_similarity(vectors: np.ndarray) -> float:
    """The mean cosine similarity between distinct members (unit rows): ‖Σv‖² − n over n(n − 1)."""
    n = len(vectors)
    if n < 2:
        return 1.0
    total = unit_rows(vectors).sum(axis=0)
    return float((total @ total - n) / (n * (n - 1)))


def admission_threshold(similarities: np.ndarray, *, floor: float, quantile: float) -> float:
    """A theme's bar for newcomers: as close as all but its loosest `quantile` of members, never
    below `floor`."""
    if len(similarities) == 0:
        return float(floor)
    return max(float(floor), float(np.quantile(similarities, quantile)))


def robust_floor(similarities: np.ndarray, *, deviations: float, max_share: float) -> float:
    """The similarity below which a member is an outlier of its theme, over all themes' members:
    `deviations` robust standard deviations below the median, never leaving more than
    `max_share` out."""
    if len(similarities) == 0:
        return 0.0
    median = float(np.median(similarities))
    spread = 1.4826 * float(np.median(np.abs(similarities - median)))
    return float(min(median - deviations * spread, np.quantile(similarities, max_share)))
