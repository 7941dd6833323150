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
4. themes — the existing themes are the anchors of the clustering
   (`insights.services.theme_clustering`): feedback keeps its theme, feedback without one joins
   the nearest theme it fits, and only what fits none is clustered for new topics; so ids, labels
   and backlog links persist and every person's edit holds. Oversized themes are split into
   sub-themes, empty ones retired;
5. ranking — the impact score of every theme with its parts (`insights.ml.ranking`).

`feedback_analyze_new` is the fast path for feedback that arrives between full runs (an import,
the API, a touchpoint): it runs steps 1–3 on those rows with the last trained sentiment model and
themes each by its nearest theme, as a full run would; when enough of it fits no theme, a full run
is requested to find the new topic. Full runs happen nightly and on such drift.
"""

import hashlib
import logging
import time
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
    from insights.ml import clustering_text, embeddings, text

    progress = _Progress(run)
    outcome: dict = {}
    progress.step("text", lambda: feedback_text_analyze(queryset=_with_text()))
    names: set[str] = set()

    def vectors() -> None:
        names.update(clustering_names_find())
        # Stored before the step's work, so a run that stops halfway leaves the names its
        # vectors were made with on record.
        ModelRun.objects.filter(pk=run.pk).update(
            parameters={**run.parameters, "clustering_names": sorted(names)}
        )
        feedback_vectors_update(queryset=_with_text(), names=frozenset(names))

    progress.step("vectors", vectors)
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
            "masking_version": clustering_text.MASKING_VERSION,
            "clustering_names": sorted(names),
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


def clustering_names_find() -> frozenset[str]:
    """The corpus's own names (companies, products, brands addressed whatever the topic) that
    are masked in the text themes are clustered on (`insights.ml.clustering_text`)."""
    from insights.ml.clustering_text import corpus_names

    texts = list(
        _with_text()
        .exclude(redacted_text="")
        .order_by("pk")
        .values_list("redacted_text", flat=True)
        .iterator(chunk_size=10_000)
    )
    return corpus_names(texts)


_names_cache: dict[tuple, frozenset[str]] = {}


def clustering_names_latest() -> frozenset[str]:
    """The names the last finished run masked: new feedback between runs is embedded in the
    same space as the themes' members."""
    latest = (
        ModelRun.objects.filter(kind=ModelRun.Kind.THEMES, status=RunStatus.SUCCEEDED)
        .order_by("-finished_at")
        .values_list("pk", "finished_at")
        .first()
    )
    if latest is None:
        return frozenset()
    if latest not in _names_cache:
        parameters = ModelRun.objects.values_list("parameters", flat=True).get(pk=latest[0])
        _names_cache.clear()
        _names_cache[latest] = frozenset(parameters.get("clustering_names", ()))
    return _names_cache[latest]


