"""The executive report as data: what the page, its CSV and PDF exports and the weekly digest show.

Everything is read from the metric snapshots through `metrics.selectors` (never from feedback):
the headline of each metric against the period before, its monthly and quarterly series with
their 95 % intervals, breakdowns by segment, plan and region, adoption by feature, the pain points
rising fastest (insights' ranking) and the churn forecast (insights' latest scoring run). The
whole report is cached under the snapshots' version (`metrics.report_cache`), so a page costs a
cache read once someone has opened it since the last computation.

A change is flagged only when it is significant in the selectors' sense
(`metrics.selectors.Headline.significant`: the previous value lies outside the current period's
95 % interval); every other change is shown, but as within the noise.
"""

import datetime as dt
from dataclasses import dataclass

from insights.selectors import pain_points_ranked
from insights.selectors.churn import ChurnForecast, churn_forecast
from metrics.models import MetricSnapshot
from metrics.report_cache import report_cached
from metrics.selectors import (
    METRICS,
    MONTH,
    QUARTER,
    Breakdown,
    Headline,
    MetricInfo,
    SnapshotPoint,
    SnapshotSeries,
    headline,
    org_today,
    period_end,
    period_shift,
    period_start,
    segment_label,
    snapshot_breakdown,
    snapshot_series,
)

Metric = MetricSnapshot.Metric

HEADLINE_METRICS = (
    Metric.NPS,
    Metric.CSAT,
    Metric.CES,
    Metric.ADOPTION,
    Metric.TASK_SUCCESS,
    Metric.TOUCHPOINT_ADHERENCE,
)
TREND_METRICS = HEADLINE_METRICS
# Touchpoint adherence is about engineers, not accounts: it has no segment, plan or region.
BREAKDOWN_METRICS = (Metric.NPS, Metric.CSAT, Metric.CES, Metric.ADOPTION, Metric.TASK_SUCCESS)
BREAKDOWN_FIELDS = {"segment": "Segment", "plan": "Plan", "region": "Region"}
PERIOD_KINDS = {QUARTER: "Quarter", MONTH: "Month"}
TREND_MONTHS = 24
RISING_LIMIT = 5


# --- formatting, shared by the page, the exports and the digest ---------------------------------


def _decimals(metric: str) -> int:
    return 2 if metric == Metric.CES else 1


def value_text(metric: str, value: float | None) -> str:
    """A metric's value as people read it: "32.5", "87.1%", "5.42"; "—" when there is none."""
    if value is None:
        return "—"
    return f"{value:.{_decimals(metric)}f}{METRICS[metric].unit}"


def change_text(metric: str, change: float | None) -> str:
    """A change with its sign, in points for percentages and NPS: "+3.2 pts", "−0.15"."""
    if change is None:
        return "—"
    unit = "" if metric == Metric.CES else " pts"
    sign = "+" if change > 0 else ("−" if change < 0 else "±")
    return f"{sign}{abs(change):.{_decimals(metric)}f}{unit}"


def interval_text(metric: str, point: SnapshotPoint) -> str:
    if point.ci_low is None or point.ci_high is None:
        return "—"
    places = _decimals(metric)
    return f"{point.ci_low:.{places}f} to {point.ci_high:.{places}f}"


def period_label(start: dt.date, period_kind: str) -> str:
    """ "Q3 2026", "Nov 2026" or "2026"."""
    if period_kind == QUARTER:
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if period_kind == MONTH:
        return start.strftime("%b %Y")
    return str(start.year)


# --- the report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadlineTile:
    """One headline figure with what a tile says about it."""

    metric: str
    info: MetricInfo
    headline: Headline

    @property
    def current(self) -> SnapshotPoint:
        return self.headline.current

    @property
    def previous(self) -> SnapshotPoint:
        return self.headline.previous

    @property
    def value(self) -> str:
        return value_text(self.metric, self.current.value)

    @property
    def previous_value(self) -> str:
        return value_text(self.metric, self.previous.value)

    @property
    def interval(self) -> str:
        return interval_text(self.metric, self.current)

    @property
    def change(self) -> str:
        return change_text(self.metric, self.headline.change)

    @property
    def significant(self) -> bool:
        return self.headline.significant

    @property
    def direction(self) -> str:
        """ "better", "worse" or "" (no change, or none to speak of)."""
        change = self.headline.change
        if not change:
            return ""
        return "better" if (change > 0) == self.info.higher_is_better else "worse"


