"""Backlight's URLs plus the baseline of bench/dashboard_load.py: the reports page as it was before
metric snapshots, counting NPS, CSAT and CES of 24 months of raw feedback on every request
(`metrics.selectors.scores_by_month`, three window-function queries over the feedback)."""

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_safe

from config.urls import urlpatterns as backlight_urlpatterns
from metrics.charts import CSAT_COLOUR, NPS_COLOUR, _trend_figure, figure_spec
from metrics.selectors import months_back, scores_by_month

MONTHS = 24


def _figure(periods, score: str, colour: str, y_range: tuple, suffix: str) -> dict:
    return figure_spec(
        _trend_figure(
            months=[p.start for p in periods],
            values=[getattr(p, score).value for p in periods],
            lows=[getattr(p, score).ci_low for p in periods],
            highs=[getattr(p, score).ci_high for p in periods],
            ns=[getattr(p, score).n for p in periods],
            colour=colour,
            name=score.upper(),
            y_range=y_range,
            suffix=suffix,
        )
    )


@permission_required("metrics.view_metricsnapshot", raise_exception=True)
@require_safe
def baseline_report(request):
    today = timezone.localdate()
    periods = scores_by_month(start=months_back(today, MONTHS - 1), end=today)
    has_answers = any(p.nps.n or p.csat.n for p in periods)
    return render(
        request,
        "metrics/report.html",
        {
            "periods": periods[::-1],
            "months": MONTHS,
            "computed": True,
            "has_answers": has_answers,
            "nps_chart": _figure(periods, "nps", NPS_COLOUR, (-100, 100), ""),
            "csat_chart": _figure(periods, "csat", CSAT_COLOUR, (0, 100), "%"),
        },
    )


urlpatterns = [
    *backlight_urlpatterns,
    path("bench/baseline-report/", baseline_report, name="bench-baseline-report"),
]
