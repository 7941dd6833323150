"""The executive report (page, CSV, PDF, digest opt-in) and the product managers' dashboard.

Thin: `metrics.reports` and `metrics.dashboards` read, `metrics.charts` draws, `metrics.exports`
writes files, `metrics.digest` saves the opt-in. The executive report never aggregates feedback
in the request: it reads the snapshots; tests/metrics/test_executive_report.py pins its queries.

Both pages keep their figures, charts included, as rendered HTML in the cache
(`metrics.report_cache`: per period or per set of filters, under the snapshots' version): what
changes from person to person (the filter form, the digest opt-in, the menu) is rendered around
it on every request. Rendering dozens of tables and plotly figures takes longer than the rest of
a request together, and 50 people at once would pay it on every page (bench/dashboard_load.py).

Who: everyone who may read the reports (`metrics.view_metricsnapshot`: executives, product
managers, admins; not engineers). The dashboard also shows feedback, so it needs
`insights.view_feedback` as well.
"""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST, require_safe

from insights.exports import csv_download
from insights.forms import FeedbackFilterForm
from insights.permissions import user_can_view_original_text
from insights.selectors import FeedbackFilters
from metrics import charts, digest, exports
from metrics.dashboards import DASHBOARD_CACHE_SECONDS, PmDashboard, pm_dashboard
from metrics.forms import COMPLETE, CURRENT, ExecutiveReportForm, ReportSubscriptionForm
from metrics.report_cache import report_cached
from metrics.report_panels import report_panels_render
from metrics.reports import BREAKDOWN_METRICS, ExecutiveReport, executive_report
from metrics.selectors import METRICS, MONTH, QUARTER, org_today
from metrics.tasks import metric_snapshots_refresh

REPORT_PERMISSION = "metrics.view_metricsnapshot"
QUARTERLY_CHART_HEIGHT = 240
PERIOD_CHOICES = (
    ("Quarter so far", QUARTER, False),
    ("Last full quarter", QUARTER, True),
    ("Month so far", MONTH, False),
    ("Last full month", MONTH, True),
)


def _period_query(period_kind: str, complete: bool) -> str:
    return urlencode({"period": period_kind, "basis": COMPLETE if complete else CURRENT})


def _refresh_when_missing(has_snapshots: bool) -> None:
    if not has_snapshots:
        # Nothing computed yet (a fresh install; beat has not run): ask for it, as the reports
        # overview does. On workers this queues the refresh; embedded, it runs after the request.
        transaction.on_commit(metric_snapshots_refresh.delay)


def _report_from(request: HttpRequest) -> ExecutiveReport:
    period_kind, complete = ExecutiveReportForm(request.GET or None).options()
    report = executive_report(period_kind=period_kind, complete=complete)
    _refresh_when_missing(report.has_snapshots)
    return report


def _chart(chart_id: str, label: str, figure) -> dict:
    spec = charts.figure_spec(figure)
    return {
        "id": chart_id,
        "data_id": f"{chart_id}-data",
        "label": label,
        "spec": spec,
        # The figure's own height, reserved before plotly draws it: the page does not jump.
        "height": spec.get("layout", {}).get("height"),
    }


def _report_charts(report: ExecutiveReport) -> dict:
    return {
        "monthly": [
            _chart(
                f"trend-month-{series.metric}",
                METRICS[series.metric].label,
                charts.snapshot_trend_figure(series),
            )
            for series in report.monthly
        ],
        "quarterly": [
            _chart(
                f"trend-quarter-{series.metric}",
                METRICS[series.metric].label,
                charts.snapshot_trend_figure(series, height=QUARTERLY_CHART_HEIGHT),
            )
            for series in report.quarterly
        ],
        # NPS by each field: the first breakdown metric.
        "breakdowns": {
            table.field: _chart(
                f"breakdown-{table.field}",
                f"NPS by {table.title.lower()}",
                charts.breakdown_figure(table.breakdowns[0]),
            )
            for table in report.breakdowns
            if any(row.point.value is not None for row in table.breakdowns[0].rows)
        },
        "features": _chart(
            "adoption-by-feature", "Adoption by feature", charts.breakdown_figure(report.features)
        )
        if report.features.rows
        else None,
    }


def _report_page(period_kind: str, complete: bool, today: dt.date) -> dict:
    """What the report page shows of the report: its header facts and its body as HTML."""

    def build() -> dict:
        report = executive_report(period_kind=period_kind, complete=complete, today=today)
        page = {
            "period_kind": period_kind,
            "complete": complete,
            "has_snapshots": report.has_snapshots,
            "period_name": report.period_name,
            "previous_name": report.previous_name,
            "period_start": report.period_start,
            "period_end": report.period_end,
            "today": report.today,
            "computed_at": report.computed_at,
            "body": "",
        }
        if report.has_snapshots:
            figures = _report_charts(report)
            page["body"] = render_to_string(
                "metrics/executive_report_body.html",
                {
                    "report": report,
                    "charts": figures,
                    "breakdowns": [
                        {"table": table, "chart": figures["breakdowns"].get(table.field)}
                        for table in report.breakdowns
                    ],
                    "breakdown_labels": [METRICS[metric].label for metric in BREAKDOWN_METRICS],
                },
            )
        return page

    return report_cached("executive-page", (period_kind, complete, today), build)