@dataclass(frozen=True)
class RisingPainPoint:
    """A pain point whose feedback grew over the last 30 days against the 30 before."""

    theme_id: int
    label: str
    volume_30: int
    previous_30: int
    emerging: bool
    impact: float

    @property
    def change(self) -> int:
        return self.volume_30 - self.previous_30

    @property
    def change_percent(self) -> float | None:
        if not self.previous_30:
            return None
        return self.change / self.previous_30 * 100


@dataclass(frozen=True)
class FigureCell:
    """One metric's figure in a table; `point` None when the group has no snapshot."""

    metric: str
    point: SnapshotPoint | None

    @property
    def value(self) -> float | None:
        return self.point.value if self.point else None

    @property
    def n(self) -> int:
        return self.point.n if self.point else 0

    @property
    def text(self) -> str:
        return value_text(self.metric, self.value)

    @property
    def interval(self) -> str:
        return interval_text(self.metric, self.point) if self.point else "—"


@dataclass(frozen=True)
class FiguresRow:
    period_start: dt.date
    label: str
    cells: tuple[FigureCell, ...]


@dataclass(frozen=True)
class BreakdownRow:
    segment_value: str
    label: str
    cells: tuple[FigureCell, ...]  # aligned with BREAKDOWN_METRICS


@dataclass(frozen=True)
class BreakdownTable:
    """The breakdown metrics side by side for each value of one account field, in one period."""

    field: str
    title: str
    metrics: tuple[str, ...]
    overall: tuple[FigureCell, ...]
    rows: tuple[BreakdownRow, ...]
    breakdowns: tuple[Breakdown, ...]


@dataclass(frozen=True)
class ExecutiveReport:
    period_kind: str
    complete: bool
    today: dt.date
    period_start: dt.date
    period_end: dt.date
    previous_start: dt.date
    tiles: tuple[HeadlineTile, ...]
    churn: ChurnForecast
    monthly: tuple[SnapshotSeries, ...]
    quarterly: tuple[SnapshotSeries, ...]
    breakdowns: tuple[BreakdownTable, ...]
    features: Breakdown
    pain_points: tuple[RisingPainPoint, ...]

    @property
    def period_name(self) -> str:
        return period_label(self.period_start, self.period_kind)

    @property
    def previous_name(self) -> str:
        return period_label(self.previous_start, self.period_kind)

    @property
    def computed_at(self) -> dt.datetime | None:
        stamps = [series.computed_at for series in self.monthly if series.computed_at]
        return max(stamps, default=None)

    @property
    def has_snapshots(self) -> bool:
        return self.computed_at is not None

    def tile(self, metric: str) -> HeadlineTile:
        return next(tile for tile in self.tiles if tile.metric == metric)

    def series(self, metric: str, period_kind: str = MONTH) -> SnapshotSeries:
        found = self.monthly if period_kind == MONTH else self.quarterly
        return next(series for series in found if series.metric == metric)

    @property
    def monthly_rows(self) -> list[FiguresRow]:
        """Every trend metric per month, newest first: the figures behind the monthly charts."""
        return _figures_rows(self.monthly)

    @property
    def quarterly_rows(self) -> list[FiguresRow]:
        return _figures_rows(self.quarterly)


def _figures_rows(all_series: tuple[SnapshotSeries, ...]) -> list[FiguresRow]:
    if not all_series:
        return []
    lines = [series.line() for series in all_series]
    starts = all_series[0].period_starts
    return [
        FiguresRow(
            period_start=starts[index],
            label=period_label(starts[index], all_series[0].period_kind),
            cells=tuple(
                FigureCell(series.metric, line.points[index] if line else None)
                for series, line in zip(all_series, lines, strict=True)
            ),
        )
        for index in reversed(range(len(starts)))
    ]


