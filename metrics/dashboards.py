"""The product managers' dashboard as data: NPS and detractor share by pain point, response volume
by source and sentiment over time, for the feedback that the feedback explorer's filters choose.

Filters are free (any source, score, sentiment, segment, pain point, search words), so there is
no snapshot to read: one grouped query over the filtered feedback, cached per set of filters under
the snapshots' version (`metrics.report_cache`) — as fresh as the snapshots, computed again at
most once per computation, and never by fifty people at once.

NPS here counts every answer: unlike the report's NPS (each respondent once per period, with
their latest answer), a pain point's NPS is about what was said about it.
"""

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, DateField, Q, Sum
from django.db.models.functions import TruncMonth

from insights.models import Feedback, Theme
from insights.selectors import FeedbackFilters, feedback_list
from metrics.calculations import NpsResult, RateResult, nps_from_counts, rate_from_counts
from metrics.report_cache import report_cached
from metrics.selectors import month_starts, months_back, org_timezone, org_today

DEFAULT_MONTHS = 12
# How long a dashboard may be kept: its data changes only with feedback, which the snapshots'
# version follows; this bounds what it does not follow (a pain point renamed).
DASHBOARD_CACHE_SECONDS = 30 * 60
NOT_THEMED = "No pain point yet"
SOURCE_LABELS = dict(Feedback.Source.choices)
SENTIMENTS = tuple(Feedback.SentimentLabel.values)


@dataclass(frozen=True)
class ThemeScores:
    """The filtered feedback of one pain point (theme_id None: feedback without one)."""

    theme_id: int | None
    label: str
    responses: int
    nps: NpsResult
    detractor_share: RateResult  # detractors ÷ NPS answers, in percent
    polarity: str = ""  # the theme's: a strength is not a pain point; "" for no theme


@dataclass(frozen=True)
class MonthVolume:
    month: dt.date
    by_source: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_source.values())


@dataclass(frozen=True)
class MonthSentiment:
    month: dt.date
    counts: dict[str, int]  # sentiment label → feedback; "" is not scored yet
    mean: float | None  # mean sentiment score (−1…1) of the scored feedback

    @property
    def scored(self) -> int:
        return sum(count for label, count in self.counts.items() if label)

    @property
    def unscored(self) -> int:
        return self.counts.get("", 0)

    def share(self, label: str) -> float | None:
        """The share of `label` among the scored feedback of the month, in percent."""
        return self.counts.get(label, 0) / self.scored * 100 if self.scored else None


@dataclass(frozen=True)
class PmDashboard:
    start: dt.date
    end: dt.date
    months: tuple[dt.date, ...]
    dates_chosen: bool  # False: no dates in the filters, the last DEFAULT_MONTHS months
    total: int
    nps: NpsResult
    themes: tuple[ThemeScores, ...]  # most feedback first, feedback without a theme last
    sources: tuple[tuple[str, str, int], ...]  # (value, label, feedback), most first
    volume: tuple[MonthVolume, ...]
    sentiment: tuple[MonthSentiment, ...]

    @property
    def pain_points(self) -> int:
        """Pain points with some of the feedback (feedback without a theme, or in a strength,
        is not a pain point)."""
        return sum(1 for theme in self.themes if theme.polarity == Theme.Polarity.PAIN)


def dashboard_window(
    filters: FeedbackFilters, *, today: dt.date, months: int = DEFAULT_MONTHS
) -> tuple[dt.date, dt.date]:
    """The days the dashboard covers: the filters' dates; without them the last `months` months
    up to `today` (without a start, `months` months up to the end chosen)."""
    end = filters.received_to or today
    start = filters.received_from or months_back(end, months - 1)
    return start, end


def _counts() -> dict:
    return {
        "responses": Count("pk"),
        "promoters": Count("pk", filter=Q(nps__gte=9)),
        "passives": Count("pk", filter=Q(nps__gte=7, nps__lte=8)),
        "detractors": Count("pk", filter=Q(nps__lte=6)),
        "sentiment_total": Sum("sentiment"),
        "sentiment_n": Count("sentiment"),
    }


