"""The themes step of an analysis run: feedback vectors in, themes that hold out.

Existing themes are the anchors of the clustering (`insights.ml.anchoring`): feedback keeps its
theme, feedback without one joins the nearest theme it fits, and only what fits none is clustered
for new topics. So a re-run on unchanged data changes nothing, grown data adds to the themes
rather than reshuffling them, and every person's edit holds because it *is* the state the next run
starts from:

- rename: `label_edited` themes keep their label;
- merge: the target keeps all of its feedback and the source's (moved and pinned by the edit);
  the merged theme stays an anchor whose catch goes to the target;
- split, move: pinned feedback stays where it was put, in a theme or out of every theme;
- a theme a person merged into or split is never split into sub-themes automatically;
- dismiss: the theme stays an anchor, so its kind of feedback gathers there, out of the ranking,
  instead of coming back as a new theme; restore puts it back in the ranking.

Afterwards: a theme holding more than `SPLIT_SHARE` of the themed feedback is split into
sub-themes (`parent`), a theme left with no feedback is retired (kept for history and links, never
listed) and comes back if feedback joins it again, and labels, summaries, keywords and quotes are
refreshed — a theme keeps its label while its membership has changed by less than `RELABEL_CHURN`,
so names do not flicker between runs.
"""

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import transaction

from insights.ml.anchoring import unit_rows
from insights.models import Feedback, ModelRun, Theme, ThemeEdit
from insights.services.bulk import columns_set

SEED = 7
# A theme's bar for newcomers: as close as all but its loosest 5 % of members.
ADMISSION_QUANTILE = 0.05
# Members further below the run's outlier floor than this leave their theme (a text edited into
# another topic); members of the first fit all clear the floor itself.
KEEP_MARGIN = 0.05
OUTLIER_DEVIATIONS = 5.0
OUTLIER_MAX_SHARE = 0.08
# A top-level theme holding more than this share of the themed feedback (and at least
# SPLIT_MIN_SIZE items) is a catch-all a PM cannot act on: it is split into sub-themes.
SPLIT_SHARE = 0.20
SPLIT_MIN_SIZE = 60
MAX_SUBTHEMES = 8
# A theme is relabelled only when its membership changed by more than this (Jaccard distance).
RELABEL_CHURN = 0.20