def pain_points_rising(*, limit: int = RISING_LIMIT) -> list[RisingPainPoint]:
    """The pain points whose (non-positive) feedback grew most over the last 30 days against the
    30 before, as the last ranking counted them: the one ranking's pain points
    (`insights.selectors.pain_points_ranked`), so a theme of praise never rises here; one query
    on the themes."""
    rising = []
    for pain_point in pain_points_ranked(with_quotes=False):
        statistics = pain_point.statistics
        volume = int(statistics.get("volume_30") or 0)
        previous = int(statistics.get("volume_previous_30") or 0)
        if volume > previous:
            rising.append(
                RisingPainPoint(
                    theme_id=pain_point.theme.pk,
                    label=pain_point.theme.label,
                    volume_30=volume,
                    previous_30=previous,
                    emerging=pain_point.theme.emerging,
                    impact=pain_point.theme.impact,
                )
            )
    rising.sort(key=lambda item: (-item.change, -item.impact, item.label.lower()))
    return rising[:limit]


def _breakdown_table(field: str, start: dt.date, period_kind: str, today: dt.date):
    breakdowns = tuple(
        snapshot_breakdown(metric, field, start, period_kind=period_kind, today=today)
        for metric in BREAKDOWN_METRICS
    )
    # Rows in the order of the first metric's breakdown (highest NPS first), then the others'.
    order: dict[str, None] = {}
    for breakdown in breakdowns:
        order.update((row.segment_value, None) for row in breakdown.rows)
    by_metric = [{row.segment_value: row.point for row in b.rows} for b in breakdowns]
    rows = tuple(
        BreakdownRow(
            segment_value=value,
            label=segment_label(field, value),
            cells=tuple(
                FigureCell(metric, found.get(value))
                for metric, found in zip(BREAKDOWN_METRICS, by_metric, strict=True)
            ),
        )
        for value in order
    )
    return BreakdownTable(
        field=field,
        title=BREAKDOWN_FIELDS[field],
        metrics=BREAKDOWN_METRICS,
        overall=tuple(FigureCell(b.metric, b.overall) for b in breakdowns),
        rows=rows,
        breakdowns=breakdowns,
    )


def _report_build(*, period_kind: str, complete: bool, today: dt.date) -> ExecutiveReport:
    current = period_start(today, period_kind)
    if complete:
        current = period_shift(current, period_kind, -1)
    tiles = tuple(
        HeadlineTile(
            metric=metric,
            info=METRICS[metric],
            headline=headline(metric, period_kind, complete=complete, today=today),
        )
        for metric in HEADLINE_METRICS
    )
    return ExecutiveReport(
        period_kind=period_kind,
        complete=complete,
        today=today,
        period_start=current,
        period_end=period_end(current, period_kind),
        previous_start=period_shift(current, period_kind, -1),
        tiles=tiles,
        churn=churn_forecast(as_of=today),
        monthly=tuple(
            snapshot_series(metric, MONTH, months=TREND_MONTHS, today=today)
            for metric in TREND_METRICS
        ),
        quarterly=tuple(
            snapshot_series(metric, QUARTER, months=TREND_MONTHS, today=today)
            for metric in TREND_METRICS
        ),
        breakdowns=tuple(
            _breakdown_table(field, current, period_kind, today) for field in BREAKDOWN_FIELDS
        ),
        features=snapshot_breakdown(
            Metric.ADOPTION, "feature", current, period_kind=period_kind, today=today
        ),
        pain_points=tuple(pain_points_rising()),
    )


def executive_report(
    *, period_kind: str = QUARTER, complete: bool = False, today: dt.date | None = None
) -> ExecutiveReport:
    """The report for the period (quarter or month) containing `today` — with `complete`, the
    last one that has ended — against the one before. About 40 small queries on the snapshots
    and themes when nothing is cached, none when the report is."""
    if period_kind not in PERIOD_KINDS:
        raise ValueError(f"Unknown period kind {period_kind!r}; use one of {tuple(PERIOD_KINDS)}.")
    today = today or org_today()
    return report_cached(
        "executive",
        (period_kind, complete, today),
        lambda: _report_build(period_kind=period_kind, complete=complete, today=today),
    )
