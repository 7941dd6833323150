"""Computing the metric snapshots that dashboards read.

One computation is one `ModelRun` (kind METRICS) with its timings and counts. It counts in the
database (`metrics.selectors.scores_grouped`, `usage_grouped`) and touchpoint adherence through
`touchpoints.adherence`, then replaces the snapshots of its window in one short transaction, so
running it twice gives the same rows. What it writes, for the last `SNAPSHOT_MONTHS` months:

* periods: every month, and every quarter and year that overlaps them (whole periods; the
  current one up to today);
* NPS, CSAT, CES, adoption and task success for every account (segment field "", one row per
  period even without data, so "computed, nothing there" differs from "not computed yet") and
  per value of the account's segment, plan and region (only groups with data);
* adoption per feature (segment field "feature"; the usage data has no task breakdown by
  feature, so task success has none);
* touchpoint adherence (% of engineers with a goal who are on track or done, as of the period's
  last day or today) for the organisation and per team (segment field "team").

* the churn forecast (expected churned ARR in 90 days) of the latest churn scoring run by each
  period's end, for every account and per segment, plan and region.
"""

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from insights.models import ModelRun, RunStatus
from insights.selectors import feedback_max_id, insights_changed_since
from insights.selectors.churn import (
    ChurnForecast,
    churn_forecast,
    churn_forecast_by,
    churn_score_run_latest,
)
from insights.services.runs import run_claim
from metrics.calculations import RateResult, rate_from_counts
from metrics.models import MetricSnapshot
from metrics.selectors import (
    GROUP_FIELDS,
    MONTH,
    PERIOD_KINDS,
    QUARTER,
    YEAR,
    empty_scores,
    empty_usage,
    months_back,
    org_timezone,
    period_end,
    period_starts,
    scores_grouped,
    snapshots_cache_invalidate,
    usage_grouped,
)
from touchpoints.adherence import AdherenceReport, adherence_report

logger = logging.getLogger(__name__)

Metric = MetricSnapshot.Metric
SNAPSHOT_MONTHS = 24
# The metrics this computation owns: it deletes and rewrites only these.
COMPUTED_METRICS = (
    Metric.NPS,
    Metric.CSAT,
    Metric.CES,
    Metric.ADOPTION,
    Metric.TASK_SUCCESS,
    Metric.TOUCHPOINT_ADHERENCE,
    Metric.CHURN_FORECAST,
)
# Without a change, snapshots are recomputed at least this often anyway (edits of existing
# feedback and touchpoints are not detected; the nightly run and this cover them).
RECOMPUTE_AFTER = dt.timedelta(hours=24)
LOCK_KEY = "metrics:snapshots:lock"
BATCH_SIZE = 1000
_VALUE_MAX_LENGTH = MetricSnapshot._meta.get_field("segment_value").max_length


@dataclass(frozen=True)
class SnapshotWindow:
    """The periods one computation covers: `starts[kind]` oldest first, up to `today`'s."""

    today: dt.date
    starts: dict[str, list[dt.date]]

    @classmethod
    def ending(cls, today: dt.date, *, months: int = SNAPSHOT_MONTHS) -> "SnapshotWindow":
        first_month = months_back(today, months - 1)
        return cls(
            today=today,
            starts={
                kind: period_starts(start=first_month, end=today, period_kind=kind)
                for kind in PERIOD_KINDS
            },
        )

    def first(self, kind: str) -> dt.date:
        return self.starts[kind][0]


def metric_snapshots_compute(
    *, as_of: dt.datetime | None = None, force: bool = False
) -> ModelRun | None:
    """Recompute every snapshot of the window ending on `as_of`'s day (default now; data through
    the end of that day in the organisation's zone) and return the run. Without `force`, only
    when something changed since the last successful run (`insights_changed_since`: new
    feedback, a finished import, stored usage, a changed account), or when that run is older
    than RECOMPUTE_AFTER or was for another day; otherwise, or while another computation runs,
    None.

    Not atomic as a whole: the counting is long and reads only, so it runs outside a
    transaction; the snapshots and the run's outcome are written together in one short one."""
    now = timezone.now()
    as_of = as_of or now
    today = timezone.localtime(as_of, org_timezone()).date()
    # A lock in the cache (Redis with workers) keeps two workers from computing at once; the
    # RUNNING check covers processes that do not share a cache.
    if not cache.add(LOCK_KEY, now.isoformat(), timeout=settings.CELERY_TASK_TIME_LIMIT):
        return None
    try:
        reason = "forced" if force else _recompute_reason(today=today, now=now)
        if reason is None or _running(now=now):
            return None
        run = ModelRun.objects.create(
            kind=ModelRun.Kind.METRICS,
            parameters={
                "reason": reason,
                "as_of": as_of.isoformat(),
                "today": today.isoformat(),
                "months": SNAPSHOT_MONTHS,
                # Read before counting: feedback stored meanwhile triggers the next refresh.
                "feedback_max_id": feedback_max_id(),
            },
        )
        if not run_claim(model=ModelRun, run_id=run.pk):
            return None
        try:
            _compute(run=run, window=SnapshotWindow.ending(today), computed_at=as_of)
        except Exception as error:
            ModelRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
                status=RunStatus.FAILED, error=str(error)[:2000], finished_at=timezone.now()
            )
            logger.exception("Metric snapshots run %s failed", run.pk)
            raise
    finally:
        cache.delete(LOCK_KEY)
    # Now for readers outside any transaction, and again on commit for callers inside one, so
    # no reader caches the old figures under the new version.
    snapshots_cache_invalidate()
    transaction.on_commit(snapshots_cache_invalidate)
    return ModelRun.objects.defer("artifact").get(pk=run.pk)