@permission_required(REPORT_PERMISSION, raise_exception=True)
@require_safe
def executive_report_page(request: HttpRequest) -> HttpResponse:
    period_kind, complete = ExecutiveReportForm(request.GET or None).options()
    page = _report_page(period_kind, complete, org_today())
    _refresh_when_missing(page["has_snapshots"])
    query = _period_query(period_kind, complete)
    return render(
        request,
        "metrics/executive_report.html",
        {
            "page": page,
            "query": query,
            "period_choices": [
                {"label": label, "query": _period_query(kind, whole)}
                for label, kind, whole in PERIOD_CHOICES
            ],
            "panels": report_panels_render(request=request),
            "subscription_form": ReportSubscriptionForm(
                initial={"weekly_digest": digest.report_subscription_weekly(user=request.user)}
            ),
        },
    )


@permission_required(REPORT_PERMISSION, raise_exception=True)
@require_safe
def executive_report_csv(request: HttpRequest) -> HttpResponse:
    report = _report_from(request)
    return csv_download(
        exports.executive_report_filename(report, "csv"),
        exports.CSV_HEADER,
        exports.executive_report_csv_rows(report),
    )


@permission_required(REPORT_PERMISSION, raise_exception=True)
@require_safe
def executive_report_pdf(request: HttpRequest) -> HttpResponse:
    report = _report_from(request)
    response = HttpResponse(exports.executive_report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=exports.executive_report_filename(report, "pdf")
    )
    add_never_cache_headers(response)
    return response


@permission_required(REPORT_PERMISSION, raise_exception=True)
@require_POST
def report_subscription_update(request: HttpRequest) -> HttpResponse:
    form = ReportSubscriptionForm(request.POST)
    weekly = form.is_valid() and form.cleaned_data["weekly_digest"]
    digest.report_subscription_update(user=request.user, weekly_digest=weekly)
    if weekly:
        messages.success(request, "You will get the headline figures by email every Monday.")
    else:
        messages.success(request, "You will not get the weekly digest.")
    return redirect(reverse("metrics:executive-report") + "#digest")


# --- the product managers' dashboard --------------------------------------------------------------


def explorer_query(filters: FeedbackFilters, dashboard: PmDashboard, **extra: str) -> str:
    """The feedback explorer's query string for the dashboard's feedback: its filters (the form's
    field names), the dashboard's dates made explicit, and `extra` (e.g. a theme)."""
    values = {
        "q": filters.q,
        "source": filters.source,
        "received_from": dashboard.start.isoformat(),
        "received_to": dashboard.end.isoformat(),
        "score": filters.score,
        "sentiment_label": filters.sentiment_label,
        "segment": filters.segment,
        "theme": str(filters.theme_id or ""),
        **extra,
    }
    return urlencode({key: value for key, value in values.items() if value})


def _dashboard_charts(dashboard: PmDashboard) -> dict:
    has_nps = any(theme.nps.n for theme in dashboard.themes)
    has_sentiment = any(month.scored for month in dashboard.sentiment)
    return {
        "themes": _chart(
            "themes-chart",
            "NPS and detractor share by pain point",
            charts.theme_scores_figure(dashboard.themes),
        )
        if has_nps
        else None,
        "volume": _chart(
            "volume-chart",
            "Feedback by source and month",
            charts.source_volume_figure(dashboard.volume, dashboard.sources),
        ),
        "sentiment": _chart(
            "sentiment-chart",
            "Sentiment by month",
            charts.sentiment_trend_figure(dashboard.sentiment),
        )
        if has_sentiment
        else None,
    }


def _dashboard_page(filters: FeedbackFilters, today: dt.date) -> dict:
    def build() -> dict:
        dashboard = pm_dashboard(filters=filters, today=today)
        figures = _dashboard_charts(dashboard) if dashboard.total else None
        themes = [
            {
                "scores": theme,
                "explorer_query": explorer_query(filters, dashboard, theme=str(theme.theme_id))
                if theme.theme_id
                else None,
            }
            for theme in dashboard.themes
        ]
        body = render_to_string(
            "metrics/dashboard_body.html",
            {
                "dashboard": dashboard,
                "themes": themes,
                "charts": figures,
                "explorer_query": explorer_query(filters, dashboard),
            },
        )
        return {"dashboard": dashboard, "has_charts": bool(figures), "body": body}

    return report_cached(
        "pm-dashboard-page", (filters, today), build, timeout=DASHBOARD_CACHE_SECONDS
    )


@permission_required([REPORT_PERMISSION, "insights.view_feedback"], raise_exception=True)
@require_safe
def dashboard_page(request: HttpRequest) -> HttpResponse:
    show_original = user_can_view_original_text(request.user)
    form = FeedbackFilterForm(request.GET or None, search_original=show_original)
    filters = form.filters() if form.is_bound else FeedbackFilters(search_original=show_original)
    page = _dashboard_page(filters, org_today())
    return render(
        request,
        "metrics/dashboard.html",
        {
            "form": form,
            "page": page,
            "dashboard": page["dashboard"],
            "filtered": filters != FeedbackFilters(search_original=show_original),
        },
    )
