"""The import pages as an admin uses them: upload, mapping, progress, results, rejected rows."""

import csv
import html
import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from insights.formats import Role as ColumnRole
from insights.models import Feedback, ImportJob, ImportPreset, ImportRowError, RunStatus
from insights.roles import Role
from insights.services import imports
from tests.conftest import user_with_role
from tests.insights.factories import CustomerFactory, ImportJobFactory

pytestmark = pytest.mark.django_db

# A Qualtrics export cut down to its shape: three header rows (tags, question texts, import ids),
# then one response per row with an NPS (Q1) and the reason for it (Q2).
QUALTRICS_HEADER = (
    (
        "StartDate",
        "EndDate",
        "Status",
        "IPAddress",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "RecordedDate",
        "ResponseId",
        "RecipientEmail",
        "DistributionChannel",
        "UserLanguage",
        "Q1",
        "Q2",
    ),
    (
        "Start Date",
        "End Date",
        "Response Type",
        "IP Address",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "Recorded Date",
        "Response ID",
        "Recipient Email",
        "Distribution Channel",
        "User Language",
        "How likely are you to recommend Acme to a friend or colleague?",
        "What is the main reason for your score?",
    ),
    (
        '{"ImportId":"startDate","timeZone":"UTC"}',
        '{"ImportId":"endDate","timeZone":"UTC"}',
        '{"ImportId":"status"}',
        '{"ImportId":"ipAddress"}',
        '{"ImportId":"progress"}',
        '{"ImportId":"duration"}',
        '{"ImportId":"finished"}',
        '{"ImportId":"recordedDate","timeZone":"UTC"}',
        '{"ImportId":"_recordId"}',
        '{"ImportId":"recipientEmail"}',
        '{"ImportId":"distributionChannel"}',
        '{"ImportId":"userLanguage"}',
        '{"ImportId":"QID1"}',
        '{"ImportId":"QID2_TEXT"}',
    ),
)
# (email, NPS, reason): two at Acme's domain, one nobody knows, one with an NPS of 11.
RESPONSES = (
    ("dana@acme.example", "9", "Love the new dashboards"),
    ("li@acme.example", "3", "Exports time out on big reports <script>alert(1)</script>"),
    ("sam@unknown.example", "7", "Search is fine, could be faster"),
    ("kim@acme.example", "11", "Out of range on purpose"),
)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
PDF_BYTES = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def qualtrics_csv(responses=RESPONSES) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(QUALTRICS_HEADER)
    for index, (email, nps, reason) in enumerate(responses):
        when = f"2026-03-{index + 1:02d} 10:00:00"
        writer.writerow(
            (when, when, "IP Address", "203.0.113.7", "100", "60", "True", when)
            + (f"R_{index:08d}", email, "email", "EN", nps, reason)
        )
    return out.getvalue().encode()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploads land in a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin_client(client):
    client.force_login(user_with_role(Role.ADMIN))
    return client


def upload(client, content: bytes, *, name: str = "nps-march.csv", format_override="auto"):
    return client.post(
        reverse("insights:import-new"),
        {
            "file": SimpleUploadedFile(name, content, content_type="text/csv"),
            "format_override": format_override,
        },
    )


def mapping_form_data(job: ImportJob, **roles_by_key) -> dict[str, str]:
    """What the mapping form posts when its selects are left as proposed (or set per key)."""
    columns = imports.import_job_preview(job=job).fmt.columns
    mapping = job.mapping | roles_by_key
    return {f"column_{column.index}": mapping[column.key] for column in columns}


def uploaded_job(content: bytes = b"", **kwargs) -> ImportJob:
    return imports.import_job_create(
        file=io.BytesIO(content or qualtrics_csv()), original_name="nps-march.csv", **kwargs
    )


def confirm(client, job: ImportJob, data: dict, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("insights:import-detail", args=[job.pk]), data)