def _dashboard_build(filters: FeedbackFilters, *, start: dt.date, end: dt.date, chosen: bool):
    windowed = dataclasses.replace(filters, received_from=start, received_to=end)
    month = TruncMonth("received_at", tzinfo=org_timezone(), output_field=DateField())
    rows = list(
        feedback_list(filters=windowed)
        .order_by()
        .annotate(month=month)
        .values("month", "theme_id", "theme__label", "theme__polarity", "source", "sentiment_label")
        .annotate(**_counts())
    )
    theme_counts: dict[int | None, dict] = defaultdict(lambda: defaultdict(int))
    labels: dict[int | None, str] = {None: NOT_THEMED}
    polarities: dict[int | None, str] = {None: ""}
    volume: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    sentiment: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    sentiment_sums: dict[dt.date, list[float]] = defaultdict(lambda: [0.0, 0])
    overall: dict[str, int] = defaultdict(int)
    for row in rows:
        theme_id = row["theme_id"]
        if theme_id is not None:
            labels[theme_id] = row["theme__label"]
            polarities[theme_id] = row["theme__polarity"]
        for name in ("responses", "promoters", "passives", "detractors"):
            theme_counts[theme_id][name] += row[name]
            overall[name] += row[name]
        volume[row["month"]][row["source"]] += row["responses"]
        sentiment[row["month"]][row["sentiment_label"]] += row["responses"]
        sentiment_sums[row["month"]][0] += row["sentiment_total"] or 0.0
        sentiment_sums[row["month"]][1] += row["sentiment_n"]

    def scores(counts: dict) -> tuple[NpsResult, RateResult]:
        nps = nps_from_counts(
            promoters=counts["promoters"],
            passives=counts["passives"],
            detractors=counts["detractors"],
        )
        return nps, rate_from_counts(successes=counts["detractors"], n=nps.n)

    themes = []
    for theme_id, counts in theme_counts.items():
        nps, detractors = scores(counts)
        themes.append(
            ThemeScores(
                theme_id,
                labels[theme_id],
                counts["responses"],
                nps,
                detractors,
                polarity=polarities[theme_id],
            )
        )
    themes.sort(key=lambda t: (t.theme_id is None, -t.responses, t.label.lower()))
    source_totals: dict[str, int] = defaultdict(int)
    for by_source in volume.values():
        for source, count in by_source.items():
            source_totals[source] += count
    months = tuple(month_starts(start=start, end=end))
    return PmDashboard(
        start=start,
        end=end,
        months=months,
        dates_chosen=chosen,
        total=overall["responses"],
        nps=scores(overall)[0],
        themes=tuple(themes),
        sources=tuple(
            (source, SOURCE_LABELS.get(source, source), count)
            for source, count in sorted(source_totals.items(), key=lambda item: -item[1])
        ),
        volume=tuple(MonthVolume(m, dict(volume.get(m, {}))) for m in months),
        sentiment=tuple(
            MonthSentiment(
                month=m,
                counts=dict(sentiment.get(m, {})),
                mean=(sentiment_sums[m][0] / sentiment_sums[m][1])
                if sentiment_sums.get(m, (0, 0))[1]
                else None,
            )
            for m in months
        ),
    )


def pm_dashboard(*, filters: FeedbackFilters, today: dt.date | None = None) -> PmDashboard:
    """The dashboard of the feedback `filters` choose, over `dashboard_window`. One query when
    nothing is cached for these filters, none when it is."""
    today = today or org_today()
    start, end = dashboard_window(filters, today=today)
    chosen = bool(filters.received_from or filters.received_to)
    return report_cached(
        "pm-dashboard",
        (filters, start, end, today),
        lambda: _dashboard_build(filters, start=start, end=end, chosen=chosen),
        timeout=DASHBOARD_CACHE_SECONDS,
    )
