"""Every metric for one date range, for every account and per group: what `metrics_report`
prints. The same counting as the snapshots (`scores_grouped`, `usage_grouped`), with the range as
the one period, so duplicate respondents count once in the range."""

import datetime as dt
from dataclasses import dataclass, field

from metrics.calculations import CesResult, CsatResult, NpsResult, RateResult
from metrics.selectors.scores import GROUP_FIELDS, PeriodScores, empty_scores, scores_grouped
from metrics.selectors.usage import UsageFigures, empty_usage, usage_grouped


@dataclass(frozen=True)
class MetricsSummary:
    """NPS, CSAT, CES, adoption (across features, and per feature) and task success."""

    nps: NpsResult
    csat: CsatResult
    ces: CesResult
    adoption: RateResult
    task_success: RateResult
    features: dict[str, RateResult] = field(default_factory=dict)


@dataclass(frozen=True)
class RangeSummary:
    """The metrics of start…end (both days included) for every account, and per value of
    `segment_field` when one was asked for ("" groups accounts without a value)."""

    start: dt.date
    end: dt.date
    overall: MetricsSummary
    segment_field: str = ""
    segments: dict[str, MetricsSummary] = field(default_factory=dict)


def _summary(scores: PeriodScores, usage: UsageFigures) -> MetricsSummary:
    return MetricsSummary(
        nps=scores.nps,
        csat=scores.csat,
        ces=scores.ces,
        adoption=usage.adoption,
        task_success=usage.task_success,
        features=usage.features,
    )


def metrics_summary(*, start: dt.date, end: dt.date, segment_field: str = "") -> RangeSummary:
    """Five queries: three for the scores, two for usage (the months that overlap the range)."""
    if segment_field and segment_field not in GROUP_FIELDS:
        raise ValueError(f"Cannot group by {segment_field!r}; use one of {GROUP_FIELDS}.")
    group_fields = (segment_field,) if segment_field else ()
    scores = scores_grouped(start=start, end=end, group_fields=group_fields)
    usage = usage_grouped(start=start, end=end, group_fields=group_fields)

    def summary(key: tuple[dt.date, str, str]) -> MetricsSummary:
        return _summary(scores.get(key, empty_scores(start)), usage.get(key, empty_usage(start)))

    values = sorted({key[2] for key in (*scores, *usage) if key[1] == segment_field and key[1]})
    return RangeSummary(
        start=start,
        end=end,
        overall=summary((start, "", "")),
        segment_field=segment_field,
        segments={value: summary((start, segment_field, value)) for value in values},
    )
