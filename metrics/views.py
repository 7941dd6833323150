"""The reports page. Thin: it reads precomputed snapshots (never feedback), charts draw, templates
show."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from metrics.charts import csat_trend_figure, figure_spec, nps_trend_figure
from metrics.models import MetricSnapshot
from metrics.selectors import MONTH, SnapshotPoint, snapshot_series
from metrics.tasks import metric_snapshots_refresh

REPORT_MONTHS = 24
Metric = MetricSnapshot.Metric


@dataclass(frozen=True)
class ReportMonth:
    """One row of the figures table."""

    start: dt.date
    nps: SnapshotPoint
    csat: SnapshotPoint
    ces: SnapshotPoint


@permission_required("metrics.view_metricsnapshot", raise_exception=True)
@require_safe
def report(request: HttpRequest) -> HttpResponse:
    nps, csat, ces = (
        snapshot_series(metric, MONTH, months=REPORT_MONTHS)
        for metric in (Metric.NPS, Metric.CSAT, Metric.CES)
    )
    computed = nps.has_snapshots
    if not computed:
        # Nothing computed yet (a fresh install; beat has not run): ask for it. On workers this
        # queues the refresh; in the embedded default it runs in-process once this request ends.
        transaction.on_commit(metric_snapshots_refresh.delay)
    months = [
        ReportMonth(start=start, nps=n, csat=c, ces=e)
        for start, n, c, e in zip(
            nps.period_starts,
            nps.line().points,
            csat.line().points,
            ces.line().points,
            strict=True,
        )
    ]
    has_answers = any(month.nps.n or month.csat.n for month in months)
    return render(
        request,
        "metrics/report.html",
        {
            "periods": months[::-1],
            "months": REPORT_MONTHS,
            "computed": computed,
            "computed_at": nps.computed_at,
            "has_answers": has_answers,
            "nps_chart": figure_spec(nps_trend_figure(nps)) if has_answers else None,
            "csat_chart": figure_spec(csat_trend_figure(csat)) if has_answers else None,
        },
    )
