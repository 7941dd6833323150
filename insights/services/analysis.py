"""The insights engine on the database: feedback in, redacted, scored, themed and ranked out.

A full analysis is one `ModelRun` (kind THEMES) with five steps, each timed and committed in
batches, so a run stopped anywhere leaves the database consistent and the next run picks up what
is left (every step works from versions and hashes, not from "what the last run did"):

1. text — normalise, detect the language and redact PII (`insights.ml.text`) where the text rules'
   version differs from the one stored with the feedback;
2. vectors — embed the redacted text (`insights.ml.embeddings`) where no vector is stored, or the
   text or the model changed since;
3. sentiment — train on the organisation's rated comments (NPS/CSAT give the polarity) or fall
   back to the built-in lexicon, then score every feedback (`insights.ml.sentiment`);
4. themes — cluster the vectors (`insights.ml.clustering`) and match the clusters to the existing
   themes by centroid, so ids, names and backlog links persist; a person's edits win: a renamed
   theme keeps its label, a merged one sends its clusters to the theme it was merged into, a
   dismissed one stays dismissed, and moved (pinned) feedback stays where it was put;
5. ranking — the impact score of every theme with its parts (`insights.ml.ranking`).

`feedback_analyze_new` is the fast path for feedback that arrives between full runs: it runs
steps 1–3 on those rows with the last trained sentiment model and themes each by its nearest theme
above that theme's threshold.
"""

import hashlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from insights.models import (
    Feedback,
    FeedbackVector,
    ModelRun,
    RunStatus,
    Theme,
)
from insights.services.bulk import columns_set
from insights.services.runs import run_claim
from insights.services.theme_ranking import themes_rank

logger = logging.getLogger(__name__)

SEED = 7


@dataclass(frozen=True)
class AnalysisSummary:
    run_id: int
    status: str
    feedback: int
    themes: int
    unthemed_share: float
    seconds: float


# --- starting runs ------------------------------------------------------------------------------


@transaction.atomic
def analysis_run_request(*, user=None, reason: str = "manual") -> ModelRun:
    """Queue a full analysis on the `nlp` queue, unless one is waiting or running already (that
    one is returned: a second run would only redo its work)."""
    active = (
        ModelRun.objects.select_for_update()
        .filter(kind=ModelRun.Kind.THEMES, status__in=[RunStatus.PENDING, RunStatus.RUNNING])
        .order_by("created_at")
        .first()
    )
    if active is not None:
        return active
    run = ModelRun.objects.create(
        kind=ModelRun.Kind.THEMES, parameters={"reason": reason}, triggered_by=user
    )

    from insights.tasks import analysis_run_process as task

    transaction.on_commit(lambda: task.delay(run_id=run.pk))
    return run


def analysis_run_process(*, run_id: int) -> ModelRun | None:
    """Run a requested analysis to its end; None when it was not ours to run."""
    if not run_claim(model=ModelRun, run_id=run_id):
        return None
    run = ModelRun.objects.get(pk=run_id)
    try:
        _analyze(run)
    except Exception as error:
        logger.exception("Analysis run %s failed", run_id)
        ModelRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            error=f"The analysis stopped on an unexpected error ({error.__class__.__name__}).",
            finished_at=timezone.now(),
        )
        raise
    return ModelRun.objects.get(pk=run_id)


def analysis_run_now(*, user=None, reason: str = "command line") -> AnalysisSummary:
    """The whole pipeline, synchronously, in this process (`manage.py analyze_feedback`)."""
    run = ModelRun.objects.create(
        kind=ModelRun.Kind.THEMES, parameters={"reason": reason}, triggered_by=user
    )
    started = time.perf_counter()
    finished = analysis_run_process(run_id=run.pk)
    return AnalysisSummary(
        run_id=run.pk,
        status=finished.status if finished else run.status,
        feedback=finished.data_size if finished else 0,
        themes=Theme.objects.filter(status=Theme.Status.ACTIVE, impact__gt=0).count(),
        unthemed_share=(finished.metrics.get("unthemed_share", 0.0) if finished else 0.0),
        seconds=round(time.perf_counter() - started, 2),
    )


# --- the full run -------------------------------------------------------------------------------


class _Progress:
    """Timings per step and a progress figure the page shows (each step an equal share)."""

    STEPS = ("text", "vectors", "sentiment", "themes", "ranking")

    def __init__(self, run: ModelRun) -> None:
        self.run = run
        self.timings: dict[str, float] = {}

    def step(self, name: str, work: Callable[[], None]) -> None:
        started = time.perf_counter()
        work()
        self.timings[name] = round(time.perf_counter() - started, 2)
        done = self.STEPS.index(name) + 1
        ModelRun.objects.filter(pk=self.run.pk).update(
            progress=done / len(self.STEPS), timings=self.timings
        )


