"""The read side of the dashboards: precomputed MetricSnapshot rows, cached, as frozen dataclasses.

Pages never aggregate feedback or usage: `metrics.services.metric_snapshots_compute` writes the
snapshots (after imports, by a beat task that looks for changes, and nightly), and these selectors
read them — one query each with a cold cache, none with a warm one. The cache is keyed by a version
number that every computation bumps, so a page after a refresh sees the new figures.

Values are in the unit of their metric (`METRICS`): NPS in points (−100…100), CSAT, adoption, task
success and touchpoint adherence in percent, CES as a mean on 1…7. Groups (`segment_field`):
"" is every account; "segment", "plan" and "region" are the account's fields; "feature" holds
adoption per feature; "team" holds touchpoint adherence per engineering team. A group value of ""
means "not set" (feedback without an account, or an account without the field).
"""

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.core.cache import cache
from django.db.models import Q

from insights.models import Plan, Region, Segment
from metrics.models import MetricSnapshot
from metrics.selectors.periods import (
    QUARTER,
    months_back,
    org_timezone,
    org_today,
    period_end,
    period_shift,
    period_starts,
)
from metrics.selectors.periods import period_start as start_of_period

Metric = MetricSnapshot.Metric
PeriodKind = MetricSnapshot.PeriodKind

CACHE_VERSION_KEY = "metrics:snapshots:version"
CACHE_TIMEOUT = 6 * 60 * 60
ALL_ACCOUNTS = "All accounts"
NOT_SET = "Not set"
_CHOICE_LABELS = {
    "segment": dict(Segment.choices),
    "plan": dict(Plan.choices),
    "region": dict(Region.choices),
}
SEGMENT_FIELDS = ("", "segment", "plan", "region", "feature", "team")


@dataclass(frozen=True)
class MetricInfo:
    """How to show a metric: its label, unit suffix, scale and which way is good."""

    label: str
    unit: str
    low: float | None
    high: float | None
    higher_is_better: bool = True


METRICS: dict[str, MetricInfo] = {
    Metric.NPS: MetricInfo("NPS", "", -100, 100),
    Metric.CSAT: MetricInfo("CSAT", "%", 0, 100),
    # CES as the importers read it: 7 is "it was easy" (it rises with NPS in every source seen).
    Metric.CES: MetricInfo("CES", "", 1, 7),
    Metric.ADOPTION: MetricInfo("Adoption", "%", 0, 100),
    Metric.TASK_SUCCESS: MetricInfo("Task success", "%", 0, 100),
    Metric.TOUCHPOINT_ADHERENCE: MetricInfo("Touchpoint adherence", "%", 0, 100),
    Metric.CHURN_FORECAST: MetricInfo("Expected churned ARR (90 days)", "", 0, None, False),
}


