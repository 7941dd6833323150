"""An admin imports a survey export in the browser: upload, preview, mapping, progress, summary."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from insights.models import ImportJob, RunStatus
from insights.roles import Role
from tests.conftest import user_with_role
from tests.insights.factories import CustomerFactory, ImportJobFactory
from tests.insights.test_import_views import PDF_BYTES, RESPONSES, qualtrics_csv

PASSWORD = "backlight-test-pass"
SUMMARY_TIMEOUT_MS = 15_000


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin(transactional_db):
    return user_with_role(Role.ADMIN, username="e2e_admin")


def open_upload_page(page, live_server):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    expect(page.locator("h1")).to_have_text("Imports")
    page.get_by_role("link", name="Import a file").first.click()
    expect(page.locator("h1")).to_have_text("Import a file")


def test_admin_uploads_a_qualtrics_export_and_watches_it_import(
    admin, live_server, page, login, tmp_path
):
    # Given an account that owns acme.example, and a Qualtrics export on the admin's disk
    CustomerFactory(name="Acme", domain="acme.example")
    export = tmp_path / "nps-march.csv"
    export.write_bytes(qualtrics_csv())

    # When the admin opens Imports and uploads it
    login(page, admin.username, PASSWORD)
    open_upload_page(page, live_server)
    page.set_input_files("input[type=file]", str(export))
    page.get_by_role("button", name="Upload and preview").click()

    # Then they see the detected format and the first rows
    expect(page.get_by_test_id("import-format")).to_have_text("Qualtrics")
    preview = page.get_by_test_id("import-preview")
    for _, _, reason in RESPONSES[:3]:
        expect(preview).to_contain_text(reason[:20])
    expect(page.get_by_test_id("import-mapping-form")).to_contain_text(
        "How likely are you to recommend Acme"
    )

    # When they start the import with the proposed mapping
    page.get_by_role("button", name="Start the import").click()

    # Then the page reaches the summary, with the numbers of the file: three responses stored,
    # one of them from an unknown domain, and the one with an NPS of 11 rejected
    summary = page.get_by_test_id("import-summary")
    expect(summary).to_be_visible(timeout=SUMMARY_TIMEOUT_MS)
    expect(page.get_by_test_id("summary-created")).to_contain_text("3")
    expect(page.get_by_test_id("summary-duplicates")).to_contain_text("0")
    expect(page.get_by_test_id("summary-rejected")).to_contain_text("1")
    expect(page.get_by_test_id("summary-unmatched")).to_contain_text("1")
    expect(page.get_by_test_id("import-rejected")).to_contain_text("7")
    job = ImportJob.objects.get()
    assert job.status == RunStatus.SUCCEEDED
    assert (job.created_count, job.rejected_count, job.unmatched_count) == (3, 1, 1)

    # And the imports list shows the job with its counts and a link to it
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    row = page.get_by_role("row", name="nps-march.csv")
    expect(row).to_contain_text("Succeeded")
    expect(row.get_by_role("link", name="nps-march.csv")).to_be_visible()


def test_the_progress_bar_follows_a_running_import_to_its_summary(admin, live_server, page, login):
    # Given an import halfway through
    job = ImportJobFactory(
        original_name="tickets.csv",
        detected_format="zendesk",
        kind=ImportJob.Kind.SUPPORT_TICKETS,
        confirmed_at=timezone.now(),
        status=RunStatus.RUNNING,
        total_rows=400,
        processed_rows=100,
    )
    login(page, admin.username, PASSWORD)

    # When the admin opens its page
    page.goto(f"{live_server.url}/insights/imports/{job.pk}/")

    # Then the bar shows a quarter done
    progress = page.get_by_test_id("import-progress")
    expect(progress).to_contain_text("25 %")
    expect(progress.locator("progress")).to_have_attribute("value", "100")

    # And when the worker moves on and then finishes, the page follows without a reload
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=300)
    expect(progress).to_contain_text("75 %", timeout=SUMMARY_TIMEOUT_MS)
    ImportJob.objects.filter(pk=job.pk).update(
        processed_rows=400,
        created_count=390,
        rejected_count=10,
        status=RunStatus.SUCCEEDED,
        finished_at=timezone.now(),
    )
    expect(page.get_by_test_id("summary-created")).to_contain_text(
        "390", timeout=SUMMARY_TIMEOUT_MS
    )
    expect(page.get_by_test_id("import-progress")).to_have_count(0)


def test_a_pdf_named_csv_is_refused_on_the_page(admin, live_server, page, login, tmp_path):
    bad = tmp_path / "responses.csv"
    bad.write_bytes(PDF_BYTES)
    login(page, admin.username, PASSWORD)
    open_upload_page(page, live_server)

    page.set_input_files("input[type=file]", str(bad))
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_test_id("import-upload-error")).to_contain_text("This file is a PDF")
    expect(page.locator("h1")).to_have_text("Import a file")
    assert ImportJob.objects.count() == 0


def test_a_file_over_the_size_limit_is_stopped_before_it_is_sent(
    admin, live_server, page, login, tmp_path, settings
):
    settings.BACKLIGHT_IMPORT_MAX_BYTES = 1024 * 1024
    big = tmp_path / "huge.csv"
    big.write_bytes(qualtrics_csv() + b"x" * (2 * 1024 * 1024))
    login(page, admin.username, PASSWORD)
    open_upload_page(page, live_server)
    requests = []
    page.on("request", lambda request: requests.append(request.method))

    page.set_input_files("input[type=file]", str(big))
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_role("alert")).to_contain_text("the limit is 1 MB")
    assert "POST" not in requests
    assert ImportJob.objects.count() == 0


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_the_import_pages_fit_a_phone(admin, live_server, phone_page, login, tmp_path):
    export = tmp_path / "nps-march.csv"
    export.write_bytes(qualtrics_csv())
    login(phone_page, admin.username, PASSWORD)

    phone_page.goto(f"{live_server.url}/insights/imports/new/")
    assert _overflow(phone_page) <= 0
    phone_page.set_input_files("input[type=file]", str(export))
    phone_page.get_by_role("button", name="Upload and preview").click()
    expect(phone_page.get_by_test_id("import-format")).to_have_text("Qualtrics")
    assert _overflow(phone_page) <= 0

    with phone_page.expect_navigation():
        phone_page.get_by_role("button", name="Start the import").click()
    expect(phone_page.get_by_test_id("import-summary")).to_be_visible(timeout=SUMMARY_TIMEOUT_MS)
    assert _overflow(phone_page) <= 0

    phone_page.goto(f"{live_server.url}/insights/imports/")
    assert _overflow(phone_page) <= 0