def _analyze(run: ModelRun) -> None:
    from insights.ml import embeddings, text

    progress = _Progress(run)
    outcome: dict = {}
    progress.step("text", lambda: feedback_text_analyze(queryset=_with_text()))
    progress.step("vectors", lambda: feedback_vectors_update(queryset=_with_text()))
    progress.step("sentiment", lambda: outcome.update(sentiment=_sentiment_step(run)))
    progress.step("themes", lambda: outcome.update(themes=_themes_step(run)))
    progress.step("ranking", lambda: themes_rank())
    themes = outcome["themes"]
    ModelRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.SUCCEEDED,
        finished_at=timezone.now(),
        data_size=themes["feedback"],
        metrics={**themes, **outcome["sentiment"]},
        parameters={
            **run.parameters,
            "text_version": text.REDACTION_VERSION,
            "embedding_version": embeddings.embedding_version(),
            "seed": SEED,
        },
    )


def _with_text():
    return Feedback.objects.exclude(text="")


def _batches(ids: Sequence[int]) -> Iterable[list[int]]:
    size = settings.BACKLIGHT_ANALYSIS_BATCH
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


# --- step 1: text -------------------------------------------------------------------------------


def feedback_text_analyze(*, queryset) -> int:
    """Normalise, detect the language of and redact the feedback whose redaction is not current.
    Returns how many were analysed."""
    from insights.ml import text

    version = text.REDACTION_VERSION
    ids = list(queryset.exclude(text_version=version).order_by("pk").values_list("pk", flat=True))
    for batch in _batches(ids):
        rows = list(Feedback.objects.filter(pk__in=batch).values_list("pk", "text", "source"))
        cleaned = [text.text_normalize(body, source=source) for _, body, source in rows]
        redacted = text.redact_many(cleaned)
        values = [
            (pk, result.text, text.language_detect(clean), version)
            for (pk, _, _), clean, result in zip(rows, cleaned, redacted, strict=True)
        ]
        columns_set(
            Feedback,
            ("redacted_text", "language", "text_version"),
            values,
        )
    return len(ids)


# --- step 2: vectors ----------------------------------------------------------------------------


def _text_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def feedback_vectors_update(*, queryset) -> int:
    """Embed the redacted text of the feedback whose stored vector is missing or stale (its text
    or the model changed). Returns how many were embedded."""
    from insights.ml import embeddings

    version = embeddings.embedding_version()
    stale = []
    rows = (
        queryset.exclude(redacted_text="")
        .order_by("pk")
        .values_list("pk", "redacted_text", "vector__text_hash", "vector__model_version")
    )
    for pk, body, stored_hash, stored_version in rows.iterator(chunk_size=5_000):
        digest = _text_hash(body)
        if stored_hash != digest or stored_version != version:
            stale.append((pk, body, digest))
    for start in range(0, len(stale), settings.BACKLIGHT_ANALYSIS_BATCH):
        batch = stale[start : start + settings.BACKLIGHT_ANALYSIS_BATCH]
        vectors = embeddings.embed([body for _, body, _ in batch])
        FeedbackVector.objects.bulk_create(
            [
                FeedbackVector(
                    feedback_id=pk,
                    vector=vector.astype(np.float32).tobytes(),
                    text_hash=digest,
                    model_version=version,
                )
                for (pk, _, digest), vector in zip(batch, vectors, strict=True)
            ],
            update_conflicts=True,
            unique_fields=["feedback"],
            update_fields=["vector", "text_hash", "model_version", "updated_at"],
        )
    return len(stale)


def _vectors(queryset) -> tuple[list[int], np.ndarray]:
    """The stored vectors of the queryset's feedback, as ids and one float32 matrix."""
    from insights.ml import embeddings

    ids: list[int] = []
    chunks: list[bytes] = []
    rows = (
        FeedbackVector.objects.filter(
            feedback__in=queryset, model_version=embeddings.embedding_version()
        )
        .order_by("feedback_id")
        .values_list("feedback_id", "vector")
    )
    for pk, raw in rows.iterator(chunk_size=5_000):
        ids.append(pk)
        chunks.append(bytes(raw))
    if not ids:
        return [], np.zeros((0, embeddings.DIMENSIONS), dtype=np.float32)
    matrix = np.frombuffer(b"".join(chunks), dtype=np.float32).reshape(len(ids), -1)
    return ids, matrix


# --- step 3: sentiment --------------------------------------------------------------------------