def text(response) -> str:
    """The page's text, tags stripped and blanks squeezed, for readable assertions."""
    content = response.content.decode() if hasattr(response, "content") else response
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", content)).split())


# ------------------------------------------------------------------------------------------------
# Upload
# ------------------------------------------------------------------------------------------------


def test_upload_page_names_the_supported_exports_and_the_limits(admin_client, settings):
    settings.BACKLIGHT_IMPORT_MAX_ROWS = 250_000

    response = admin_client.get(reverse("insights:import-new"))

    assert response.status_code == 200
    page = text(response)
    for name in ("Qualtrics", "SurveyMonkey", "Typeform", "Google Forms", "Zendesk", "Intercom"):
        assert name in page
    assert "200.0 MB" in page
    assert "250,000 rows" in page
    content = response.content.decode()
    assert 'accept=".csv,.tsv,.txt,.xlsx"' in content
    assert 'enctype="multipart/form-data"' in content


def test_the_imports_list_links_to_the_upload_and_to_each_job(admin_client):
    job = ImportJobFactory(original_name="tickets.csv")

    response = admin_client.get(reverse("insights:import-list"))

    content = response.content.decode()
    assert reverse("insights:import-new") in content
    assert "Import a file" in content
    assert reverse("insights:import-detail", args=[job.pk]) in content
    assert "Needs mapping" in content


def test_uploading_a_qualtrics_export_shows_its_format_and_a_preview(admin_client):
    # Given a Qualtrics export

    # When the admin uploads it
    response = upload(admin_client, qualtrics_csv())

    # Then they land on the job page, which names the format and previews the rows, escaped
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("insights:import-detail", args=[job.pk])
    page = admin_client.get(response["Location"])
    assert page.status_code == 200
    content = page.content.decode()
    assert "Qualtrics" in text(page)
    assert job.detected_format == "qualtrics"
    assert "Love the new dashboards" in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<script>alert(1)" not in content
    assert job.confirmed_at is None
    assert job.created_by.username == "admin_user"
    # And the mapping form offers a role for each column, the proposal selected
    assert "How likely are you to recommend Acme to a friend or colleague?" in content
    assert '<code class="muted small">Q1</code>' in content
    assert re.search(r'<option value="nps" selected>', content)
    assert content.count("<select") == len(job.mapping)


def test_a_pdf_named_csv_is_refused_with_a_clear_message_and_nothing_is_kept(
    admin_client, settings
):
    response = upload(admin_client, PDF_BYTES, name="responses.csv")

    assert response.status_code == 400
    assert "This file is a PDF" in text(response)
    assert ImportJob.objects.count() == 0
    media = settings.MEDIA_ROOT
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_a_file_over_the_size_limit_is_refused(admin_client, settings):
    settings.BACKLIGHT_IMPORT_MAX_BYTES = 1024 * 1024

    response = upload(admin_client, qualtrics_csv() + b" " * (1024 * 1024))

    assert response.status_code == 400
    assert "The file is 1.0 MB; the limit is 1.0 MB." in text(response)
    assert ImportJob.objects.count() == 0


def test_an_upload_without_a_file_asks_for_one(admin_client):
    response = admin_client.post(reverse("insights:import-new"), {"format_override": "auto"})

    assert response.status_code == 400
    assert "Choose a file to import." in text(response)
    assert ImportJob.objects.count() == 0


def test_the_format_can_be_forced(admin_client):
    response = upload(admin_client, qualtrics_csv(), format_override="generic")

    assert response.status_code == 302
    assert ImportJob.objects.get().format_override == "generic"


# ------------------------------------------------------------------------------------------------
# Mapping and confirmation
# ------------------------------------------------------------------------------------------------


