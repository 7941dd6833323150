"""Survey metrics read from insights' feedback. The database counts; `metrics.calculations` turns
the counts into scores and intervals, so no page loops over feedback rows."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, DateField, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from insights.selectors import feedback_received_between
from metrics.calculations import (
    CesResult,
    CsatResult,
    NpsResult,
    ces_from_moments,
    csat_from_counts,
    nps_from_counts,
)

_SCORE_COUNTS = {
    "promoters": Count("id", filter=Q(nps__gte=9)),
    "passives": Count("id", filter=Q(nps__gte=7, nps__lte=8)),
    "detractors": Count("id", filter=Q(nps__lte=6)),
    "csat_n": Count("csat"),
    "csat_satisfied": Count("id", filter=Q(csat__gte=4)),
    "ces_n": Count("ces"),
    "ces_total": Sum("ces"),
    "ces_squares": Sum(F("ces") * F("ces")),
}


@dataclass(frozen=True)
class PeriodScores:
    """NPS, CSAT and CES of one period; `start` is its first day."""

    start: dt.date
    nps: NpsResult
    csat: CsatResult
    ces: CesResult


def _scores_from_row(start: dt.date, row: dict) -> PeriodScores:
    return PeriodScores(
        start=start,
        nps=nps_from_counts(
            promoters=row["promoters"], passives=row["passives"], detractors=row["detractors"]
        ),
        csat=csat_from_counts(satisfied=row["csat_satisfied"], n=row["csat_n"]),
        ces=ces_from_moments(
            n=row["ces_n"],
            total=float(row["ces_total"] or 0),
            total_of_squares=float(row["ces_squares"] or 0),
        ),
    )


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def months_back(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` months before the month of `day`."""
    index = day.year * 12 + (day.month - 1) - months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_starts(*, start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of every month from the month of `start` to the month of `end`."""
    months = []
    current = month_start(start)
    while current <= end:
        months.append(current)
        current = months_back(current, -1)
    return months


def _feedback(start: dt.date, end: dt.date) -> QuerySet:
    return feedback_received_between(start=start, end=end)


def scores_between(*, start: dt.date, end: dt.date) -> PeriodScores:
    """NPS, CSAT and CES of feedback received from `start` to `end` (both days included), in one
    query."""
    return _scores_from_row(start, _feedback(start, end).aggregate(**_SCORE_COUNTS))


def scores_by_month(*, start: dt.date, end: dt.date) -> list[PeriodScores]:
    """One PeriodScores per calendar month from `start` to `end`, months without answers included
    (their values are None), in one query."""
    rows = (
        _feedback(start, end)
        .annotate(month=TruncMonth("received_at", output_field=DateField()))
        .values("month")
        .annotate(**_SCORE_COUNTS)
        .order_by("month")
    )
    by_month = {row["month"]: row for row in rows}
    empty = dict.fromkeys(_SCORE_COUNTS, 0)
    return [
        _scores_from_row(month, by_month.get(month, empty))
        for month in month_starts(start=start, end=end)
    ]


def nps_between(*, start: dt.date, end: dt.date) -> NpsResult:
    return scores_between(start=start, end=end).nps


def csat_between(*, start: dt.date, end: dt.date) -> CsatResult:
    return scores_between(start=start, end=end).csat


def nps_by_month(*, start: dt.date, end: dt.date) -> list[tuple[dt.date, NpsResult]]:
    return [(period.start, period.nps) for period in scores_by_month(start=start, end=end)]


def csat_by_month(*, start: dt.date, end: dt.date) -> list[tuple[dt.date, CsatResult]]:
    return [(period.start, period.csat) for period in scores_by_month(start=start, end=end)]