def _sentiment_step(run: ModelRun) -> dict:
    from insights.ml.sentiment import SentimentModel, polarity_from_scores

    ids, matrix = _vectors(_with_text())
    position = {pk: index for index, pk in enumerate(ids)}
    rows = list(
        Feedback.objects.filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "redacted_text", "nps", "csat", "ces")
    )
    training = [
        (body, label, position[pk])
        for pk, body, nps, csat, ces in rows
        if (label := polarity_from_scores(nps=nps, csat=csat, ces=ces)) is not None
    ]
    try:
        model = SentimentModel.fit(
            [body for body, _, _ in training],
            [label for _, label, _ in training],
            vectors=matrix[[index for _, _, index in training]],
            seed=SEED,
        )
    except ValueError:  # too few rated comments, or only one polarity among them
        model = SentimentModel.fallback()
    ModelRun.objects.filter(pk=run.pk).update(artifact=model.dumps())
    feedback_sentiment_score(
        rows=[(pk, body) for pk, body, *_ in rows],
        model=model,
        vectors=(
            position,
            matrix,
        ),
    )
    return {"sentiment_model": model.version, "sentiment_trained_on": model.trained_on}


def feedback_sentiment_score(*, rows, model, vectors) -> None:
    """Score (pk, redacted text) rows with `model`; `vectors` is (position by pk, matrix)."""
    position, matrix = vectors
    for start in range(0, len(rows), settings.BACKLIGHT_ANALYSIS_BATCH):
        batch = rows[start : start + settings.BACKLIGHT_ANALYSIS_BATCH]
        prediction = model.predict(
            [body for _, body in batch], vectors=matrix[[position[pk] for pk, _ in batch]]
        )
        columns_set(
            Feedback,
            ("sentiment", "sentiment_label", "sentiment_version"),
            [
                (pk, float(score), label, model.version)
                for (pk, _), score, label in zip(
                    batch, prediction.scores, prediction.labels, strict=True
                )
            ],
        )


def sentiment_model_latest():
    """The sentiment model of the last successful run, or the fallback before there is one."""
    from insights.ml.sentiment import SentimentModel

    artifact = (
        ModelRun.objects.filter(
            kind=ModelRun.Kind.THEMES, status=RunStatus.SUCCEEDED, artifact__isnull=False
        )
        .order_by("-finished_at")
        .values_list("artifact", flat=True)
        .first()
    )
    return SentimentModel.loads(bytes(artifact)) if artifact else SentimentModel.fallback()


# --- step 4: themes -----------------------------------------------------------------------------


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def _centroid(theme: Theme) -> np.ndarray | None:
    return np.frombuffer(bytes(theme.centroid), dtype=np.float32) if theme.centroid else None


def _final(theme: Theme, by_id: dict[int, Theme]) -> Theme:
    """Where a merged theme's feedback goes: the end of its merged-into chain."""
    seen = set()
    while theme.status == Theme.Status.MERGED and theme.merged_into_id and theme.pk not in seen:
        seen.add(theme.pk)
        theme = by_id.get(theme.merged_into_id) or Theme.objects.get(pk=theme.merged_into_id)
    return theme


