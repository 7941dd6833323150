"""Imports: from an uploaded export to stored feedback and usage — nothing lost, nothing twice.

1. `import_job_create` stores the upload, recognises the export and proposes a mapping (or takes a
   saved preset for files with the same columns). A file that cannot be read at all is refused
   here with one clear sentence, and nothing is kept.
2. `import_job_confirm` saves the mapping (and optionally a preset) and queues the job on `ingest`.
3. `import_job_process` (the task's one call) claims the job, reads the whole file once to find
   problems that would make it unimportable (then the job fails and nothing of it is stored), and
   then stores it chunk by chunk. Each chunk commits together with the job's checkpoint and
   counters, so a job stopped anywhere — a killed worker, a lost connection — resumes after its
   last committed chunk and ends with the same result, no row stored twice, none skipped.
   Feedback and usage are stored here; touchpoints by the store `touchpoints` registers
   (`insights.services.import_sinks`), in the same chunk transaction.
4. `import_jobs_resume` (beat, every minute) puts jobs whose worker went silent back in the queue,
   and re-sends jobs whose message was lost with a broker restart.
"""

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from insights.formats import DetectedFormat, FormatError, RowNormalizer, detect_format
from insights.formats import mapping_errors as format_mapping_errors
from insights.models import ImportJob, ImportPreset, ImportRowError, RunStatus
from insights.prefetch import prefetched
from insights.records import FeedbackRecord, RowRejection, UsageRecord
from insights.services.feedback import (
    FeedbackBatch,
    feedback_batch_prepare,
    feedback_batch_store,
)
from insights.services.import_sinks import ImportSink, import_sink_for
from insights.services.matching import CustomerMatcher
from insights.services.usage import usage_records_upsert
from insights.tabular import (
    TableInfo,
    TabularError,
    TabularLimits,
    iter_rows,
    read_head,
    sniff_table,
    spool_records,
    spooled,
)
from insights.tasking import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 10
MAX_ATTEMPTS = 5
ERRORS_SHOWN = 1_000
# Kinds whose records the engine stores itself; any other kind needs a registered sink.
_FEEDBACK_KINDS = frozenset({ImportJob.Kind.SURVEY, ImportJob.Kind.SUPPORT_TICKETS})
_OWN_KINDS = _FEEDBACK_KINDS | {ImportJob.Kind.USAGE}


class ImportFileError(Exception):
    """The file cannot be imported at all. str() is one sentence for the person who sent it."""


class ImportLost(Exception):
    """Another worker (or the resumer) took the job over; this one stops without writing."""


@dataclass(frozen=True)
class ImportPreview:
    job: ImportJob
    fmt: DetectedFormat
    rows: list[list[str]]  # the first data rows, for the preview table


@dataclass(frozen=True)
class ImportSummary:
    format: str
    created: int
    duplicates: int
    rejected: int
    unmatched: int
    errors: list[dict]

    def as_dict(self) -> dict:
        return {
            "format": self.format,
            "created": self.created,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "unmatched": self.unmatched,
            "errors": self.errors,
        }


# --- reading ----------------------------------------------------------------------------------


def _detect(
    path: Path, *, limits: TabularLimits, format_override: str = ""
) -> tuple[TableInfo, DetectedFormat]:
    try:
        info = sniff_table(path, limits=limits)
        head = read_head(path, info, limits=limits)
        if not head:
            raise ImportFileError("The file has no rows.")
        fmt = detect_format(head, override=format_override or None)
    except (TabularError, FormatError) as error:
        raise ImportFileError(str(error)) from error
    return info, fmt


def _data_rows(
    records: Iterator[tuple[int, list[str]]], fmt: DetectedFormat
) -> Iterator[tuple[int, list[str]]]:
    for index, row in enumerate(records):
        if index >= fmt.header_rows:
            yield row


