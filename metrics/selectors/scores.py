"""NPS, CSAT and CES counted in the database from insights' feedback; `metrics.calculations` turns
the counts into scores and intervals, so nothing loops over feedback rows in Python.

**Duplicate respondents.** Within one period (a month, a quarter, a year, or the range asked for)
a respondent counts once per score, with their latest answer of that score (latest `received_at`,
then highest id). The respondent is, in this order: the feedback's contact (importers and the API
set it when the email matches a known contact); else `metadata["respondent_id"]`; else
`metadata["email"]` (case-insensitive) — neither is set by the built-in importers, but API
clients may send them; else nobody, and the answer counts on its own. A respondent who rated
CSAT twice and NPS once in a month contributes one CSAT (the later) and one NPS. A survey
response with several comments is already stored with its scores on one record only.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Concat, Lower, RowNumber

from insights.selectors import feedback_received_between
from metrics.calculations import (
    CesResult,
    CsatResult,
    NpsResult,
    ces_from_moments,
    csat_from_counts,
    nps_from_counts,
)
from metrics.selectors.periods import MONTH, month_starts, period_trunc

# Customer fields a breakdown may group by.
GROUP_FIELDS = ("segment", "plan", "region")
SCORE_FIELDS = ("nps", "csat", "ces")

_NPS_COUNTS = {
    "promoters": Count("id", filter=Q(nps__gte=9)),
    "passives": Count("id", filter=Q(nps__gte=7, nps__lte=8)),
    "detractors": Count("id", filter=Q(nps__lte=6)),
}
_CSAT_COUNTS = {
    "csat_n": Count("csat"),
    "csat_satisfied": Count("id", filter=Q(csat__gte=4)),
}
_CES_COUNTS = {
    "ces_n": Count("ces"),
    "ces_total": Sum("ces"),
    "ces_squares": Sum(F("ces") * F("ces")),
}
_SCORE_COUNTS = {**_NPS_COUNTS, **_CSAT_COUNTS, **_CES_COUNTS}
_COUNTS_OF = {"nps": _NPS_COUNTS, "csat": _CSAT_COUNTS, "ces": _CES_COUNTS}

# (period start, group field, group value); ("", "") is every account together.
GroupKey = tuple[dt.date, str, str]


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


def empty_scores(start: dt.date) -> PeriodScores:
    return _scores_from_row(start, dict.fromkeys(_SCORE_COUNTS, 0))


def _respondent_aliases() -> dict:
    return {
        "_respondent_id": Cast(KeyTextTransform("respondent_id", "metadata"), CharField()),
        "_respondent_email": Lower(Cast(KeyTextTransform("email", "metadata"), CharField())),
    }


def respondent_key() -> Case:
    """Who answered, as text (see the module docstring); an anonymous answer is its own key.
    Needs the aliases of `_respondent_aliases` on the queryset."""
    return Case(
        When(contact_id__isnull=False, then=Concat(Value("c:"), Cast("contact_id", CharField()))),
        When(_respondent_id__gt="", then=Concat(Value("r:"), F("_respondent_id"))),
        When(_respondent_email__gt="", then=Concat(Value("e:"), F("_respondent_email"))),
        default=Concat(Value("f:"), Cast("id", CharField())),
        output_field=CharField(),
    )


def _latest_answers(feedback: QuerySet, *, score: str, period_kind: str | None) -> QuerySet:
    """Ids of each respondent's latest answer of `score` in each period."""
    key = respondent_key()
    partition = [key] if period_kind is None else [period_trunc("received_at", period_kind), key]
    return (
        feedback.filter(**{f"{score}__isnull": False})
        .alias(**_respondent_aliases())
        .annotate(
            answer_rank=Window(
                RowNumber(),
                partition_by=partition,
                order_by=[F("received_at").desc(), F("id").desc()],
            )
        )
        .filter(answer_rank=1)
        .values("pk")
    )


def _grouped_counts(
    *,
    start: dt.date,
    end: dt.date,
    score: str,
    period_kind: str | None,
    group_fields: Sequence[str],
) -> dict[GroupKey, dict]:
    """One query: the counts of `score` per period and combination of the customer's group
    fields, rolled up here (a few dozen grouped rows, never feedback rows) into every account
    and each group value. Feedback without an account, or an account without the field, is
    grouped under ""."""
    feedback = feedback_received_between(start=start, end=end)
    period = (
        Value(start, output_field=DateField())
        if period_kind is None
        else period_trunc("received_at", period_kind)
    )
    columns = [f"customer__{field}" for field in group_fields]
    rows = (
        feedback.filter(pk__in=_latest_answers(feedback, score=score, period_kind=period_kind))
        .annotate(period=period)
        .values("period", *columns)
        .annotate(**_COUNTS_OF[score])
        .order_by()
    )
    rolled: dict[GroupKey, dict] = defaultdict(lambda: dict.fromkeys(_COUNTS_OF[score], 0))
    for row in rows:
        keys = [(row["period"], "", "")]
        keys += [
            (row["period"], field, row[column] or "")
            for field, column in zip(group_fields, columns, strict=True)
        ]
        for key in keys:
            for name in _COUNTS_OF[score]:
                rolled[key][name] += row[name] or 0
    return rolled


def scores_grouped(
    *,
    start: dt.date,
    end: dt.date,
    period_kind: str | None = None,
    group_fields: Sequence[str] = (),
) -> dict[GroupKey, PeriodScores]:
    """NPS, CSAT and CES of feedback received on the days start…end (both included, in the
    organisation's zone), per period (`period_kind` month, quarter or year; None: the whole
    range as one period, keyed by `start`) and for every account ("", "") and each value of each
    of `group_fields` (customer fields, e.g. "segment"). Duplicate respondents count once per
    period (module docstring). Three queries, one per score; periods and groups without answers
    are absent."""
    unknown = set(group_fields) - set(GROUP_FIELDS)
    if unknown:
        raise ValueError(f"Cannot group feedback by {sorted(unknown)}; use {GROUP_FIELDS}.")
    counts: dict[GroupKey, dict] = defaultdict(lambda: dict.fromkeys(_SCORE_COUNTS, 0))
    for score in SCORE_FIELDS:
        for key, row in _grouped_counts(
            start=start, end=end, score=score, period_kind=period_kind, group_fields=group_fields
        ).items():
            counts[key].update(row)
    return {key: _scores_from_row(key[0], row) for key, row in counts.items()}


def scores_between(*, start: dt.date, end: dt.date) -> PeriodScores:
    """NPS, CSAT and CES of feedback received from `start` to `end` (both days included), each
    respondent counted once (module docstring); three queries."""
    scores = scores_grouped(start=start, end=end)
    return scores.get((start, "", ""), empty_scores(start))


def scores_by_month(*, start: dt.date, end: dt.date) -> list[PeriodScores]:
    """One PeriodScores per calendar month from `start` to `end`, months without answers included
    (their values are None); three queries."""
    scores = scores_grouped(start=start, end=end, period_kind=MONTH)
    return [
        scores.get((month, "", ""), empty_scores(month))
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