def _themes_step(run: ModelRun) -> dict:
    from insights.ml.clustering import cluster_vectors, match_clusters
    from insights.ml.labels import describe_clusters

    ids, matrix = _vectors(_with_text())
    if not ids:
        return {"feedback": 0, "clusters": 0, "unthemed_share": 0.0, "silhouette": 0.0}
    result = cluster_vectors(matrix, seed=SEED)
    pinned = dict(
        Feedback.objects.filter(pk__in=ids, theme_pinned=True).values_list("pk", "theme_id")
    )
    existing = [
        theme for theme in Theme.objects.exclude(centroid=None) if _centroid(theme) is not None
    ]
    by_id = {theme.pk: theme for theme in Theme.objects.all()}
    matched: dict[int, int] = {}
    if existing and result.k:
        previous = _unit(np.vstack([_centroid(theme) for theme in existing]))
        matched = match_clusters(
            previous, result.centroids, min_similarity=settings.BACKLIGHT_THEME_MATCH_SIMILARITY
        )
    texts = list(
        Feedback.objects.filter(pk__in=ids).order_by("pk").values_list("redacted_text", flat=True)
    )
    descriptions = describe_clusters(texts, result.labels, matrix, result.centroids)

    # Each cluster's theme: the one it matched (through any merge), else a new one.
    cluster_theme: dict[int, Theme] = {}
    with transaction.atomic():
        for cluster in range(result.k):
            if cluster in matched:
                theme = _final(existing[matched[cluster]], by_id)
            else:
                description = descriptions.get(cluster)
                theme = Theme.objects.create(
                    label=(description.label if description else f"Theme {cluster + 1}")[:120]
                )
                by_id[theme.pk] = theme
            cluster_theme[cluster] = theme

        similarities = np.einsum("ij,ij->i", matrix, result.centroids[np.maximum(result.labels, 0)])
        assignments = []
        for index, pk in enumerate(ids):
            if pk in pinned:
                continue
            cluster = int(result.labels[index])
            theme = cluster_theme.get(cluster) if cluster >= 0 else None
            similarity = float(similarities[index]) if theme is not None else None
            assignments.append((pk, theme.pk if theme else None, similarity))
        columns_set(Feedback, ("theme", "theme_similarity"), assignments)

        # Centroids, thresholds and descriptions from the members each theme now has.
        members: dict[int, list[int]] = defaultdict(list)
        theme_of = {pk: theme_id for pk, theme_id, _ in assignments}
        theme_of.update(pinned)
        for index, pk in enumerate(ids):
            if theme_of.get(pk) is not None:
                members[theme_of[pk]].append(index)
        # Every theme with members gets its centroid and threshold from them, also one that no
        # cluster matched but people filled by hand (a split, moved feedback); the clusters'
        # themes also get their descriptions (a renamed theme keeps its label).
        described = {theme.pk: cluster for cluster, theme in cluster_theme.items()}
        for theme_id, rows in members.items():
            theme = by_id.get(theme_id) or Theme.objects.get(pk=theme_id)
            centroid = _unit(matrix[rows].mean(axis=0, keepdims=True))[0]
            # Each theme's own bar for newcomers: as close as all but its loosest 5 % of members
            # (never below the fit's global threshold).
            member_similarity = matrix[rows] @ centroid
            threshold = max(float(result.threshold), float(np.quantile(member_similarity, 0.05)))
            description = descriptions.get(described[theme_id]) if theme_id in described else None
            if description is not None and not theme.label_edited:
                theme.label = description.label[:120]
            if description is not None:
                theme.keywords = list(description.keywords)
                theme.quotes = [ids[index] for index in description.quotes]
            theme.centroid = centroid.astype(np.float32).tobytes()
            theme.threshold = threshold
            theme.last_run = run
            theme.save(
                update_fields=[
                    "label",
                    "keywords",
                    "quotes",
                    "centroid",
                    "threshold",
                    "last_run",
                    "updated_at",
                ]
            )
    unthemed = sum(1 for pk in ids if theme_of.get(pk) is None)
    return {
        "feedback": len(ids),
        "clusters": result.k,
        "themes": len({theme.pk for theme in cluster_theme.values()}),
        "matched_existing": len(matched),
        "unthemed_share": round(unthemed / len(ids), 4),
        "silhouette": round(float(result.silhouette), 4),
        "clustering": result.parameters,
    }


# --- the fast path for new feedback -------------------------------------------------------------


def feedback_analyze_new(*, feedback_ids: Sequence[int]) -> int:
    """Redact, embed and score new feedback and theme it by its nearest theme (above that
    theme's threshold), between full runs. Pinned feedback keeps its theme. Returns how many
    were themed."""
    from insights.ml.clustering import assign_to_centroids

    queryset = _with_text().filter(pk__in=feedback_ids)
    feedback_text_analyze(queryset=queryset)
    feedback_vectors_update(queryset=queryset)
    ids, matrix = _vectors(queryset)
    if not ids:
        return 0
    position = {pk: index for index, pk in enumerate(ids)}
    rows = list(
        Feedback.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "redacted_text")
    )
    feedback_sentiment_score(rows=rows, model=sentiment_model_latest(), vectors=(position, matrix))
    themes = [
        theme
        for theme in Theme.objects.filter(status=Theme.Status.ACTIVE).exclude(centroid=None)
        if theme.threshold is not None
    ]
    if not themes:
        return 0
    centroids = _unit(np.vstack([_centroid(theme) for theme in themes]))
    labels, similarities = assign_to_centroids(matrix, centroids, threshold=-1.0)
    pinned = set(
        Feedback.objects.filter(pk__in=ids, theme_pinned=True).values_list("pk", flat=True)
    )
    assignments = []
    for index, pk in enumerate(ids):
        if pk in pinned:
            continue
        theme = themes[int(labels[index])]
        similarity = float(similarities[index])
        if similarity >= theme.threshold:
            assignments.append((pk, theme.pk, similarity))
        else:
            assignments.append((pk, None, similarity))
    columns_set(Feedback, ("theme", "theme_similarity"), assignments)
    return sum(1 for _, theme_id, _ in assignments if theme_id is not None)


def feedback_analyze_soon(*, content_hashes: Sequence[str]) -> int:
    """Queue `feedback_analyze_new` (on `nlp`, after the commit) for the stored feedback with
    these content hashes that was never analysed: what the API just took in. Returns how many."""
    ids = list(
        _with_text()
        .filter(content_hash__in=list(content_hashes), text_version="")
        .values_list("pk", flat=True)
    )
    if ids:
        from insights.tasks import feedback_analyze_new as task

        transaction.on_commit(lambda: task.delay(feedback_ids=ids))
    return len(ids)
