"""`manage.py import_feedback`: the import engine from the command line, run synchronously."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from insights.demo_exports import qualtrics_export_write
from insights.models import Feedback, ImportJob, ImportPreset, RunStatus

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"


def _import(*args: str) -> str:
    out = io.StringIO()
    call_command("import_feedback", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _stored_uploads(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def test_json_output_counts_every_row_and_names_each_rejected_line(tmp_path):
    # Given a Qualtrics export with a known number of records and invalid rows
    path = tmp_path / "q.csv"
    truth = qualtrics_export_write(path, responses=400, seed=3, invalid_every=50)

    # When it is imported with --json
    summary = json.loads(_import(str(path), "--json"))

    # Then the one JSON object has the keys and the true figures
    assert set(summary) >= {"format", "created", "duplicates", "rejected", "errors"}
    assert summary["format"] == "qualtrics"
    assert summary["created"] == truth.feedback_records == Feedback.objects.count()
    assert summary["duplicates"] == 0
    assert summary["rejected"] == len(truth.rejected_lines)
    assert [error["line"] for error in summary["errors"]] == truth.rejected_lines
    assert all(error["reason"] for error in summary["errors"])
    assert ImportJob.objects.get().status == RunStatus.SUCCEEDED


def test_running_it_again_creates_nothing(tmp_path):
    path = tmp_path / "q.csv"
    truth = qualtrics_export_write(path, responses=120, seed=8)
    _import(str(path), "--json")

    again = json.loads(_import(str(path), "--json"))

    assert (again["created"], again["duplicates"]) == (0, truth.feedback_records)
    assert Feedback.objects.count() == truth.feedback_records


def test_the_human_output_is_one_summary_line_then_the_rejections(tmp_path):
    path = tmp_path / "q.csv"
    truth = qualtrics_export_write(path, responses=120, seed=8, invalid_every=40)

    output = _import(str(path))

    first, *rest = output.splitlines()
    assert first.startswith("q.csv: qualtrics — ")
    assert " created, " in first
    assert " rejected, " in first
    assert [line.split(":")[0].strip() for line in rest] == [
        f"line {line}" for line in truth.rejected_lines
    ]


@pytest.mark.parametrize(
    ("name", "format_name"),
    [
        ("surveymonkey.csv", "surveymonkey"),
        ("typeform.csv", "typeform"),
        ("google_forms.csv", "google_forms"),
        ("zendesk.csv", "zendesk"),
        ("intercom.csv", "intercom"),
        ("qualtrics_utf16.tsv", "qualtrics"),
    ],
)
def test_each_format_is_recognised_from_the_command_line(name, format_name):
    summary = json.loads(_import(str(FIXTURES / name), "--json"))
    assert summary["format"] == format_name
    assert summary["created"] > 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF"),
    ],
)
def test_a_file_that_is_no_export_exits_with_one_line_and_changes_nothing(
    tmp_path, media, content, message
):
    path = tmp_path / "export.csv"
    path.write_bytes(content)

    with pytest.raises(CommandError, match=f"(?i){message}") as raised:
        _import(str(path), "--json")

    assert "\n" not in str(raised.value)
    assert (ImportJob.objects.count(), Feedback.objects.count()) == (0, 0)
    assert _stored_uploads(media) == []


def test_a_file_broken_near_its_end_exits_non_zero_and_changes_nothing(tmp_path, media):
    # Given an export whose last response is cut off inside a quoted comment
    path = tmp_path / "cut.csv"
    qualtrics_export_write(path, responses=300, seed=4)
    path.write_bytes(path.read_bytes() + b'2026-03-01,2026-03-01,IP Address,1.2.3.4,100,5,"cut')

    # When it is imported
    with pytest.raises(CommandError, match="(?i)truncated") as raised:
        _import(str(path))

    # Then nothing of it is stored, not even the job or the upload
    assert "\n" not in str(raised.value)
    assert (ImportJob.objects.count(), Feedback.objects.count()) == (0, 0)
    assert _stored_uploads(media) == []


def test_a_missing_file_and_an_unknown_preset_are_refused(tmp_path):
    with pytest.raises(CommandError, match="No file at"):
        _import(str(tmp_path / "nowhere.csv"))
    with pytest.raises(CommandError, match="No import preset named"):
        _import(str(FIXTURES / "qualtrics.csv"), "--preset", "missing")


def test_a_saved_preset_maps_the_columns(tmp_path):
    # Given a preset that maps the Qualtrics sample's first comment column to nothing
    job_path = FIXTURES / "qualtrics.csv"
    baseline = json.loads(_import(str(job_path), "--json"))
    job = ImportJob.objects.get()
    comments = [key for key, role in job.mapping.items() if role == "comment"]
    assert len(comments) >= 2
    Feedback.objects.all().delete()
    ImportPreset.objects.create(
        name="no-first-comment",
        kind=job.kind,
        format_name=job.detected_format,
        signature="x",
        mapping={**job.mapping, comments[0]: "ignore"},
    )

    # When the file is imported with that preset
    summary = json.loads(_import(str(job_path), "--preset", "no-first-comment", "--json"))

    # Then the ignored column's comments are not stored, the other column's are
    assert 0 < summary["created"] < baseline["created"]
    assert Feedback.objects.filter(import_job__preset__isnull=True).count() == summary["created"]


def test_a_format_override_that_does_not_fit_the_file_is_refused(tmp_path, media):
    with pytest.raises(CommandError):
        _import(str(FIXTURES / "zendesk.csv"), "--format", "usage")
    assert ImportJob.objects.count() == 0