def import_file_check(
    path: Path, *, format_override: str = "", spool: Path | None = None
) -> tuple[DetectedFormat, int]:
    """Read the whole file once: its format and its number of data rows, or ImportFileError for
    anything that makes it unimportable (a truncated end, undecodable bytes, a cell or a row too
    large…). Stores nothing; with `spool`, keeps the records read there for the store pass."""
    limits = TabularLimits.from_settings()
    info, fmt = _detect(path, limits=limits, format_override=format_override)
    records = iter_rows(path, info, limits=limits)
    if spool is not None:
        records = spooled(records, spool)
    try:
        total = sum(1 for _ in _data_rows(records, fmt))
    except TabularError as error:
        raise ImportFileError(str(error)) from error
    return fmt, total


def _spool_path(job: ImportJob) -> Path:
    """Where a workbook's records wait, as CSV, between the check pass and the store pass."""
    return Path(f"{job.file.path}.rows.csv")


def _sha256(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(1024 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def import_preset_for(fmt: DetectedFormat) -> ImportPreset | None:
    return ImportPreset.objects.filter(signature=fmt.signature).order_by("-updated_at").first()


# --- create, preview, confirm -------------------------------------------------------------------


@transaction.atomic
def import_job_create(
    *, file, original_name: str, created_by=None, format_override: str = ""
) -> ImportJob:
    """Keep the upload and recognise it. Raises ImportFileError (and keeps nothing) when the file
    cannot be read as an export at all."""
    limits = TabularLimits.from_settings()
    size = getattr(file, "size", None)
    if size is not None and size > limits.max_bytes:
        raise ImportFileError(
            f"The file is {_megabytes(size)}; the limit is {_megabytes(limits.max_bytes)}."
        )
    job = ImportJob(
        original_name=Path(original_name).name[:255],
        created_by=created_by,
        format_override=format_override,
        file_sha256=_sha256(file),
    )
    job.file.save(Path(original_name).name or "upload.csv", File(file), save=False)
    try:
        info, fmt = _detect(Path(job.file.path), limits=limits, format_override=format_override)
    except ImportFileError:
        job.file.delete(save=False)
        raise
    preset = import_preset_for(fmt)
    job.file_size = info.size
    job.encoding = info.encoding or ""
    job.kind = fmt.kind
    job.detected_format = fmt.name
    job.header_rows = fmt.header_rows
    job.preset = preset
    job.mapping = _complete_mapping(fmt, preset.mapping if preset else fmt.proposed)
    job.save()
    return job


def _megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 104_858 else f"{size:,} bytes"


def _complete_mapping(fmt: DetectedFormat, mapping: dict[str, str]) -> dict[str, str]:
    """A role for every column of this file: the given one where there is one, else the proposal."""
    return {column.key: mapping.get(column.key, fmt.proposed[column.key]) for column in fmt.columns}


def import_job_format(job: ImportJob) -> DetectedFormat:
    limits = TabularLimits.from_settings()
    _, fmt = _detect(Path(job.file.path), limits=limits, format_override=job.detected_format)
    return fmt


def import_job_preview(*, job: ImportJob) -> ImportPreview:
    limits = TabularLimits.from_settings()
    path = Path(job.file.path)
    info, fmt = _detect(path, limits=limits, format_override=job.detected_format)
    head = read_head(path, info, limits=limits, rows=fmt.header_rows + PREVIEW_ROWS)
    return ImportPreview(job=job, fmt=fmt, rows=[cells for _, cells in head[fmt.header_rows :]])


@transaction.atomic
def import_job_confirm(
    *,
    job: ImportJob,
    mapping: dict[str, str],
    preset_name: str = "",
    user=None,
    enqueue: bool = True,
) -> ImportJob:
    """Accept the mapping and queue the job. Raises ValidationError with sentences for people
    when the mapping cannot work (e.g. no column holds a score or a comment)."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.confirmed_at is not None:
        raise ValidationError("This import was already started.")
    fmt = import_job_format(job)
    mapping = _complete_mapping(fmt, mapping)
    errors = format_mapping_errors(fmt, mapping)
    if errors:
        raise ValidationError(errors)
    if preset_name:
        job.preset, _ = ImportPreset.objects.update_or_create(
            name=preset_name.strip()[:100],
            defaults={
                "kind": fmt.kind,
                "format_name": fmt.name,
                "signature": fmt.signature,
                "mapping": mapping,
                "created_by": user,
            },
        )
    now = timezone.now()
    job.mapping = mapping
    job.confirmed_at = now
    job.enqueued_at = now
    job.save(update_fields=["mapping", "confirmed_at", "enqueued_at", "preset", "updated_at"])
    if enqueue:
        _enqueue(job.pk)
    return job


def _enqueue(job_id: int) -> None:
    from insights.tasks import import_job_process as task

    transaction.on_commit(lambda: task.delay(job_id=job_id))


# --- processing ---------------------------------------------------------------------------------


def _claim(job_id: int) -> bool:
    now = timezone.now()
    return (
        ImportJob.objects.filter(
            pk=job_id, status=RunStatus.PENDING, confirmed_at__isnull=False
        ).update(status=RunStatus.RUNNING, heartbeat_at=now, attempts=F("attempts") + 1)
        == 1
    )


def _fail(job_id: int, message: str) -> None:
    ImportJob.objects.filter(pk=job_id, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, error=message, finished_at=timezone.now()
    )


def import_job_process(*, job_id: int) -> ImportJob | None:
    """Run a confirmed job to its end, from its checkpoint. None when it was not ours to run
    (already running elsewhere, finished, or not confirmed)."""
    if not _claim(job_id):
        return None
    job = ImportJob.objects.get(pk=job_id)
    if job.started_at is None:
        ImportJob.objects.filter(pk=job_id).update(started_at=job.heartbeat_at)
    try:
        _process(job)
    except ImportFileError as error:
        _fail(job_id, str(error))
        _spool_path(job).unlink(missing_ok=True)
    except ImportLost:
        logger.info("Import %s was taken over; this worker stops.", job_id)
    except TRANSIENT_ERRORS:
        _release(job_id)  # the spool stays for the retry
        raise
    except Exception as error:
        logger.exception("Import %s failed", job_id)
        _fail(job_id, f"The import stopped on an unexpected error ({error.__class__.__name__}).")
        _spool_path(job).unlink(missing_ok=True)
        raise
    return ImportJob.objects.get(pk=job_id)


@transaction.atomic
def import_job_discard(*, job: ImportJob) -> None:
    """Remove a job that failed before storing anything, with its upload: the command line's
    "a file that cannot be imported changes nothing"."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != RunStatus.FAILED or job.processed_rows:
        raise ValueError("Only a job that failed before storing anything can be discarded.")
    _spool_path(job).unlink(missing_ok=True)
    job.file.delete(save=False)
    job.delete()


def _release(job_id: int) -> None:
    """Hand a job back (RUNNING → PENDING) so that the task's retry can claim it and resume at
    the checkpoint. When the database is still out of reach this cannot be written; the job then
    stays RUNNING until import_jobs_resume finds its heartbeat stale, which ends the same way."""
    close_old_connections()
    try:
        ImportJob.objects.filter(pk=job_id, status=RunStatus.RUNNING).update(
            status=RunStatus.PENDING
        )
    except DatabaseError:
        logger.warning("Import %s could not be handed back; the resumer will pick it up.", job_id)


@dataclass(frozen=True)
class _PreparedChunk:
    """One chunk of data rows, read and normalised, its feedback ready to store."""

    rows: int
    feedback: FeedbackBatch | None
    usage: list[UsageRecord]
    rejections: list[RowRejection]
    records: list  # for a kind stored by a sink: its records, as the normalizer made them


def _sink(job: ImportJob) -> ImportSink | None:
    """The store of a kind the engine does not store itself; ImportFileError when none is."""
    if job.kind in _OWN_KINDS:
        return None
    sink = import_sink_for(kind=job.kind)
    if sink is None:
        raise ImportFileError(
            f"Nothing in this installation stores {job.get_kind_display().lower()}, so this "
            "file cannot be imported."
        )
    return sink


def _process(job: ImportJob) -> None:
    sink = _sink(job)
    limits = TabularLimits.from_settings()
    path = Path(job.file.path)
    info, fmt = _detect(path, limits=limits, format_override=job.detected_format)
    spool = _spool_path(job) if info.file_type == "xlsx" else None
    if job.total_rows == 0 and job.processed_rows == 0:
        _, total = import_file_check(path, format_override=job.detected_format, spool=spool)
        ImportJob.objects.filter(pk=job.pk).update(total_rows=total, heartbeat_at=timezone.now())
    if spool is not None and spool.exists():
        records = spool_records(spool, limits=limits)
    else:  # a CSV, or a workbook checked on a machine whose spool this one cannot see
        records = iter_rows(path, info, limits=limits)
    normalizer = RowNormalizer(
        fmt,
        job.mapping,
        default_timezone=timezone.get_current_timezone(),
        source_name=job.original_name,
    )
    # A sink resolves the accounts of its own records, chunk by chunk.
    matcher = CustomerMatcher.load() if sink is None else CustomerMatcher.none()
    prepared = _prepared_chunks(
        records,
        fmt,
        normalizer=normalizer,
        matcher=matcher,
        job_id=job.pk,
        skip=job.processed_rows,
        copy_lines=connection.vendor == "postgresql",
    )
    checkpoint = job.processed_rows
    had_duplicates = job.duplicate_count > 0
    try:
        # The next chunk is read and prepared in a background thread while this one is stored.
        for chunk in prefetched(prepared):
            checkpoint, duplicates = _store_chunk(
                job, matcher, chunk, checkpoint, sink=sink, expect_duplicates=had_duplicates
            )
            had_duplicates = duplicates > 0
    except TabularError as error:
        raise ImportFileError(str(error)) from error
    ImportJob.objects.filter(pk=job.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.SUCCEEDED, finished_at=timezone.now(), heartbeat_at=timezone.now()
    )
    if spool is not None:
        spool.unlink(missing_ok=True)
    if settings.BACKLIGHT_ANALYZE_ON_ARRIVAL and job.kind != ImportJob.Kind.USAGE:
        from insights.services.analysis import feedback_analyze_import

        feedback_analyze_import(job_id=job.pk)


def _prepared_chunks(
    records: Iterator[tuple[int, list[str]]],
    fmt: DetectedFormat,
    *,
    normalizer: RowNormalizer,
    matcher: CustomerMatcher,
    job_id: int,
    skip: int,
    copy_lines: bool,
) -> Iterator[_PreparedChunk]:
    """The data rows after the first `skip`, in chunks, normalised and prepared for storing.
    Touches no database: it runs in `prefetched`'s thread."""
    size = settings.BACKLIGHT_IMPORT_CHUNK_ROWS
    chunk: list[tuple[int, list[str]]] = []
    for index, row in enumerate(_data_rows(records, fmt)):
        if index < skip:
            continue
        chunk.append(row)
        if len(chunk) == size:
            yield _prepare_chunk(fmt, normalizer, matcher, chunk, job_id, copy_lines)
            chunk = []
    if chunk:
        yield _prepare_chunk(fmt, normalizer, matcher, chunk, job_id, copy_lines)


def _prepare_chunk(
    fmt: DetectedFormat,
    normalizer: RowNormalizer,
    matcher: CustomerMatcher,
    rows: list[tuple[int, list[str]]],
    job_id: int,
    copy_lines: bool,
) -> _PreparedChunk:
    feedback: list[FeedbackRecord] = []
    usage: list[UsageRecord] = []
    records: list = []
    rejections: list[RowRejection] = []
    for line, cells in rows:
        result = normalizer.normalize(line, cells)
        if isinstance(result, RowRejection):
            rejections.append(result)
        elif fmt.kind == ImportJob.Kind.USAGE:
            usage.extend(result)
        elif fmt.kind in _FEEDBACK_KINDS:
            feedback.extend(result)
        else:
            records.extend(result)
    batch = None
    if feedback:
        batch = feedback_batch_prepare(
            records=feedback, matcher=matcher, import_job_id=job_id, copy_lines=copy_lines
        )
    return _PreparedChunk(
        rows=len(rows), feedback=batch, usage=usage, rejections=rejections, records=records
    )


def _store_chunk(
    job: ImportJob,
    matcher: CustomerMatcher,
    chunk: _PreparedChunk,
    checkpoint: int,
    *,
    sink: ImportSink | None,
    expect_duplicates: bool,
) -> tuple[int, int]:
    """Store one chunk and move the checkpoint past it, in one transaction: the new checkpoint
    and the number of duplicates met."""
    rejections = list(chunk.rejections)
    created = duplicates = unmatched = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The checkpoint commits in this same transaction, so a commit lost to a database
            # crash loses its checkpoint too and the chunk is simply done again: no need to wait
            # for the WAL flush.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        if chunk.feedback is not None:
            result = feedback_batch_store(batch=chunk.feedback, expect_duplicates=expect_duplicates)
            created, duplicates, unmatched = result.created, result.duplicates, result.unmatched
        if chunk.usage:
            result = usage_records_upsert(
                records=chunk.usage, matcher=matcher, import_job_id=job.pk
            )
            created += result.created
            duplicates += result.updated
            rejections.extend(result.rejections)
        if chunk.records and sink is not None:
            result = sink(records=chunk.records, import_job_id=job.pk)
            created += result.created
            duplicates += result.duplicates
            rejections.extend(result.rejections)
        ImportRowError.objects.bulk_create(
            [ImportRowError(job_id=job.pk, line=r.line, reason=r.reason[:500]) for r in rejections],
            ignore_conflicts=True,
        )
        moved = ImportJob.objects.filter(
            pk=job.pk, status=RunStatus.RUNNING, processed_rows=checkpoint
        ).update(
            processed_rows=checkpoint + chunk.rows,
            created_count=F("created_count") + created,
            duplicate_count=F("duplicate_count") + duplicates,
            rejected_count=F("rejected_count") + len({r.line for r in rejections}),
            unmatched_count=F("unmatched_count") + unmatched,
            heartbeat_at=timezone.now(),
        )
        if moved != 1:
            raise ImportLost
    return checkpoint + chunk.rows, duplicates


# --- recovery -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResumeResult:
    resumed: int
    resent: int
    failed: int


def import_jobs_resume(*, now: dt.datetime | None = None) -> ResumeResult:
    """Jobs whose worker went silent go back to the queue; jobs queued long ago whose message
    was lost are sent again; a job that keeps dying is failed after MAX_ATTEMPTS."""
    now = now or timezone.now()
    cutoff = now - settings.BACKLIGHT_IMPORT_STALE_AFTER
    failed = ImportJob.objects.filter(
        Q(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff)
        | Q(status=RunStatus.PENDING, confirmed_at__isnull=False, enqueued_at__lt=cutoff),
        attempts__gte=MAX_ATTEMPTS,
    ).update(
        status=RunStatus.FAILED,
        finished_at=now,
        error=f"The import stopped {MAX_ATTEMPTS} times without finishing; giving up.",
    )
    stale = list(
        ImportJob.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    resumed = []
    for job_id in stale:
        if ImportJob.objects.filter(
            pk=job_id, status=RunStatus.RUNNING, heartbeat_at__lt=cutoff
        ).update(status=RunStatus.PENDING, enqueued_at=now):
            resumed.append(job_id)
    lost = list(
        ImportJob.objects.filter(
            status=RunStatus.PENDING, confirmed_at__isnull=False, enqueued_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    resent = []
    for job_id in lost:
        if ImportJob.objects.filter(
            pk=job_id, status=RunStatus.PENDING, enqueued_at__lt=cutoff
        ).update(enqueued_at=now):
            resent.append(job_id)
    for job_id in resumed + resent:
        _enqueue(job_id)
    return ResumeResult(resumed=len(resumed), resent=len(resent), failed=failed)


# --- reading results ----------------------------------------------------------------------------


def import_job_summary(*, job: ImportJob, errors_limit: int | None = ERRORS_SHOWN) -> ImportSummary:
    errors = job.row_errors.order_by("line").values("line", "reason")
    if errors_limit is not None:
        errors = errors[:errors_limit]
    return ImportSummary(
        format=job.detected_format,
        created=job.created_count,
        duplicates=job.duplicate_count,
        rejected=job.rejected_count,
        unmatched=job.unmatched_count,
        errors=list(errors),
    )