def _centroid(matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The unit mean of `rows` of `matrix`: a theme's centroid from its members."""
    return unit_rows(matrix[rows].mean(axis=0, keepdims=True))[0]


def _stored_centroid(theme: Theme, dimensions: int) -> np.ndarray | None:
    if not theme.centroid:
        return None
    vector = np.frombuffer(bytes(theme.centroid), dtype=np.float32)
    return vector if len(vector) == dimensions else None


def _final(theme: Theme, by_id: dict[int, Theme]) -> Theme:
    """Where a merged theme's feedback goes: the end of its merged-into chain."""
    seen = set()
    while theme.status == Theme.Status.MERGED and theme.merged_into_id and theme.pk not in seen:
        seen.add(theme.pk)
        theme = by_id[theme.merged_into_id]
    return theme


@dataclass
class _Anchors:
    own_ids: list[int]  # the theme each anchor stands for
    themes: list[Theme]  # the theme each anchor's catch goes to (a merged one's target)
    centroids: np.ndarray
    thresholds: np.ndarray
    keep_floors: np.ndarray
    floor: float
    # A new theme must be as coherent (mean pairwise similarity of its members) as the loosest
    # quarter of the existing themes: a new topic worded more variously than the median theme
    # is still one topic.
    coherence: float | None


def themes_fit(
    *,
    run: ModelRun,
    ids: Sequence[int],
    matrix: np.ndarray,
    texts: Sequence[str],
    clustering_texts: Sequence[str] | None = None,
) -> dict:
    """Theme the feedback `ids` (rows of `matrix`, their clustering vectors; `texts`, what the
    labels are drawn from; `clustering_texts`, what was embedded, whose wording the clustering
    also reads) and store the themes. Returns the run's theme metrics."""
    from insights.ml.anchoring import themes_anchor

    n = len(ids)
    if n == 0:
        return {"feedback": 0, "new_themes": 0, "themes": 0, "unthemed_share": 0.0}
    position = {pk: index for index, pk in enumerate(ids)}
    by_id = {theme.pk: theme for theme in Theme.objects.all()}
    current_theme = np.zeros(n, dtype=np.int64)  # a theme id, 0 for none
    pinned = np.zeros(n, dtype=bool)
    for pk, theme_id, is_pinned in (
        Feedback.objects.filter(pk__in=ids).values_list("pk", "theme_id", "theme_pinned")
    ).iterator(chunk_size=10_000):
        index = position[pk]
        if theme_id is not None:
            current_theme[index] = _final(by_id[theme_id], by_id).pk
        pinned[index] = is_pinned
    members_before = _members(current_theme)

    anchors = _anchors(by_id, matrix, members_before)
    anchor_of = {theme_id: index for index, theme_id in enumerate(anchors.own_ids)}
    current = np.array([anchor_of.get(int(theme_id), -1) for theme_id in current_theme])
    # Pinned feedback in a theme that is no anchor (a parent, say) keeps it: its row is left out.
    stranded = pinned & (current_theme > 0) & (current < 0)
    result = themes_anchor(
        matrix,
        current=current,
        pinned=pinned,
        centroids=anchors.centroids,
        thresholds=anchors.thresholds,
        keep_floors=anchors.keep_floors,
        match_similarity=settings.BACKLIGHT_THEME_MATCH_SIMILARITY,
        pool_similarity=anchors.coherence,
        texts=clustering_texts,
        seed=SEED,
        # The first fit keeps every theme the clustering found; later ones need a real topic.
        **({} if anchors.themes else {"min_new_theme": 1}),
    )

    with transaction.atomic():
        created = [
            Theme.objects.create(label=f"New theme {index + 1}")
            for index in range(result.new_themes)
        ]
        targets = [*anchors.themes, *created]
        theme_of = np.zeros(n, dtype=np.int64)
        labelled = result.labels >= 0
        theme_of[labelled] = [targets[label].pk for label in result.labels[labelled]]
        theme_of[stranded] = current_theme[stranded]
        by_id.update({theme.pk: theme for theme in created})
        splits = _split_oversized(theme_of, pinned, matrix, by_id, clustering_texts)
        members_after = _members(theme_of)
        _assignments_store(ids, theme_of, pinned, matrix, current_theme, members_after)
        _themes_refresh(
            run=run,
            by_id=by_id,
            members=members_after,
            members_before=members_before,
            matrix=matrix,
            texts=texts,
            ids=ids,
            floor=anchors.floor,
        )
    themed = int((theme_of > 0).sum())
    return {
        "feedback": n,
        "anchors": len(anchors.themes),
        "kept": result.kept,
        "released": result.released,
        "joined": result.joined,
        "discovered": result.discovered,
        "new_themes": result.new_themes,
        "split": splits,
        "themes": Theme.objects.filter(status=Theme.Status.ACTIVE, parent=None).count(),
        "unthemed_share": round(1 - themed / n, 4),
        "anchoring": result.parameters,
    }


def _members(theme_of: np.ndarray) -> dict[int, np.ndarray]:
    order = np.argsort(theme_of, kind="stable")
    values = theme_of[order]
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    return {
        int(values[start]): order[start:end]
        for start, end in zip(starts, ends, strict=True)
        if values[start] > 0
    }


def _anchors(
    by_id: dict[int, Theme], matrix: np.ndarray, members: dict[int, np.ndarray]
) -> _Anchors:
    """Every theme feedback can be assigned to, with its centroid (from its members now, else as
    stored), admission threshold and keep floor. Parents are no anchors: their children are."""
    from insights.ml.anchoring import (
        admission_threshold,
        mean_pairwise_similarity,
        robust_floor,
    )

    dimensions = matrix.shape[1]
    parents = {theme.parent_id for theme in by_id.values() if theme.parent_id}
    candidates = [
        theme
        for theme in by_id.values()
        if theme.pk not in parents
        and theme.status
        in (Theme.Status.ACTIVE, Theme.Status.DISMISSED, Theme.Status.RETIRED, Theme.Status.MERGED)
    ]
    centroid_of: dict[int, np.ndarray] = {}
    similarities: dict[int, np.ndarray] = {}
    for theme in candidates:
        rows = members.get(theme.pk)
        if rows is not None and len(rows):
            centroid = _centroid(matrix, rows)
            similarities[theme.pk] = matrix[rows] @ centroid
        else:
            centroid = _stored_centroid(theme, dimensions)
        if centroid is not None:
            centroid_of[theme.pk] = centroid
    everyone = np.concatenate(list(similarities.values())) if similarities else np.zeros(0)
    coherences = [
        mean_pairwise_similarity(matrix[rows])
        for theme_id, rows in members.items()
        if theme_id in centroid_of and len(rows) >= 2
    ]
    floor = robust_floor(everyone, deviations=OUTLIER_DEVIATIONS, max_share=OUTLIER_MAX_SHARE)
    own_ids, themes, centroids, thresholds, keep_floors = [], [], [], [], []
    for theme in sorted(candidates, key=lambda theme: theme.pk):
        if theme.pk not in centroid_of:
            continue
        own = similarities.get(theme.pk)
        if own is not None:
            threshold = admission_threshold(own, floor=floor, quantile=ADMISSION_QUANTILE)
        else:
            threshold = max(floor, theme.threshold if theme.threshold is not None else floor)
        own_ids.append(theme.pk)
        themes.append(_final(theme, by_id))
        centroids.append(centroid_of[theme.pk])
        thresholds.append(threshold)
        keep_floors.append(min(threshold, floor) - KEEP_MARGIN)
    return _Anchors(
        own_ids=own_ids,
        themes=themes,
        centroids=np.vstack(centroids) if centroids else np.zeros((0, dimensions), np.float32),
        thresholds=np.asarray(thresholds, dtype=np.float32),
        keep_floors=np.asarray(keep_floors, dtype=np.float32),
        floor=floor,
        coherence=float(np.quantile(coherences, 0.25)) if coherences else None,
    )


def _split_oversized(
    theme_of: np.ndarray,
    pinned: np.ndarray,
    matrix: np.ndarray,
    by_id: dict[int, Theme],
    clustering_texts: Sequence[str] | None = None,
) -> int:
    """Split every active top-level theme without children that holds more than SPLIT_SHARE of
    the themed feedback into sub-themes; its feedback moves into them (`theme_of` is updated).
    Returns how many themes were split."""
    themed = int((theme_of > 0).sum())
    if not themed:
        return 0
    parents = {theme.parent_id for theme in by_id.values() if theme.parent_id}
    # A person who merged into or split a theme shaped it on purpose: it is never split for them.
    shaped = set(
        ThemeEdit.objects.filter(
            action__in=[ThemeEdit.Action.MERGE, ThemeEdit.Action.SPLIT]
        ).values_list("theme_id", flat=True)
    )
    from insights.ml.clustering import subcluster

    splits = 0
    for theme_id, rows in _members(theme_of).items():
        theme = by_id[theme_id]
        if (
            theme.status != Theme.Status.ACTIVE
            or theme.parent_id
            or theme.pk in parents
            or theme.pk in shaped
            or len(rows) < SPLIT_MIN_SIZE
            or len(rows) <= SPLIT_SHARE * themed
        ):
            continue
        result = subcluster(
            matrix[rows],
            seed=SEED,
            max_k=MAX_SUBTHEMES,
            texts=None if clustering_texts is None else [clustering_texts[i] for i in rows],
        )
        if result.k < 2:
            continue
        children = [
            Theme.objects.create(label=f"{theme.label} ({index + 1})"[:120], parent=theme)
            for index in range(result.k)
        ]
        # Every member goes to a child: the unthemed of the split and pinned feedback to the
        # nearest child (pinned feedback stays pinned, now in the child).
        similarity = matrix[rows] @ unit_rows(result.centroids).T
        child = np.where(result.labels >= 0, result.labels, similarity.argmax(axis=1))
        theme_of[rows] = [children[index].pk for index in child]
        by_id.update({new.pk: new for new in children})
        splits += 1
    return splits


def _assignments_store(
    ids: Sequence[int],
    theme_of: np.ndarray,
    pinned: np.ndarray,
    matrix: np.ndarray,
    current_theme: np.ndarray,
    members: dict[int, np.ndarray],
) -> None:
    """Write each feedback's theme and its similarity to the theme's centroid (pinned feedback
    moved into a sub-theme is written too, and stays pinned)."""
    centroids = {theme_id: _centroid(matrix, rows) for theme_id, rows in members.items()}
    changed_pinned = pinned & (theme_of != current_theme)
    rows = []
    for index, pk in enumerate(ids):
        if pinned[index] and not changed_pinned[index]:
            continue
        theme_id = int(theme_of[index])
        if theme_id:
            similarity = float(matrix[index] @ centroids[theme_id])
            rows.append((pk, theme_id, similarity))
        else:
            rows.append((pk, None, None))
    columns_set(Feedback, ("theme", "theme_similarity"), rows)


def _themes_refresh(
    *,
    run: ModelRun,
    by_id: dict[int, Theme],
    members: dict[int, np.ndarray],
    members_before: dict[int, np.ndarray],
    matrix: np.ndarray,
    texts: Sequence[str],
    ids: Sequence[int],
    floor: float,
) -> None:
    """Centroids, thresholds, status and descriptions from the members each theme now has."""
    from insights.ml.anchoring import admission_threshold

    # A parent's members are its children's.
    family: dict[int, list[np.ndarray]] = defaultdict(list)
    for theme_id, rows in members.items():
        theme = by_id[theme_id]
        family[theme.parent_id or theme_id].append(rows)
    top_members = {theme_id: np.concatenate(parts) for theme_id, parts in family.items()}
    descriptions = _descriptions(by_id, members, top_members, matrix, texts)

    for theme in by_id.values():
        rows = top_members.get(theme.pk) if theme.pk in family else members.get(theme.pk)
        fields = ["status", "centroid", "threshold", "last_run", "updated_at"]
        if rows is not None and len(rows):
            centroid = _centroid(matrix, rows)
            theme.centroid = centroid.astype(np.float32).tobytes()
            theme.threshold = admission_threshold(
                matrix[rows] @ centroid, floor=floor, quantile=ADMISSION_QUANTILE
            )
            theme.last_run = run
            if theme.status == Theme.Status.RETIRED:
                theme.status = Theme.Status.ACTIVE
            description = descriptions.get(theme.pk)
            if description is not None and _relabel(theme, rows, members_before):
                if not theme.label_edited:
                    theme.label = description.label[:120]
                theme.summary = getattr(description, "summary", "") or ""
                theme.keywords = list(description.keywords)
                theme.quotes = [ids[index] for index in description.quotes]
                fields += ["label", "summary", "keywords", "quotes"]
        elif theme.status == Theme.Status.ACTIVE:
            theme.status = Theme.Status.RETIRED
            theme.impact = 0
            fields.append("impact")
        theme.save(update_fields=fields)
    _labels_deduplicate()


def _labels_deduplicate() -> None:
    """No two active themes share a label: a later theme whose machine label repeats an earlier
    one's gets its first distinguishing keyword added (a person's label is never changed)."""
    seen: dict[str, int] = {}
    for theme in Theme.objects.filter(status=Theme.Status.ACTIVE).order_by("-label_edited", "pk"):
        key = theme.label.casefold()
        if key not in seen:
            seen[key] = theme.pk
            continue
        if theme.label_edited:
            continue
        extra = next((word for word in theme.keywords if word.casefold() not in key), str(theme.pk))
        label = f"{theme.label} ({extra})"[:120]
        suffix = 2
        while label.casefold() in seen:
            label = f"{theme.label} ({extra} {suffix})"[:120]
            suffix += 1
        seen[label.casefold()] = theme.pk
        Theme.objects.filter(pk=theme.pk).update(label=label)


def _relabel(theme: Theme, rows: np.ndarray, members_before: dict[int, np.ndarray]) -> bool:
    """A theme is described anew when it is new, has no quotes yet, or its membership changed by
    more than RELABEL_CHURN since the run before."""
    before = members_before.get(theme.pk)
    if before is None or not theme.quotes or not theme.keywords:
        return True
    before_set, after_set = set(before.tolist()), set(rows.tolist())
    union = len(before_set | after_set)
    return union > 0 and 1 - len(before_set & after_set) / union > RELABEL_CHURN


def _descriptions(
    by_id: dict[int, Theme],
    members: dict[int, np.ndarray],
    top_members: dict[int, np.ndarray],
    matrix: np.ndarray,
    texts: Sequence[str],
) -> dict[int, object]:
    """Labels, keywords and quotes: top-level themes described against each other, sub-themes
    against their siblings. Keyed by theme id; quotes index `texts`."""
    from insights.ml.labels import describe_clusters

    result: dict[int, object] = {}
    # A person's label is taken: no machine label repeats it.
    taken = [theme.label for theme in by_id.values() if theme.label_edited]
    top_ids = sorted(top_members)
    if top_ids:
        result.update(_describe(top_ids, top_members, matrix, texts, describe_clusters, taken))
    siblings: dict[int, list[int]] = defaultdict(list)
    for theme_id in members:
        parent = by_id[theme_id].parent_id
        if parent:
            siblings[parent].append(theme_id)
    taken += [description.label for description in result.values()]
    for children in siblings.values():
        described = _describe(sorted(children), members, matrix, texts, describe_clusters, taken)
        taken += [description.label for description in described.values()]
        result.update(described)
    return result


def _describe(theme_ids, rows_of, matrix, texts, describe_clusters, taken) -> dict[int, object]:
    rows = np.concatenate([rows_of[theme_id] for theme_id in theme_ids])
    labels = np.concatenate(
        [np.full(len(rows_of[theme_id]), index) for index, theme_id in enumerate(theme_ids)]
    )
    centroids = np.vstack([_centroid(matrix, rows_of[theme_id]) for theme_id in theme_ids])
    descriptions = describe_clusters(
        [texts[row] for row in rows], labels, matrix[rows], centroids, existing_labels=taken
    )
    described = {}
    for index, description in descriptions.items():
        # Quotes come back as indices into the subset: map them to indices into `texts`.
        quotes = [int(rows[quote]) for quote in description.quotes]
        described[theme_ids[index]] = dataclasses.replace(description, quotes=quotes)
    return described


# --- on arrival ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ArrivalAnchors:
    version: tuple
    theme_ids: list[int]  # where each anchor's catch goes
    retired: frozenset[int]
    centroids: np.ndarray
    thresholds: np.ndarray


_arrival_cache: dict[str, _ArrivalAnchors] = {}


def _arrival_anchors() -> _ArrivalAnchors | None:
    """The stored anchors (as the last full run left them), read once per change of the themes
    table in this process: a worker theming feedback one by one does not re-read every centroid."""
    from django.db.models import Count, Max

    state = Theme.objects.aggregate(count=Count("pk"), changed=Max("updated_at"))
    version = (state["count"], state["changed"])
    cached = _arrival_cache.get("anchors")
    if cached is not None and cached.version == version:
        return cached
    by_id = {theme.pk: theme for theme in Theme.objects.all()}
    parents = {theme.parent_id for theme in by_id.values() if theme.parent_id}
    theme_ids, centroids, thresholds = [], [], []
    for theme in sorted(by_id.values(), key=lambda theme: theme.pk):
        if theme.pk in parents or theme.threshold is None or not theme.centroid:
            continue
        target = _final(theme, by_id)
        if target.status not in (
            Theme.Status.ACTIVE,
            Theme.Status.DISMISSED,
            Theme.Status.RETIRED,
        ):
            continue
        theme_ids.append(target.pk)
        centroids.append(np.frombuffer(bytes(theme.centroid), dtype=np.float32))
        thresholds.append(theme.threshold)
    if not theme_ids:
        return None
    anchors = _ArrivalAnchors(
        version=version,
        theme_ids=theme_ids,
        retired=frozenset(pk for pk in theme_ids if by_id[pk].status == Theme.Status.RETIRED),
        centroids=unit_rows(np.vstack(centroids)).astype(np.float32),
        thresholds=np.asarray(thresholds, dtype=np.float32),
    )
    _arrival_cache["anchors"] = anchors
    return anchors


def feedback_theme_on_arrival(*, ids: Sequence[int], matrix: np.ndarray) -> int:
    """Theme feedback that just arrived by its nearest anchor, when it is as close as that
    theme's members; a retired theme that gains feedback comes back. Pinned feedback is left
    alone. Returns how many were themed."""
    anchors = _arrival_anchors()
    if anchors is None or not len(ids):
        return 0
    pinned = set(
        Feedback.objects.filter(pk__in=ids, theme_pinned=True).values_list("pk", flat=True)
    )
    similarity = unit_rows(matrix) @ anchors.centroids.T
    nearest = similarity.argmax(axis=1)
    best = similarity[np.arange(len(ids)), nearest]
    rows, revived = [], set()
    for index, pk in enumerate(ids):
        if pk in pinned:
            continue
        if best[index] >= anchors.thresholds[nearest[index]]:
            theme_id = anchors.theme_ids[nearest[index]]
            rows.append((pk, theme_id, float(best[index])))
            if theme_id in anchors.retired:
                revived.add(theme_id)
        else:
            rows.append((pk, None, None))
    with transaction.atomic():
        columns_set(Feedback, ("theme", "theme_similarity"), rows)
        if revived:
            Theme.objects.filter(pk__in=revived, status=Theme.Status.RETIRED).update(
                status=Theme.Status.ACTIVE
            )
    return sum(1 for _, theme_id, _ in rows if theme_id is not None)