def _last_succeeded() -> ModelRun | None:
    return (
        ModelRun.objects.filter(kind=ModelRun.Kind.METRICS, status=RunStatus.SUCCEEDED)
        .defer("artifact")
        .order_by("-started_at", "-id")
        .first()
    )


def _recompute_reason(*, today: dt.date, now: dt.datetime) -> str | None:
    last = _last_succeeded()
    if last is None or last.started_at is None or not MetricSnapshot.objects.exists():
        return "first"
    if last.parameters.get("today") != today.isoformat() or now - last.started_at > RECOMPUTE_AFTER:
        return "stale"
    if insights_changed_since(
        since=last.started_at, feedback_after_id=int(last.parameters.get("feedback_max_id", 0))
    ):
        return "changed"
    scored = churn_score_run_latest()
    if scored is not None and scored.finished_at and scored.finished_at > last.started_at:
        return "churn scored"
    return None


def _running(*, now: dt.datetime) -> bool:
    return ModelRun.objects.filter(
        kind=ModelRun.Kind.METRICS,
        status=RunStatus.RUNNING,
        started_at__gte=now - settings.BACKLIGHT_RUN_STALE_AFTER,
    ).exists()


def _compute(*, run: ModelRun, window: SnapshotWindow, computed_at: dt.datetime) -> None:
    """`computed_at` is the moment the figures are as of: the run's `as_of`, normally now."""
    timings: dict[str, float] = {}
    rows: list[MetricSnapshot] = []
    answers: Counter[str] = Counter()
    for kind in PERIOD_KINDS:
        started = time.perf_counter()
        scores = scores_grouped(
            start=window.first(kind), end=window.today, period_kind=kind, group_fields=GROUP_FIELDS
        )
        timings[f"scores_{kind}"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        usage = usage_grouped(
            start=window.first(kind), end=window.today, period_kind=kind, group_fields=GROUP_FIELDS
        )
        timings[f"usage_{kind}"] = round(time.perf_counter() - started, 3)
        rows += _score_rows(kind, window, scores, computed_at)
        rows += _usage_rows(kind, window, usage, computed_at)
        if kind == MONTH:
            for key, figures in scores.items():
                if not key[1]:
                    answers["nps"] += figures.nps.n
                    answers["csat"] += figures.csat.n
                    answers["ces"] += figures.ces.n
    started = time.perf_counter()
    rows += _adherence_rows(window, computed_at)
    timings["adherence"] = round(time.perf_counter() - started, 3)
    rows += churn_forecast_snapshots(window=window, computed_at=computed_at)

    started = time.perf_counter()
    replaced = Q()
    for kind in PERIOD_KINDS:
        replaced |= Q(period_kind=kind, period_start__gte=window.first(kind))
    with transaction.atomic():
        deleted, _ = MetricSnapshot.objects.filter(
            replaced, metric__in=COMPUTED_METRICS + _extra_metrics(rows)
        ).delete()
        MetricSnapshot.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        timings["write"] = round(time.perf_counter() - started, 3)
        ModelRun.objects.filter(pk=run.pk).update(
            status=RunStatus.SUCCEEDED,
            progress=1.0,
            data_size=len(rows),
            timings=timings,
            metrics={
                "snapshots": len(rows),
                "replaced": deleted,
                "by_metric": dict(Counter(row.metric for row in rows)),
                "answers_counted": dict(answers),
                "periods": {kind: len(starts) for kind, starts in window.starts.items()},
            },
            finished_at=timezone.now(),
        )


def _extra_metrics(rows: list[MetricSnapshot]) -> tuple[str, ...]:
    """Metrics beyond COMPUTED_METRICS that this run produced (churn, once it is plugged in)."""
    return tuple({row.metric for row in rows} - set(COMPUTED_METRICS))


def _snapshot(
    metric: str,
    kind: str,
    start: dt.date,
    result,
    computed_at: dt.datetime,
    segment: tuple[str, str] = ("", ""),
) -> MetricSnapshot:
    return MetricSnapshot(
        metric=metric,
        period_kind=kind,
        period_start=start,
        segment_field=segment[0],
        segment_value=segment[1],
        value=result.value,
        n=result.n,
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        computed_at=computed_at,
    )


def _grouped_results(
    kind: str,
    window: SnapshotWindow,
    grouped: dict,
    empty: Callable[[dt.date], object],
    computed_at: dt.datetime,
    pick: Callable[[object], list[tuple[str, object]]],
) -> Iterable[MetricSnapshot]:
    """Rows for every period (every account, even when empty) and each group with data."""
    for start in window.starts[kind]:
        for metric, result in pick(grouped.get((start, "", ""), empty(start))):
            yield _snapshot(metric, kind, start, result, computed_at)
    for (start, field, value), figures in grouped.items():
        if not field or start not in window.starts[kind] or len(value) > _VALUE_MAX_LENGTH:
            continue
        for metric, result in pick(figures):
            if result.n:
                yield _snapshot(metric, kind, start, result, computed_at, (field, value))


def _score_rows(
    kind: str, window: SnapshotWindow, scores: dict, computed_at: dt.datetime
) -> list[MetricSnapshot]:
    def pick(figures):
        return [(Metric.NPS, figures.nps), (Metric.CSAT, figures.csat), (Metric.CES, figures.ces)]

    return list(_grouped_results(kind, window, scores, empty_scores, computed_at, pick))


def _usage_rows(
    kind: str, window: SnapshotWindow, usage: dict, computed_at: dt.datetime
) -> list[MetricSnapshot]:
    def pick(figures):
        return [(Metric.ADOPTION, figures.adoption), (Metric.TASK_SUCCESS, figures.task_success)]

    rows = list(_grouped_results(kind, window, usage, empty_usage, computed_at, pick))
    for start in window.starts[kind]:
        figures = usage.get((start, "", ""))
        for feature, result in (figures.features if figures else {}).items():
            if len(feature) <= _VALUE_MAX_LENGTH:
                segment = ("feature", feature)
                rows.append(_snapshot(Metric.ADOPTION, kind, start, result, computed_at, segment))
    return rows


def _adherence_rate(covered: int, with_goal: int) -> RateResult:
    return rate_from_counts(successes=covered, n=with_goal)


def _adherence_rows(window: SnapshotWindow, computed_at: dt.datetime) -> list[MetricSnapshot]:
    """Adherence as of each period's last day (today for the current period): one report per
    distinct day, five queries each."""
    reports: dict[dt.date, AdherenceReport] = {}
    rows = []
    for kind in (MONTH, QUARTER, YEAR):
        for start in window.starts[kind]:
            as_of = min(period_end(start, kind), window.today)
            if as_of not in reports:
                reports[as_of] = adherence_report(year=as_of.year, as_of=as_of)
            report = reports[as_of]
            organisation = report.organisation
            rows.append(
                _snapshot(
                    Metric.TOUCHPOINT_ADHERENCE,
                    kind,
                    start,
                    _adherence_rate(organisation.covered, organisation.with_goal),
                    computed_at,
                )
            )
            for team in report.teams:
                if team.with_goal and len(team.name) <= _VALUE_MAX_LENGTH:
                    rows.append(
                        _snapshot(
                            Metric.TOUCHPOINT_ADHERENCE,
                            kind,
                            start,
                            _adherence_rate(team.covered, team.with_goal),
                            computed_at,
                            ("team", team.name),
                        )
                    )
    return rows


def churn_forecast_snapshots(
    *, window: SnapshotWindow, computed_at: dt.datetime
) -> list[MetricSnapshot]:
    """Expected churned ARR in the next 90 days (Metric.CHURN_FORECAST), defined once in
    `insights.selectors.churn.churn_forecast`: per period of `window`, the forecast of the latest
    churn scoring run by the period's end (today for the current one) — value = Σ probability ×
    ARR of the accounts it scored that had not churned, n = those accounts. For every account
    (a row per period, value None before any scoring run) and per segment, plan and region. Two
    queries per period and group field: a few hundred small ones in the background run."""
    rows: list[MetricSnapshot] = []
    for kind in PERIOD_KINDS:
        for start in window.starts[kind]:
            as_of = min(period_end(start, kind), window.today)
            forecast = churn_forecast(as_of=as_of)
            rows.append(
                _snapshot(
                    Metric.CHURN_FORECAST,
                    kind,
                    start,
                    _ForecastFigure.of(forecast),
                    computed_at,
                )
            )
            if forecast.run_id is None:
                continue
            for field in GROUP_FIELDS:
                for value, group in churn_forecast_by(dimension=field, as_of=as_of).items():
                    if value:
                        rows.append(
                            _snapshot(
                                Metric.CHURN_FORECAST,
                                kind,
                                start,
                                _ForecastFigure.of(group),
                                computed_at,
                                (field, value),
                            )
                        )
    return rows


@dataclass(frozen=True)
class _ForecastFigure:
    """A churn forecast in the shape `_snapshot` writes (no interval: a sum of probabilities)."""

    value: float | None
    n: int
    ci_low: None = None
    ci_high: None = None

    @classmethod
    def of(cls, forecast: ChurnForecast) -> "_ForecastFigure":
        if forecast.run_id is None:
            return cls(None, 0)
        return cls(float(forecast.expected_arr), forecast.accounts_scored)
