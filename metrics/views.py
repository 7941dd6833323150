"""The reports page. Thin: selectors count, charts draw, templates show."""

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from metrics.charts import csat_trend_figure, figure_spec, nps_trend_figure
from metrics.selectors import months_back, scores_by_month

REPORT_MONTHS = 24


@permission_required("metrics.view_metricsnapshot", raise_exception=True)
@require_safe
def report(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    periods = scores_by_month(start=months_back(today, REPORT_MONTHS - 1), end=today)
    has_answers = any(p.nps.n or p.csat.n for p in periods)
    return render(
        request,
        "metrics/report.html",
        {
            "periods": periods[::-1],
            "months": REPORT_MONTHS,
            "has_answers": has_answers,
            "nps_chart": figure_spec(nps_trend_figure(periods)) if has_answers else None,
            "csat_chart": figure_spec(csat_trend_figure(periods)) if has_answers else None,
        },
    )
