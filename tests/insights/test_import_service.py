"""The import engine end to end, in-process: create → confirm → process, and its recovery."""

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from insights.demo_exports import qualtrics_export_write
from insights.models import Feedback, ImportJob, ImportPreset, RunStatus
from insights.services import imports
from insights.services.imports import (
    ImportFileError,
    import_job_confirm,
    import_job_create,
    import_job_process,
    import_jobs_resume,
)
from tests.insights.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _create(path: Path, **kwargs) -> ImportJob:
    with path.open("rb") as handle:
        return import_job_create(file=handle, original_name=path.name, **kwargs)


def _run(path: Path, **kwargs) -> ImportJob:
    job = _create(path, **kwargs)
    import_job_confirm(job=job, mapping=job.mapping, enqueue=False)
    return import_job_process(job_id=job.pk)


def _as_xlsx(source: Path) -> Path:
    """The same export saved as a workbook, every cell as text, as Excel keeps a CSV it opened."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    with source.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    target = source.with_suffix(".xlsx")
    workbook.save(target)
    return target


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "qualtrics.csv"
    truth = qualtrics_export_write(
        path, responses=1_200, seed=5, invalid_every=100, emails=["ana@acme.example"]
    )
    return path, truth


@pytest.fixture
def full_reads(monkeypatch):
    """Counts the passes that read a whole upload (the spool's reads are not among them)."""
    calls = []
    real = imports.iter_rows

    def counting(path, info, **kwargs):
        calls.append(path)
        return real(path, info, **kwargs)

    monkeypatch.setattr(imports, "iter_rows", counting)
    return calls


def test_a_qualtrics_export_is_recognised_and_imported(export, settings):
    # Given a Qualtrics export and a known contact
    settings.BACKLIGHT_IMPORT_CHUNK_ROWS = 500
    path, truth = export
    contact = ContactFactory(email="ana@acme.example")

    # When it is imported
    job = _run(path)

    # Then every response is stored or rejected with its line, matched to the contact
    assert job.status == RunStatus.SUCCEEDED
    assert job.detected_format == "qualtrics"
    assert (job.total_rows, job.processed_rows) == (truth.responses, truth.responses)
    assert job.created_count == truth.feedback_records
    assert Feedback.objects.filter(import_job=job).count() == truth.feedback_records
    assert sorted(job.row_errors.values_list("line", flat=True)) == truth.rejected_lines
    assert job.rejected_count == len(truth.rejected_lines)
    assert job.unmatched_count == 0
    assert set(Feedback.objects.values_list("contact_id", flat=True)) == {contact.pk}


def test_each_response_counts_once_in_nps(export):
    path, truth = export
    job = _run(path)
    scored = Feedback.objects.filter(import_job=job, nps__isnull=False).count()
    assert scored == truth.responses - len(truth.rejected_lines)


def test_importing_the_same_file_again_creates_nothing(export):
    path, truth = export
    _run(path)

    again = _run(path)

    assert again.created_count == 0
    assert again.duplicate_count == truth.feedback_records
    assert Feedback.objects.count() == truth.feedback_records


def test_an_overlapping_export_adds_only_the_new_responses(tmp_path):
    first, second = tmp_path / "jan.csv", tmp_path / "jan_feb.csv"
    small = qualtrics_export_write(first, responses=300, seed=9)
    large = qualtrics_export_write(second, responses=500, seed=9)
    _run(first)

    job = _run(second)

    assert job.created_count == large.feedback_records - small.feedback_records
    assert Feedback.objects.count() == large.feedback_records


def test_a_workbook_is_parsed_once_and_stored_from_its_spool(export, settings, full_reads):
    # Given the export as a workbook
    settings.BACKLIGHT_IMPORT_CHUNK_ROWS = 500
    path, truth = export
    workbook = _as_xlsx(path)

    # When it is imported
    job = _run(workbook)

    # Then the sheet was parsed once (the check pass), stored in full, and its spool removed
    assert job.status == RunStatus.SUCCEEDED
    assert len(full_reads) == 1
    assert job.created_count == truth.feedback_records
    assert sorted(job.row_errors.values_list("line", flat=True)) == truth.rejected_lines
    assert not imports._spool_path(job).exists()
    assert list(Path(job.file.path).parent.glob("*.rows.csv*")) == []


@pytest.mark.parametrize("as_workbook", [False, True], ids=["csv", "xlsx"])
def test_a_job_stopped_after_some_chunks_resumes_to_the_same_result(
    export, settings, monkeypatch, full_reads, as_workbook
):
    # Given small chunks and a worker that dies after storing two of them
    settings.BACKLIGHT_IMPORT_CHUNK_ROWS = 200
    path, truth = export
    if as_workbook:
        path = _as_xlsx(path)
    job = _create(path)
    import_job_confirm(job=job, mapping=job.mapping, enqueue=False)
    real_store = imports._store_chunk
    stored = []

    def dying_store(*args, **kwargs):
        if len(stored) == 2:
            raise KeyboardInterrupt("worker killed")
        stored.append(1)
        return real_store(*args, **kwargs)

    monkeypatch.setattr(imports, "_store_chunk", dying_store)
    with pytest.raises(KeyboardInterrupt):
        import_job_process(job_id=job.pk)
    monkeypatch.setattr(imports, "_store_chunk", real_store)
    job.refresh_from_db()
    assert (job.status, job.processed_rows) == (RunStatus.RUNNING, 400)
    assert imports._spool_path(job).exists() is as_workbook

    # When the resumer finds it silent and it runs again
    later = timezone.now() + settings.BACKLIGHT_IMPORT_STALE_AFTER + dt.timedelta(seconds=1)
    result = import_jobs_resume(now=later)
    finished = import_job_process(job_id=job.pk)

    # Then it ends exactly as an uninterrupted import would
    assert result.resumed == 1
    assert finished.status == RunStatus.SUCCEEDED
    assert finished.attempts == 2
    assert finished.created_count == truth.feedback_records
    assert Feedback.objects.filter(import_job=job).count() == truth.feedback_records
    assert sorted(finished.row_errors.values_list("line", flat=True)) == truth.rejected_lines
    # A workbook's rows came from its spool after the check pass, and the spool is gone
    assert len(full_reads) == (1 if as_workbook else 3)
    assert not imports._spool_path(job).exists()


def test_a_job_runs_once_even_when_its_message_arrives_twice(export):
    path, _ = export
    job = _run(path)

    assert import_job_process(job_id=job.pk) is None


def test_the_resumer_gives_up_on_a_job_that_keeps_dying(export, settings):
    path, _ = export
    job = _create(path)
    import_job_confirm(job=job, mapping=job.mapping, enqueue=False)
    long_ago = timezone.now() - settings.BACKLIGHT_IMPORT_STALE_AFTER * 2
    ImportJob.objects.filter(pk=job.pk).update(
        status=RunStatus.RUNNING, heartbeat_at=long_ago, attempts=imports.MAX_ATTEMPTS
    )

    result = import_jobs_resume()

    job.refresh_from_db()
    assert result.failed == 1
    assert job.status == RunStatus.FAILED
    assert "giving up" in job.error


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF"),
    ],
)
def test_a_file_that_is_no_export_is_refused_at_upload_and_nothing_kept(tmp_path, content, message):
    path = tmp_path / "export.csv"
    path.write_bytes(content)

    with pytest.raises(ImportFileError, match=f"(?i){message}"):
        _create(path)

    assert ImportJob.objects.count() == 0