def test_confirming_the_mapping_imports_the_file_and_shows_the_summary(
    admin_client, django_capture_on_commit_callbacks
):
    # Given an uploaded export and an account that owns acme.example
    CustomerFactory(name="Acme", domain="acme.example")
    upload(admin_client, qualtrics_csv())
    job = ImportJob.objects.get()

    # When the admin confirms the proposed mapping
    response = confirm(
        admin_client, job, mapping_form_data(job), django_capture_on_commit_callbacks
    )

    # Then the import runs and the job page shows what became of each row
    assert response.status_code == 302
    assert response["Location"] == reverse("insights:import-detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == RunStatus.SUCCEEDED
    assert (job.created_count, job.duplicate_count, job.rejected_count) == (3, 0, 1)
    assert job.unmatched_count == 1
    assert Feedback.objects.filter(import_job=job).count() == 3
    page = admin_client.get(response["Location"])
    assert "hx-trigger" not in page.content.decode()
    assert text(page).count("Import finished") == 1
    summary = text(page)
    assert "Feedback created 3" in summary
    assert "Duplicates skipped 0" in summary
    assert "Rejected 1" in summary
    assert "Without a matching account 1" in summary
    assert "Read as Qualtrics" in summary
    # And the rejected row is listed with its line (3 header rows, then the fourth response)
    assert re.search(r"Rejected rows .*\b7\b", summary)


def test_the_qualtrics_fixture_goes_through_upload_mapping_and_import(
    admin_client, django_capture_on_commit_callbacks
):
    # Given the Qualtrics export of the fixtures (BOM, CRLF, a preview row, an empty response)
    content = (FIXTURES / "qualtrics.csv").read_bytes()

    # When the admin uploads it and confirms the proposed mapping
    upload(admin_client, content, name="qualtrics.csv")
    job = ImportJob.objects.get()
    mapping_page = admin_client.get(reverse("insights:import-detail", args=[job.pk]))
    confirm(admin_client, job, mapping_form_data(job), django_capture_on_commit_callbacks)

    # Then the page named the format and showed the rows, a formula in a comment as plain text
    assert 'data-testid="import-format">Qualtrics<' in mapping_page.content.decode()
    assert "Die Dashboards sind übersichtlich und schnell." in text(mapping_page)
    assert "=HYPERLINK(" in text(mapping_page)
    # And the summary tells what became of the 21 responses
    page = text(admin_client.get(reverse("insights:import-detail", args=[job.pk])))
    assert "Feedback created 24" in page
    assert "Rejected 2" in page
    assert "Survey preview response, not a customer's." in page


def test_importing_the_same_file_again_skips_every_row_as_a_duplicate(
    admin_client, django_capture_on_commit_callbacks
):
    for _ in range(2):
        upload(admin_client, qualtrics_csv())
        job = ImportJob.objects.latest("id")
        confirm(admin_client, job, mapping_form_data(job), django_capture_on_commit_callbacks)

    page = text(admin_client.get(reverse("insights:import-detail", args=[job.pk])))

    assert "Feedback created 0" in page
    assert "Duplicates skipped 3" in page


def test_a_preset_can_be_saved_with_the_mapping(admin_client, django_capture_on_commit_callbacks):
    job = uploaded_job()
    data = mapping_form_data(job) | {"preset_name": "Quarterly NPS"}

    confirm(admin_client, job, data, django_capture_on_commit_callbacks)

    preset = ImportPreset.objects.get()
    assert preset.name == "Quarterly NPS"
    job.refresh_from_db()
    assert job.preset == preset
    # And the next file with the same columns gets it by itself, and the page says so
    upload(admin_client, qualtrics_csv())
    page = admin_client.get(
        reverse("insights:import-detail", args=[ImportJob.objects.latest("id").pk])
    )
    assert "Quarterly NPS" in text(page)
    assert "applied automatically" in text(page)


def test_a_mapping_that_cannot_work_is_refused_with_the_reason(
    admin_client, django_capture_on_commit_callbacks
):
    # Given an uploaded export
    job = uploaded_job()
    nothing = {key: ColumnRole.IGNORE.value for key in job.mapping}

    # When the admin sets every column to be ignored
    response = confirm(
        admin_client, job, mapping_form_data(job, **nothing), django_capture_on_commit_callbacks
    )

    # Then the page comes back with the reason, and nothing is started
    assert response.status_code == 400
    assert 'data-testid="import-mapping-error"' in response.content.decode()
    job.refresh_from_db()
    assert job.confirmed_at is None
    assert job.status == RunStatus.PENDING


def test_a_role_that_does_not_exist_is_a_form_error(admin_client):
    job = uploaded_job()
    data = mapping_form_data(job)
    data["column_0"] = "launch_missiles"

    response = admin_client.post(reverse("insights:import-detail", args=[job.pk]), data)

    assert response.status_code == 400
    assert "Select a valid choice" in text(response)
    job.refresh_from_db()
    assert job.confirmed_at is None


def test_confirming_twice_starts_the_import_once(admin_client, django_capture_on_commit_callbacks):
    job = uploaded_job()
    data = mapping_form_data(job)
    confirm(admin_client, job, data, django_capture_on_commit_callbacks)

    response = confirm(admin_client, job, data, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    follow = admin_client.get(response["Location"])
    assert "This import was already started." in text(follow)
    job.refresh_from_db()
    assert job.attempts == 1


@pytest.mark.parametrize("role", [Role.PRODUCT_MANAGER, Role.ENGINEER, Role.EXECUTIVE, None])
def test_other_roles_may_neither_upload_nor_confirm(client, role):
    job = uploaded_job()
    data = mapping_form_data(job)
    client.force_login(user_with_role(role))

    uploaded = upload(client, qualtrics_csv())
    confirmed = client.post(reverse("insights:import-detail", args=[job.pk]), data)

    assert uploaded.status_code == 403
    assert confirmed.status_code == 403
    assert ImportJob.objects.count() == 1
    job.refresh_from_db()
    assert job.confirmed_at is None


# ------------------------------------------------------------------------------------------------
# Progress and results
# ------------------------------------------------------------------------------------------------


def running_job(**overrides) -> ImportJob:
    values = {
        "detected_format": "qualtrics",
        "confirmed_at": timezone.now(),
        "status": RunStatus.RUNNING,
        "total_rows": 200,
        "processed_rows": 50,
        "created_count": 44,
        "duplicate_count": 3,
        "rejected_count": 2,
    }
    return ImportJobFactory(**(values | overrides))


def test_the_progress_partial_reports_the_numbers_and_keeps_polling(admin_client):
    job = running_job()

    response = admin_client.get(reverse("insights:import-progress", args=[job.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert '<progress class="import-progress" max="200" value="50"' in content
    assert 'hx-trigger="every 1s"' in content
    assert f'hx-get="{reverse("insights:import-progress", args=[job.pk])}"' in content
    page = text(response)
    assert "25 % · 50 of 200 rows" in page
    assert "So far 44 created · 3 duplicates skipped · 2 rejected" in page


def test_the_job_page_of_a_running_import_polls_and_refreshes_without_javascript(admin_client):
    job = running_job()

    response = admin_client.get(reverse("insights:import-detail", args=[job.pk]))

    content = response.content.decode()
    assert 'hx-trigger="every 1s"' in content
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in content


def test_the_progress_partial_of_a_finished_import_is_the_summary_and_stops_polling(
    admin_client,
):
    job = running_job(
        status=RunStatus.SUCCEEDED, processed_rows=200, created_count=180, unmatched_count=12
    )

    response = admin_client.get(reverse("insights:import-progress", args=[job.pk]))

    content = response.content.decode()
    assert "hx-trigger" not in content
    assert 'data-testid="import-summary"' in content
    assert "Feedback created 180" in text(response)
    assert "Without a matching account 12" in text(response)


def test_a_failed_import_says_why_and_that_nothing_was_stored(admin_client):
    job = running_job(
        status=RunStatus.FAILED,
        error="The file ends in the middle of a quoted cell (line 4,211).",
        processed_rows=0,
        created_count=0,
        duplicate_count=0,
        rejected_count=0,
    )

    page = text(admin_client.get(reverse("insights:import-detail", args=[job.pk])))

    assert "Import failed" in page
    assert "The file ends in the middle of a quoted cell (line 4,211)." in page
    assert "Nothing from the file was stored." in page


def test_the_job_page_lists_the_first_100_rejected_rows_and_links_the_full_csv(admin_client):
    job = running_job(status=RunStatus.SUCCEEDED, rejected_count=120)
    ImportRowError.objects.bulk_create(
        ImportRowError(job=job, line=line, reason=f"NPS out of range on line {line}")
        for line in range(4, 124)
    )

    response = admin_client.get(reverse("insights:import-detail", args=[job.pk]))

    content = response.content.decode()
    assert content.count('class="import-rejected__reason"') == 100
    assert "NPS out of range on line 103" in content
    assert "NPS out of range on line 104" not in content
    assert "The first 100 of 120" in text(response)
    assert reverse("insights:import-errors-csv", args=[job.pk]) in content


def test_the_rejected_rows_download_holds_every_row_with_formulas_neutralised(admin_client):
    # Given rejected rows, one whose reason would run as a formula in a spreadsheet
    job = running_job(status=RunStatus.SUCCEEDED)
    ImportRowError.objects.create(job=job, line=9, reason='=HYPERLINK("http://x.example","y")')
    ImportRowError.objects.create(job=job, line=5, reason="NPS 11 is out of range (0–10)")

    # When the admin downloads them
    response = admin_client.get(reverse("insights:import-errors-csv", args=[job.pk]))

    # Then every row comes in file order, and the formula is plain text
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert f"import-{job.pk}-rejected-rows.csv" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["line", "reason"]
    assert rows[1] == ["5", "NPS 11 is out of range (0–10)"]
    assert rows[2][0] == "9"
    assert rows[2][1] == "'" + '=HYPERLINK("http://x.example","y")'


def test_a_job_that_does_not_exist_is_not_found(admin_client):
    for name in ("import-detail", "import-progress", "import-errors-csv"):
        assert admin_client.get(reverse(f"insights:{name}", args=[999_999])).status_code == 404


# ------------------------------------------------------------------------------------------------
# Query counts
# ------------------------------------------------------------------------------------------------

# Every page: the session, the user, the request's savepoint and its release, the user's and the
# groups' permissions. Then the job (with its preset and uploader in the same query), and on
# whole pages the user's groups for the sidebar.
QUERIES_PROGRESS = 7
QUERIES_MAPPING_PAGE = 8  # the preview and the proposed mapping come from the file, not the db
QUERIES_FINISHED_PAGE = 9  # and the first rejected rows


def test_the_job_page_of_a_finished_import_takes_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries
):
    job = running_job(status=RunStatus.SUCCEEDED, rejected_count=30)
    ImportRowError.objects.bulk_create(
        ImportRowError(job=job, line=line, reason="Bad score") for line in range(4, 34)
    )
    admin_client.get(reverse("insights:import-detail", args=[job.pk]))  # warm the session

    with django_assert_num_queries(QUERIES_FINISHED_PAGE):
        response = admin_client.get(reverse("insights:import-detail", args=[job.pk]))

    assert response.status_code == 200


def test_the_mapping_page_takes_a_fixed_number_of_queries(admin_client, django_assert_num_queries):
    job = uploaded_job()
    admin_client.get(reverse("insights:import-detail", args=[job.pk]))

    with django_assert_num_queries(QUERIES_MAPPING_PAGE):
        response = admin_client.get(reverse("insights:import-detail", args=[job.pk]))

    assert response.status_code == 200


def test_the_progress_partial_takes_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries
):
    job = running_job()
    admin_client.get(reverse("insights:import-progress", args=[job.pk]))

    with django_assert_num_queries(QUERIES_PROGRESS):
        admin_client.get(reverse("insights:import-progress", args=[job.pk]))