def feedback_vectors_update(*, queryset, names: frozenset[str] | None = None) -> int:
    """Embed the clustering text (`insights.ml.clustering_text`: the redacted text without
    greetings, sign-offs, handles and the corpus `names` — by default the last run's) of the
    feedback whose stored vector is missing or stale (that text, the masking rules or the model
    changed). Returns how many were embedded."""
    from insights.ml import embeddings
    from insights.ml.clustering_text import MASKING_VERSION, text_for_clustering

    names = clustering_names_latest() if names is None else names
    version = embeddings.embedding_version()
    stale = []
    rows = (
        queryset.exclude(redacted_text="")
        .order_by("pk")
        .values_list("pk", "redacted_text", "vector__text_hash", "vector__model_version")
    )
    for pk, redacted, stored_hash, stored_version in rows.iterator(chunk_size=5_000):
        body = text_for_clustering(redacted, names=names)
        digest = _text_hash(f"{MASKING_VERSION}\n{body}")
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
        .values_list("pk", "redacted_text", "nps", "csat", "ces", "source")
    )
    # A support ticket's rating is of how support handled it, not of what the text says: it
    # teaches the model nothing about the text's polarity (polarity_from_scores says None).
    training = [
        (body, label, position[pk])
        for pk, body, nps, csat, ces, source in rows
        if (label := polarity_from_scores(nps=nps, csat=csat, ces=ces, source=source)) is not None
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


_sentiment_models: dict[tuple, object] = {}


def sentiment_model_latest():
    """The sentiment model of the last successful run, or the fallback before there is one. Kept
    per process by run: a worker scoring feedback one at a time unpickles it once per run."""
    from insights.ml.sentiment import SentimentModel

    latest = (
        ModelRun.objects.filter(
            kind=ModelRun.Kind.THEMES, status=RunStatus.SUCCEEDED, artifact__isnull=False
        )
        .order_by("-finished_at")
        .values_list("pk", "finished_at")
        .first()
    )
    if latest is None:
        return SentimentModel.fallback()
    if latest not in _sentiment_models:
        artifact = ModelRun.objects.values_list("artifact", flat=True).get(pk=latest[0])
        _sentiment_models.clear()
        _sentiment_models[latest] = SentimentModel.loads(bytes(artifact))
    return _sentiment_models[latest]


# --- step 4: themes -----------------------------------------------------------------------------


def _themes_step(run: ModelRun) -> dict:
    from insights.services.theme_clustering import themes_fit

    ids, matrix = _vectors(_with_text())
    text_of = dict(
        Feedback.objects.filter(pk__in=ids)
        .values_list("pk", "redacted_text")
        .iterator(chunk_size=10_000)
    )
    from insights.ml.clustering_text import text_for_clustering

    names = frozenset(
        ModelRun.objects.values_list("parameters", flat=True)
        .get(pk=run.pk)
        .get("clustering_names", ())
    )
    texts = [text_of[pk] for pk in ids]
    return themes_fit(
        run=run,
        ids=ids,
        matrix=matrix,
        texts=texts,
        clustering_texts=[text_for_clustering(text, names=names) for text in texts],
    )


# --- the fast path for new feedback -------------------------------------------------------------


def feedback_analyze_new(*, feedback_ids: Sequence[int]) -> int:
    """Redact, embed and score new feedback and theme it on arrival, between full runs: each
    joins its nearest theme when it is as close as that theme's members (the full run's rule,
    `insights.services.theme_clustering`); pinned feedback keeps its theme. When enough arrived
    feedback fits no theme — a new topic gathering — a full run is requested to find it.
    Returns how many were themed."""
    from insights.services.theme_clustering import feedback_theme_on_arrival

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
    themed = feedback_theme_on_arrival(ids=ids, matrix=matrix)
    if themed < len(ids) and settings.BACKLIGHT_ANALYZE_ON_ARRIVAL:
        _drift_check()
    return themed


def _drift_check() -> ModelRun | None:
    """Request a full run when the feedback that fit no theme since the last run started has
    reached BACKLIGHT_THEME_DRIFT_POOL: enough of something new to be a theme."""
    last = (
        ModelRun.objects.filter(kind=ModelRun.Kind.THEMES, status=RunStatus.SUCCEEDED)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    unthemed = _with_text().filter(theme=None, theme_pinned=False).exclude(text_version="")
    if last is not None:
        unthemed = unthemed.filter(created_at__gte=last)
    pool = unthemed.count()
    if pool < settings.BACKLIGHT_THEME_DRIFT_POOL:
        return None
    return analysis_run_request(reason=f"drift: {pool} new feedback fit no theme")


def feedback_analyze_import(*, job_id: int) -> int:
    """Queue `feedback_analyze_new` for an import's feedback that was never analysed, in batches
    on `nlp`: new feedback is themed incrementally, never by re-analysing everything. Returns how
    many were queued."""
    from insights.tasks import feedback_analyze_new as task

    ids = list(
        _with_text()
        .filter(import_job_id=job_id, text_version="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for batch in _batches(ids):
        transaction.on_commit(lambda batch=batch: task.delay(feedback_ids=batch))
    return len(ids)


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
