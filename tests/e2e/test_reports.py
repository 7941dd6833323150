"""An executive reads the executive report of the demo organisation, prints it and downloads it as
CSV and PDF; a product manager filters the product dashboard. Both only read."""

import csv
import io
import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from insights.demo import DEMO_PASSWORD
from insights.models import Feedback
from metrics.models import MetricSnapshot
from metrics.reports import value_text
from metrics.selectors import QUARTER, headline, org_today
from metrics.services import metric_snapshots_compute
from roadmap.demo import demo_organisation_seed
from tests.insights.factories import ThemeFactory

Metric = MetricSnapshot.Metric
DRAWING_TIMEOUT_MS = 30_000


@pytest.fixture
def demo(transactional_db):
    """A small demo organisation (5 % of `make demo`), its snapshots computed, and one pain point
    the last ranking saw rising."""
    demo_organisation_seed(seed=7, today=org_today(), scale=0.05)
    metric_snapshots_compute(force=True)
    ThemeFactory(
        label="CSV export times out",
        impact=60,
        emerging=True,
        statistics={"volume_90": 40, "volume_30": 25, "volume_previous_30": 6},
    )
    cache.clear()
    yield
    cache.clear()


def _counts() -> tuple[int, int]:
    return Feedback.objects.count(), MetricSnapshot.objects.count()


def test_an_executive_reads_prints_and_downloads_the_report(demo, live_server, page, login):
    before = _counts()
    # Given the demo's executive signed in
    login(page, "exec", DEMO_PASSWORD)

    # When they open the executive report (sixteen plotly charts: give a busy machine time)
    page.goto(f"{live_server.url}/reports/executive/", timeout=DRAWING_TIMEOUT_MS)

    # Then the headline tiles show the snapshots' figures
    expect(page.get_by_role("heading", name="Executive report", level=1)).to_be_visible()
    nps = headline(Metric.NPS, QUARTER)
    expect(page.get_by_test_id("tile-nps").get_by_test_id("tile-value")).to_have_text(
        value_text(Metric.NPS, nps.current.value) if nps.current.value is not None else "No data"
    )
    expect(page.get_by_test_id("tile-churn")).to_contain_text("Expected churned ARR")
    # and the charts are drawn by plotly from the embedded figures
    expect(page.locator("#trend-month-nps .main-svg").first).to_be_visible()
    expect(page.locator("#trend-quarter-csat .main-svg").first).to_be_visible()
    expect(page.get_by_test_id("breakdown-segment")).to_contain_text("All accounts")
    expect(page.get_by_test_id("rising-pain-points")).to_contain_text("CSV export times out")
    expect(page.locator("body")).not_to_contain_text(re.compile("Server Error|Forbidden"))

    # When they print it: no navigation, no forms, the figures still there
    page.emulate_media(media="print")
    expect(page.locator("#site-header")).to_be_hidden()
    expect(page.get_by_test_id("digest-form")).to_be_hidden()
    expect(page.get_by_test_id("download-csv")).to_be_hidden()
    expect(page.get_by_test_id("tile-nps")).to_be_visible()
    page.emulate_media(media="screen")

    # And download the CSV: the same headline figure
    with page.expect_download() as download_info:
        page.get_by_test_id("download-csv").click()
    download = download_info.value
    assert re.fullmatch(r"executive-report-Q\d-\d{4}-to-date\.csv", download.suggested_filename)
    text = open(download.path(), encoding="utf-8-sig").read()  # noqa: SIM115, PTH123
    rows = list(csv.DictReader(io.StringIO(text)))
    nps_row = next(r for r in rows if r["section"] == "headline" and r["metric"] == "nps")
    assert int(nps_row["n"]) == nps.current.n

    # And the PDF
    with page.expect_download() as download_info:
        page.get_by_test_id("download-pdf").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:  # noqa: PTH123
        assert pdf.read(5) == b"%PDF-"

    # And nothing was written on the way
    assert _counts() == before


def test_a_product_manager_filters_the_dashboard(demo, live_server, page, login):
    login(page, "pm", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/reports/dashboard/", timeout=DRAWING_TIMEOUT_MS)

    expect(page.get_by_role("heading", name="Product dashboard", level=1)).to_be_visible()
    total = int(page.get_by_test_id("dashboard-total").inner_text().replace(",", ""))
    assert total > 0
    expect(page.locator("#volume-chart .main-svg").first).to_be_visible()

    # When they keep support tickets only
    page.get_by_test_id("dashboard-filters").get_by_label("Source").select_option("support_ticket")
    with page.expect_navigation(timeout=DRAWING_TIMEOUT_MS):
        page.get_by_role("button", name="Filter").click()

    # Then fewer feedback, all of them tickets
    expect(page.get_by_test_id("dashboard-sources")).to_contain_text("Support ticket")
    expect(page.get_by_test_id("dashboard-sources")).not_to_contain_text("Survey")
    filtered = int(page.get_by_test_id("dashboard-total").inner_text().replace(",", ""))
    assert 0 < filtered < total