def test_a_file_broken_past_its_start_fails_the_job_and_stores_nothing(tmp_path):
    # Given a survey export whose last response is cut off inside a quoted comment
    path = tmp_path / "cut.csv"
    qualtrics_export_write(path, responses=50, seed=4)
    path.write_bytes(
        path.read_bytes() + b'2026-03-01,2026-03-01,IP Address,1.2.3.4,100,5,True,"cut'
    )

    # When it is imported
    job = _run(path)

    # Then the job fails with a clear reason and nothing of the file is stored
    assert job.status == RunStatus.FAILED
    assert "truncated" in job.error.lower()
    assert Feedback.objects.count() == 0


def test_a_mapping_that_cannot_work_is_refused(export):
    path, _ = export
    job = _create(path)

    with pytest.raises(ValidationError):
        import_job_confirm(job=job, mapping=dict.fromkeys(job.mapping, "ignore"), enqueue=False)

    job.refresh_from_db()
    assert job.confirmed_at is None


def test_a_saved_preset_is_applied_to_a_file_with_the_same_columns(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    qualtrics_export_write(first, responses=20, seed=1)
    qualtrics_export_write(second, responses=30, seed=2)
    job = _create(first)
    mapping = dict(job.mapping)
    mapping["Q4"] = "ignore"
    import_job_confirm(job=job, mapping=mapping, preset_name="NPS survey", enqueue=False)

    later = _create(second)

    assert later.preset == ImportPreset.objects.get(name="NPS survey")
    assert later.mapping["Q4"] == "ignore"
