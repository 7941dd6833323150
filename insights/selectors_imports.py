"""Reads for the import pages: one job, and its rejected rows for the download.

Kept apart from `insights.selectors` so the import pages can grow without touching the API's reads.
"""

from collections.abc import Iterator

from insights.models import ImportJob


def import_job_get(*, job_id: int) -> ImportJob | None:
    return ImportJob.objects.select_related("preset", "created_by").filter(pk=job_id).first()


def import_job_status_get(*, job_id: int) -> ImportJob | None:
    """The job for the progress partial, polled every second: no joins."""
    return ImportJob.objects.filter(pk=job_id).first()


def import_job_rejections(*, job: ImportJob, chunk_size: int = 2_000) -> Iterator[tuple[int, str]]:
    """Every rejected row of the job as (line, reason), in file order, streamed."""
    return (
        job.row_errors.order_by("line")
        .values_list("line", "reason")
        .iterator(chunk_size=chunk_size)
    )
