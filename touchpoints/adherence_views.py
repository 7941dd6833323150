"""The goal adherence page and its CSV export. Thin: `touchpoints.adherence` computes, the
template shows."""

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from insights.exports import csv_download
from touchpoints import charts
from touchpoints.adherence import ENGINEER_COLUMNS, adherence_engineer_rows, adherence_report

MIN_YEAR, MAX_YEAR = 2000, 2100


def _year(request: HttpRequest) -> int:
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", this_year))
    except (TypeError, ValueError):
        return this_year
    return year if MIN_YEAR <= year <= MAX_YEAR else this_year


@permission_required("touchpoints.view_touchpointgoal", raise_exception=True)
@require_safe
def touchpoint_adherence(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    report = adherence_report(year=year)
    return render(
        request,
        "touchpoints/adherence.html",
        {
            "report": report,
            "year": year,
            "previous_year": year - 1,
            "next_year": year + 1,
            "heatmap": charts.adherence_heatmap_spec(report),
            "kind_chart": charts.kind_breakdown_spec(report),
            "partner_chart": charts.partner_breakdown_spec(report),
            "kind_rows": charts.kind_breakdown_rows(report),
            "partner_rows": charts.partner_breakdown_rows(report),
        },
    )


@permission_required("touchpoints.view_touchpointgoal", raise_exception=True)
@require_safe
def touchpoint_adherence_csv(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    report = adherence_report(year=year)
    rows = (
        [
            row["username"],
            row["team"],
            row["count"],
            row["target"],
            ", ".join(row["kinds_done"]),
            row["status"],
            "; ".join(row["missing"]),
        ]
        for row in adherence_engineer_rows(report)
    )
    return csv_download(f"touchpoint-adherence-{year}.csv", ENGINEER_COLUMNS, rows)