@dataclass(frozen=True)
class SnapshotPoint:
    """One metric of one period and group as the last computation stored it. Without a snapshot
    (not computed yet, or no data for the group) `computed_at` is None, `value` None, `n` 0.
    `partial` is True when the period had not ended when it was computed (or has not ended)."""

    period_start: dt.date
    period_end: dt.date
    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    computed_at: dt.datetime | None
    partial: bool

    @property
    def has_value(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class SeriesLine:
    """One group's points, aligned with `SnapshotSeries.period_starts`."""

    segment_value: str
    label: str
    points: tuple[SnapshotPoint, ...]


@dataclass(frozen=True)
class SnapshotSeries:
    """A metric over time: every account (one line, segment value "") or one line per value of
    `segment_field`, oldest period first, periods without a snapshot included as empty points."""

    metric: str
    period_kind: str
    segment_field: str
    period_starts: tuple[dt.date, ...]
    lines: tuple[SeriesLine, ...]
    computed_at: dt.datetime | None  # the latest computation seen; None: no snapshot at all

    @property
    def has_snapshots(self) -> bool:
        return self.computed_at is not None

    def line(self, segment_value: str = "") -> SeriesLine | None:
        return next((line for line in self.lines if line.segment_value == segment_value), None)


@dataclass(frozen=True)
class Headline:
    """A metric's current period against the one before.

    `change` is current − previous (None unless both have a value). `significant` is True only
    when the previous value lies outside the current period's 95 % interval: a simple, readable
    test that errs on the side of "not significant" (it ignores the previous period's own
    uncertainty), so a change flagged significant is one worth talking about."""

    metric: str
    period_kind: str
    segment_field: str
    segment_value: str
    current: SnapshotPoint
    previous: SnapshotPoint
    change: float | None
    significant: bool


@dataclass(frozen=True)
class BreakdownRow:
    segment_value: str
    label: str
    point: SnapshotPoint


@dataclass(frozen=True)
class Breakdown:
    """A metric in one period split by the values of `segment_field`, highest value first (groups
    without a value last), with the figure of every account for comparison."""

    metric: str
    period_kind: str
    period_start: dt.date
    segment_field: str
    overall: SnapshotPoint
    rows: tuple[BreakdownRow, ...]


# --- cache ---------------------------------------------------------------------------------------

T = TypeVar("T")


def snapshots_cache_version() -> int:
    """The current version of the cached figures. A lost version key (evicted, flushed) restarts
    from the clock, never from a number whose entries may still be cached."""
    version = cache.get(CACHE_VERSION_KEY)
    if version is None:
        cache.add(CACHE_VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(CACHE_VERSION_KEY, 0)
    return version


def snapshots_cache_invalidate() -> None:
    """Make every cached figure stale: the next read goes to the snapshots again."""
    try:
        cache.incr(CACHE_VERSION_KEY)
    except ValueError:
        cache.add(CACHE_VERSION_KEY, time.time_ns(), timeout=None)


def _cached(name: str, args: tuple, build: Callable[[], T]) -> T:
    digest = hashlib.sha256(repr(args).encode()).hexdigest()[:32]
    key = f"metrics:snapshots:{snapshots_cache_version()}:{name}:{digest}"
    found = cache.get(key)
    if found is None:
        found = build()
        cache.set(key, found, CACHE_TIMEOUT)
    return found


# --- reading -------------------------------------------------------------------------------------


def segment_label(segment_field: str, segment_value: str) -> str:
    """How a group value reads on a page: the choice's label ("SMB"), the feature or team name."""
    if not segment_field:
        return ALL_ACCOUNTS
    if not segment_value:
        return NOT_SET
    return _CHOICE_LABELS.get(segment_field, {}).get(segment_value, segment_value)


def _validate(metric: str, period_kind: str, segment_field: str = "") -> None:
    if metric not in Metric.values:
        raise ValueError(f"Unknown metric {metric!r}.")
    if period_kind not in PeriodKind.values:
        raise ValueError(f"Unknown period kind {period_kind!r}.")
    if segment_field not in SEGMENT_FIELDS:
        raise ValueError(f"Unknown segment field {segment_field!r}; use one of {SEGMENT_FIELDS}.")


_FIELDS = ("period_start", "segment_field", "segment_value", "value", "n", "ci_low", "ci_high")


def _point(period_kind: str, start: dt.date, row: dict | None, today: dt.date) -> SnapshotPoint:
    end = period_end(start, period_kind)
    if row is None:
        return SnapshotPoint(start, end, None, 0, None, None, None, partial=end >= today)
    computed_on = row["computed_at"].astimezone(org_timezone()).date()
    return SnapshotPoint(
        period_start=start,
        period_end=end,
        value=row["value"],
        n=row["n"],
        ci_low=row["ci_low"],
        ci_high=row["ci_high"],
        computed_at=row["computed_at"],
        partial=end >= computed_on,
    )


def _rows(**filters) -> list[dict]:
    return list(MetricSnapshot.objects.filter(**filters).values(*_FIELDS, "computed_at"))


def snapshot_series(
    metric: str,
    period_kind: str,
    segment_field: str = "",
    months: int = 24,
    *,
    today: dt.date | None = None,
) -> SnapshotSeries:
    """`metric` per month, quarter or year over the periods that start on or after the period
    containing the first day of the month `months − 1` months ago, up to the current one
    (24 months: 24 months, 9 quarters or 3 years). One query cold, none cached."""
    _validate(metric, period_kind, segment_field)
    today = today or org_today()

    def build() -> SnapshotSeries:
        starts = period_starts(
            start=months_back(today, months - 1), end=today, period_kind=period_kind
        )
        rows = _rows(
            metric=metric,
            period_kind=period_kind,
            segment_field=segment_field,
            period_start__gte=starts[0],
            period_start__lte=starts[-1],
        )
        by_value: dict[str, dict[dt.date, dict]] = {}
        for row in rows:
            by_value.setdefault(row["segment_value"], {})[row["period_start"]] = row
        if not segment_field:
            by_value.setdefault("", {})
        lines = [
            SeriesLine(
                segment_value=value,
                label=segment_label(segment_field, value),
                points=tuple(_point(period_kind, s, found.get(s), today) for s in starts),
            )
            for value, found in by_value.items()
        ]
        lines.sort(key=lambda line: (line.segment_value == "", line.label.lower()))
        return SnapshotSeries(
            metric=metric,
            period_kind=period_kind,
            segment_field=segment_field,
            period_starts=tuple(starts),
            lines=tuple(lines),
            computed_at=max((row["computed_at"] for row in rows), default=None),
        )

    return _cached("series", (metric, period_kind, segment_field, months, today), build)


def headline(
    metric: str,
    period_kind: str = QUARTER,
    *,
    segment_field: str = "",
    segment_value: str = "",
    complete: bool = False,
    today: dt.date | None = None,
) -> Headline:
    """`metric` in the current period (the one containing today; with `complete`, the last one
    that has ended) against the period before, for every account or one group. One query cold,
    none cached."""
    _validate(metric, period_kind, segment_field)
    today = today or org_today()

    def build() -> Headline:
        current_start = start_of_period(today, period_kind)
        if complete:
            current_start = period_shift(current_start, period_kind, -1)
        previous_start = period_shift(current_start, period_kind, -1)
        rows = {
            row["period_start"]: row
            for row in _rows(
                metric=metric,
                period_kind=period_kind,
                segment_field=segment_field,
                segment_value=segment_value,
                period_start__in=[current_start, previous_start],
            )
        }
        current = _point(period_kind, current_start, rows.get(current_start), today)
        previous = _point(period_kind, previous_start, rows.get(previous_start), today)
        change = None
        if current.value is not None and previous.value is not None:
            change = current.value - previous.value
        significant = (
            change is not None
            and current.ci_low is not None
            and current.ci_high is not None
            and not current.ci_low <= previous.value <= current.ci_high
        )
        return Headline(
            metric=metric,
            period_kind=period_kind,
            segment_field=segment_field,
            segment_value=segment_value,
            current=current,
            previous=previous,
            change=change,
            significant=significant,
        )

    args = (metric, period_kind, segment_field, segment_value, complete, today)
    return _cached("headline", args, build)


def snapshot_breakdown(
    metric: str,
    segment_field: str,
    period_start: dt.date,
    *,
    period_kind: str = QUARTER,
    today: dt.date | None = None,
) -> Breakdown:
    """`metric` in the period (of `period_kind`) containing `period_start`, one row per value of
    `segment_field`. One query cold, none cached."""
    _validate(metric, period_kind, segment_field)
    if not segment_field:
        raise ValueError("A breakdown needs a segment field.")
    today = today or org_today()
    start = start_of_period(period_start, period_kind)

    def build() -> Breakdown:
        rows = list(
            MetricSnapshot.objects.filter(
                Q(segment_field="") | Q(segment_field=segment_field),
                metric=metric,
                period_kind=period_kind,
                period_start=start,
            ).values(*_FIELDS, "computed_at")
        )
        overall = next((row for row in rows if not row["segment_field"]), None)
        breakdown = [
            BreakdownRow(
                segment_value=row["segment_value"],
                label=segment_label(segment_field, row["segment_value"]),
                point=_point(period_kind, start, row, today),
            )
            for row in rows
            if row["segment_field"]
        ]
        breakdown.sort(
            key=lambda r: (r.point.value is None, -(r.point.value or 0), r.label.lower())
        )
        return Breakdown(
            metric=metric,
            period_kind=period_kind,
            period_start=start,
            segment_field=segment_field,
            overall=_point(period_kind, start, overall, today),
            rows=tuple(breakdown),
        )

    return _cached("breakdown", (metric, segment_field, start, period_kind, today), build)
