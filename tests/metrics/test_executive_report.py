"""The executive report: its figures are the selectors' figures, a change is flagged only outside
the interval, the CSV and PDF carry the same figures, and the page's queries do not grow with the
feedback (it never reads feedback at all)."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insights.models import ModelRun, RunStatus, Segment
from insights.roles import Role
from metrics.exports import executive_report_pdf, pdf_text
from metrics.models import MetricSnapshot, ReportSubscription
from metrics.reports import executive_report, value_text
from metrics.selectors import (
    MONTH,
    QUARTER,
    headline,
    org_today,
    period_shift,
    period_start,
    snapshot_breakdown,
    snapshot_series,
)
from metrics.services import metric_snapshots_compute
from tests.conftest import user_with_role
from tests.insights.factories import CustomerFactory, FeedbackFactory, ThemeFactory
from tests.metrics.factories import MetricSnapshotFactory

pytestmark = pytest.mark.django_db

Metric = MetricSnapshot.Metric
URL = "metrics:executive-report"


@pytest.fixture
def exec_client(client):
    client.force_login(user_with_role(Role.EXECUTIVE, username="exec_report"))
    return client


def _quarters() -> tuple[dt.date, dt.date]:
    current = period_start(org_today(), QUARTER)
    return current, period_shift(current, QUARTER, -1)


def _headline_pair(metric, *, current, previous, ci, n=400, field="", value=""):
    """Snapshots of `metric` for this quarter (value `current`, interval `ci`) and the last."""
    this_quarter, last_quarter = _quarters()
    low, high = ci
    MetricSnapshotFactory(
        metric=metric,
        period_kind=QUARTER,
        period_start=this_quarter,
        segment_field=field,
        segment_value=value,
        value=current,
        ci_low=low,
        ci_high=high,
        n=n,
    )
    MetricSnapshotFactory(
        metric=metric,
        period_kind=QUARTER,
        period_start=last_quarter,
        segment_field=field,
        segment_value=value,
        value=previous,
        ci_low=previous - (high - low) / 2,
        ci_high=previous + (high - low) / 2,
        n=n,
    )


@pytest.fixture
def snapshots():
    """A quarter against the last: NPS up well outside its interval, CSAT up within it, CES down
    outside it; adoption and task success without a previous figure; NPS by segment; adoption of
    two features; 24 months of monthly NPS."""
    _headline_pair(Metric.NPS, current=41.0, previous=30.0, ci=(36.0, 46.0))
    _headline_pair(Metric.CSAT, current=82.0, previous=79.0, ci=(76.5, 87.5))
    _headline_pair(Metric.CES, current=4.9, previous=5.6, ci=(4.7, 5.1))
    this_quarter, _ = _quarters()
    for metric, value in ((Metric.ADOPTION, 61.5), (Metric.TASK_SUCCESS, 90.4)):
        MetricSnapshotFactory(
            metric=metric, period_kind=QUARTER, period_start=this_quarter, value=value, n=50
        )
    for segment, value in (("smb", 20.0), ("enterprise", 55.0)):
        MetricSnapshotFactory(
            metric=Metric.NPS,
            period_kind=QUARTER,
            period_start=this_quarter,
            segment_field="segment",
            segment_value=segment,
            value=value,
            ci_low=value - 8,
            ci_high=value + 8,
            n=200,
        )
    for feature, value in (("export", 35.0), ("dashboards", 72.0)):
        MetricSnapshotFactory(
            metric=Metric.ADOPTION,
            period_kind=QUARTER,
            period_start=this_quarter,
            segment_field="feature",
            segment_value=feature,
            value=value,
            ci_low=value - 5,
            ci_high=value + 5,
            n=80,
        )
    month = period_start(org_today(), MONTH)
    for back in range(24):
        MetricSnapshotFactory(
            metric=Metric.NPS,
            period_kind=MONTH,
            period_start=period_shift(month, MONTH, -back),
            value=10.0 + back,
            ci_low=back,
            ci_high=20.0 + back,
            n=100 + back,
        )


def _tile(response, metric: str) -> str:
    html = response.content.decode()
    start = html.index(f'data-testid="tile-{metric}"')
    return html[start : html.index("</div>", start)]


# --- the page -------------------------------------------------------------------------------------


def test_the_tiles_show_the_selectors_headline_figures(snapshots, exec_client):
    # When an executive opens the report
    response = exec_client.get(reverse(URL))

    # Then every tile shows its headline's figures as the selectors give them
    assert response.status_code == 200
    for metric in (Metric.NPS, Metric.CSAT, Metric.CES, Metric.ADOPTION, Metric.TASK_SUCCESS):
        found = headline(metric, QUARTER)
        tile = _tile(response, metric)
        assert value_text(metric, found.current.value) in tile
        assert f"n {found.current.n}" in tile
    assert "41.0" in _tile(response, Metric.NPS)
    assert "82.0%" in _tile(response, Metric.CSAT)
    assert "4.90" in _tile(response, Metric.CES)
    assert "90.4%" in _tile(response, Metric.TASK_SUCCESS)
    # and the monthly table the series', newest first
    series = snapshot_series(Metric.NPS, MONTH)
    newest = series.line().points[-1]
    table = response.content.decode().split('data-testid="monthly-table"')[1]
    assert table.index(f"{newest.value:.1f}") < table.index(f"{series.line().points[0].value:.1f}")
    # and the breakdown the selectors' breakdown
    breakdown = snapshot_breakdown(Metric.NPS, "segment", _quarters()[0], period_kind=QUARTER)
    assert [row.label for row in breakdown.rows] == ["Enterprise", "SMB"]
    segment_html = response.content.decode().split('data-testid="breakdown-segment"')[1]
    assert segment_html.index("Enterprise") < segment_html.index("SMB")
    assert "55.0" in segment_html


def test_a_change_is_flagged_only_when_it_lies_outside_the_interval(snapshots, exec_client):
    response = exec_client.get(reverse(URL))

    # NPS 30 → 41 with an interval 36…46: flagged, and better
    nps = _tile(response, Metric.NPS)
    assert 'data-testid="significant"' in nps
    assert "+11.0 pts" in nps
    assert "badge--good" in nps
    # CSAT 79 → 82 with an interval 76.5…87.5: shown, not flagged
    csat = _tile(response, Metric.CSAT)
    assert 'data-testid="significant"' not in csat
    assert "within the interval" in csat
    assert "+3.0 pts" in csat
    # CES 5.6 → 4.9 with an interval 4.7…5.1: flagged, and worse
    ces = _tile(response, Metric.CES)
    assert 'data-testid="significant"' in ces
    assert "badge--bad" in ces
    assert "−0.70" in ces
    # Adoption without a previous quarter: no change at all
    adoption = _tile(response, Metric.ADOPTION)
    assert "significant" not in adoption
    assert "within the interval" not in adoption


def test_the_last_complete_month_can_be_chosen(snapshots, exec_client):
    response = exec_client.get(reverse(URL), {"period": "month", "basis": "complete"})

    page = response.context["page"]
    assert (page["period_kind"], page["complete"]) == (MONTH, True)
    last_month = period_shift(period_start(org_today(), MONTH), MONTH, -1)
    assert page["period_start"] == last_month
    # the month before it had NPS 12, last month 11: both from the monthly snapshots
    report = executive_report(period_kind=MONTH, complete=True)
    assert report.tile(Metric.NPS).current.value == 11.0
    assert report.tile(Metric.NPS).previous.value == 12.0
    assert "11.0" in _tile(response, Metric.NPS)
    assert "period=month&amp;basis=complete" in response.content.decode()  # the downloads too


def test_an_unknown_period_falls_back_to_the_quarter(snapshots, exec_client):
    response = exec_client.get(reverse(URL), {"period": "decade"})

    assert response.status_code == 200
    assert response.context["page"]["period_kind"] == QUARTER


def test_before_any_computation_the_page_says_the_figures_are_coming(
    exec_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = exec_client.get(reverse(URL))

    assert response.status_code == 200
    assert b'data-testid="report-computing"' in response.content
    assert len(callbacks) == 1  # the refresh is queued


def test_the_churn_forecast_tile(snapshots, exec_client):
    # Before any scoring run
    response = exec_client.get(reverse(URL))
    assert "No churn forecast yet" in _tile(response, "churn")

    # After one: Σ probability × ARR
    run = ModelRun.objects.create(
        kind=ModelRun.Kind.CHURN_SCORE,
        status=RunStatus.SUCCEEDED,
        finished_at=timezone.now() - dt.timedelta(hours=1),
    )
    for probability in (0.25, 0.75):
        customer = CustomerFactory(arr=Decimal("20000"))
        run.churn_scores.create(
            customer=customer, probability=probability, scored_at=timezone.now()
        )
    from django.core.cache import cache

    cache.clear()
    response = exec_client.get(reverse(URL))
    tile = _tile(response, "churn")
    assert "$20,000" in tile
    assert "1 of 2 accounts at high risk" in tile


def test_rising_pain_points_come_from_the_ranking(snapshots, exec_client):
    rising = ThemeFactory(
        label="Exports time out",
        impact=50,
        emerging=True,
        statistics={"volume_90": 60, "volume_30": 40, "volume_previous_30": 10},
    )
    ThemeFactory(
        label="Falling",
        impact=80,
        statistics={"volume_90": 60, "volume_30": 5, "volume_previous_30": 30},
    )

    response = exec_client.get(reverse(URL))

    section = response.content.decode().split('data-testid="rising-pain-points"')[1]
    assert "Exports time out" in section
    assert "Falling" not in section
    assert reverse("insights:theme-detail", args=[rising.pk]) in section
    assert "+30" in section


# --- exports --------------------------------------------------------------------------------------


def test_the_csv_download_holds_the_same_figures(snapshots, exec_client):
    ThemeFactory(
        label='=HYPERLINK("http://evil")',
        impact=10,
        statistics={"volume_90": 9, "volume_30": 6, "volume_previous_30": 1},
    )

    response = exec_client.get(reverse("metrics:executive-report-csv"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert "executive-report-Q" in response["Content-Disposition"]
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    by_key = {(row["section"], row["metric"], row["period_kind"]): row for row in rows}
    nps = by_key[("headline", "nps", "quarter")]
    assert float(nps["value"]) == headline(Metric.NPS, QUARTER).current.value
    assert (nps["previous_value"], nps["change"], nps["significant"]) == ("30.0", "11.0", "yes")
    assert by_key[("headline", "csat", "quarter")]["significant"] == "no"
    monthly = [r for r in rows if r["section"] == "trend" and r["metric"] == "nps"]
    assert len([r for r in monthly if r["period_kind"] == "month"]) == 24
    segments = {
        r["group_value"]: r["value"]
        for r in rows
        if r["section"] == "breakdown" and r["group"] == "segment" and r["metric"] == "nps"
    }
    assert segments == {"Enterprise": "55.0", "SMB": "20.0"}
    pain = next(r for r in rows if r["section"] == "rising_pain_point")
    assert pain["group_value"].startswith("'=")  # a formula stays text


def test_negative_figures_stay_numbers_in_the_csv(exec_client):
    _headline_pair(Metric.NPS, current=-12.5, previous=-2.0, ci=(-20.0, -5.0))

    response = exec_client.get(reverse("metrics:executive-report-csv"))

    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    nps = next(r for r in rows if r["section"] == "headline" and r["metric"] == "nps")
    assert (nps["value"], nps["ci_low"], nps["change"]) == ("-12.5", "-20.0", "-10.5")


def test_the_pdf_download_holds_the_headline_table_monthly_figures_and_breakdowns(
    snapshots, exec_client
):
    response = exec_client.get(reverse("metrics:executive-report-pdf"), {"period": "quarter"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]

    text = executive_report_pdf(executive_report(), compress=False).decode("latin-1")
    for expected in (
        "Headline figures",
        "Monthly figures",
        "By segment",
        "Adoption by feature",
        "41.0",
        "significant",
        "Enterprise",
        "dashboards",
        "no churn forecast yet",
    ):
        assert expected in text, expected


def test_pdf_text_keeps_latin_1_and_replaces_the_rest():
    assert pdf_text("Café — 5 ≤ 6 “ok”") == 'Café - 5 <= 6 "ok"'
    assert pdf_text("Łódź 東京") == "Lódz ??"


# --- queries --------------------------------------------------------------------------------------


def _report_queries(client) -> list[str]:
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(URL))
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def _feedback(count: int) -> None:
    smb = CustomerFactory(segment=Segment.SMB)
    now = timezone.now()
    for index in range(count):
        FeedbackFactory(
            customer=smb,
            nps=index % 11,
            csat=index % 5 + 1,
            received_at=now - dt.timedelta(days=index % 200),
        )


def test_the_page_reads_no_feedback_and_its_queries_do_not_grow_with_it(exec_client):
    # Given snapshots computed from a little feedback
    _feedback(6)
    metric_snapshots_compute(force=True)
    small = _report_queries(exec_client)

    # When the feedback grows tenfold and the snapshots are computed again
    _feedback(60)
    metric_snapshots_compute(force=True)
    large = _report_queries(exec_client)

    # Then the page asks the database the same number of questions, none about feedback
    assert len(small) == len(large)
    assert not [sql for sql in large if "insights_feedback" in sql]
    assert len(large) <= 50


def test_a_cached_report_costs_a_handful_of_queries(snapshots, exec_client):
    exec_client.get(reverse(URL))  # builds the cache

    with CaptureQueriesContext(connection) as captured:
        response = exec_client.get(reverse(URL))

    assert response.status_code == 200
    queries = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    # session, user, permissions (two), the digest opt-in, the role in the menu and roadmap's
    # wins panel (one query while there is no win); no metric
    assert len(queries) <= 7, queries
    assert not [sql for sql in queries if "metrics_metricsnapshot" in sql]


# --- the digest opt-in ----------------------------------------------------------------------------


def test_the_digest_opt_in_is_saved_from_the_report_page(exec_client):
    user = exec_client.get(reverse(URL)).wsgi_request.user

    response = exec_client.post(
        reverse("metrics:executive-report-subscription"), {"weekly_digest": "on"}
    )

    assert response.status_code == 302
    assert response["Location"].endswith(reverse(URL) + "#digest")
    assert ReportSubscription.objects.get(user=user).weekly_digest is True
    page = exec_client.get(reverse(URL)).content.decode()
    assert 'name="weekly_digest" checked' in page or "checked" in page.split('id="digest"')[1]

    exec_client.post(reverse("metrics:executive-report-subscription"), {})

    assert ReportSubscription.objects.get(user=user).weekly_digest is False
