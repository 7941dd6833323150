"""Reading what an impact review compares, window by window, through the floors below: feedback of
the linked pain points (insights), the scores of the affected accounts (counted here, turned into
scores by `metrics.calculations`), usage (`metrics.selectors.usage_grouped`) and churn scores
(`insights.selectors.churn`). Read-only; `roadmap.impact` decides and writes.

Each function returns plain dataclasses from `roadmap.impact_stats`; a handful of queries each,
whatever the amount of feedback (everything is counted and summed in the database).
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from insights.models import Theme
from insights.selectors import day_start, feedback_received_between, theme_get
from insights.selectors.churn import churn_at_risk, churn_score_run_latest
from metrics.calculations import (
    CsatResult,
    NpsResult,
    RateResult,
    csat_from_counts,
    nps_from_counts,
)
from metrics.selectors import usage_grouped
from roadmap.impact_stats import (
    Difference,
    ImpactWindows,
    Moments,
    RateChange,
    mean_change_test,
    nps_change_test,
    paired_change_test,
    proportion_change_test,
    rate_change_test,
    weekly_counts,
)
from roadmap.models import BacklogItem
from touchpoints.selectors import touchpoints_for_themes

QUOTES_PER_WINDOW = 3
# How far a merged theme's chain is followed to the theme its feedback went to.
MERGE_HOPS = 5


def linked_themes(*, item: BacklogItem) -> list[Theme]:
    """The pain points the item addresses; a merged one stands for the theme it was merged
    into, where its feedback went."""
    themes: dict[int, Theme] = {}
    for link in item.theme_links.select_related("theme").order_by("theme__label", "theme_id"):
        theme = link.theme
        for _ in range(MERGE_HOPS):
            if theme.status != Theme.Status.MERGED or theme.merged_into_id is None:
                break
            theme = theme_get(theme_id=theme.merged_into_id) or theme
        themes.setdefault(theme.pk, theme)
    return list(themes.values())


def _between(start: dt.date, end: dt.date) -> Q:
    return Q(received_at__gte=day_start(start), received_at__lt=day_start(end + dt.timedelta(1)))


# --- volume and sentiment of the linked pain points ---------------------------------------------


@dataclass(frozen=True)
class ThemeWindowFigures:
    theme_id: int
    label: str
    before: int
    after: int
    sentiment_before: float | None
    sentiment_after: float | None


@dataclass(frozen=True)
class VolumeFigures:
    volume: RateChange
    sentiment: Difference
    themes: list[ThemeWindowFigures]


def volume_figures(*, themes: list[Theme], windows: ImpactWindows) -> VolumeFigures:
    """Mentions and sentiment of the themes in both windows, per theme and together, with the
    rate test (weekly counts feed its dispersion check) and Welch's test on sentiment. Two
    queries."""
    before, after = (
        _between(windows.before_start, windows.before_end),
        _between(windows.after_start, windows.after_end),
    )
    feedback = feedback_received_between(start=windows.before_start, end=windows.after_end).filter(
        theme_id__in=[theme.pk for theme in themes]
    )
    scored = Q(sentiment__isnull=False)
    sums = {}
    for name, window in (("before", before), ("after", after)):
        sums[f"{name}_n"] = Count("pk", filter=window)
        sums[f"{name}_sn"] = Count("pk", filter=window & scored)
        sums[f"{name}_s"] = Sum("sentiment", filter=window & scored)
        sums[f"{name}_ss"] = Sum(F("sentiment") * F("sentiment"), filter=window & scored)
    rows = {row["theme_id"]: row for row in feedback.values("theme_id").annotate(**sums)}
    labels = {theme.pk: theme.label for theme in themes}

    def moments(name: str, selected: list[dict]) -> Moments:
        return Moments(
            n=sum(row[f"{name}_sn"] for row in selected),
            total=float(sum(row[f"{name}_s"] or 0 for row in selected)),
            total_of_squares=float(sum(row[f"{name}_ss"] or 0 for row in selected)),
        )

    per_theme = [
        ThemeWindowFigures(
            theme_id=theme_id,
            label=labels[theme_id],
            before=rows.get(theme_id, {}).get("before_n", 0),
            after=rows.get(theme_id, {}).get("after_n", 0),
            sentiment_before=moments("before", [rows[theme_id]]).mean if theme_id in rows else None,
            sentiment_after=moments("after", [rows[theme_id]]).mean if theme_id in rows else None,
        )
        for theme_id in labels
    ]
    daily = dict(
        feedback.annotate(day=TruncDate("received_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )

    def daily_counts(start: dt.date, end: dt.date) -> list[int]:
        return [daily.get(start + dt.timedelta(days=i), 0) for i in range((end - start).days + 1)]

    all_rows = list(rows.values())
    return VolumeFigures(
        volume=rate_change_test(
            before=sum(t.before for t in per_theme),
            after=sum(t.after for t in per_theme),
            before_days=windows.days,
            after_days=windows.days,
            before_weekly=weekly_counts(daily_counts(windows.before_start, windows.before_end)),
            after_weekly=weekly_counts(daily_counts(windows.after_start, windows.after_end)),
        ),
        sentiment=mean_change_test(
            before=moments("before", all_rows), after=moments("after", all_rows)
        ),
        themes=per_theme,
    )


@dataclass(frozen=True)
class Quote:
    feedback_id: int
    text: str  # redacted text, "" before the analysis redacted it
    received_on: str


def quotes_between(
    *, themes: list[Theme], start: dt.date, end: dt.date, most_negative: bool
) -> list[Quote]:
    """A few of the themes' comments in a window: the most negative first (before the ship: the
    pain in the customer's words), or the latest (after it). Ids and redacted text only."""
    order = (
        [F("sentiment").asc(nulls_last=True), "-received_at", "-pk"]
        if most_negative
        else ["-received_at", "-pk"]
    )
    rows = (
        feedback_received_between(start=start, end=end)
        .filter(theme_id__in=[theme.pk for theme in themes])
        .exclude(text="")
        .order_by(*order)
        .values("pk", "redacted_text", "received_at")[:QUOTES_PER_WINDOW]
    )
    return [
        Quote(
            row["pk"],
            row["redacted_text"],
            timezone.localtime(row["received_at"]).date().isoformat(),
        )
        for row in rows
    ]


def engineers_credited(*, themes: list[Theme], shipped_on: dt.date) -> list[dict]:
    """The engineers whose touchpoints surfaced the pain points before the ship date (their
    observations landed in the themes), most touchpoints first. Two queries."""
    counts: dict[int, dict] = {}
    for touchpoint in touchpoints_for_themes(theme_ids=[t.pk for t in themes], limit=50):
        if touchpoint.occurred_on >= shipped_on:
            continue
        for engineer in touchpoint.engineers.all():
            entry = counts.setdefault(
                engineer.pk,
                {
                    "username": engineer.get_username(),
                    "name": engineer.get_full_name() or engineer.get_username(),
                    "touchpoints": 0,
                },
            )
            entry["touchpoints"] += 1
    return sorted(counts.values(), key=lambda e: (-e["touchpoints"], e["name"]))


def feedback_arrived(*, start: dt.date, end: dt.date) -> bool:
    """Whether any feedback at all was received on those days: the imports have caught up."""
    return feedback_received_between(start=start, end=end).exists()


# --- the affected accounts ----------------------------------------------------------------------


# The affected accounts are those that raised the pain points in this many days before shipping.
AFFECTED_LOOKBACK_DAYS = 365


def affected_accounts(*, themes: list[Theme], shipped_on: dt.date) -> QuerySet:
    """Ids of the accounts that raised the themes in the year before the ship date, as a
    subquery."""
    return (
        feedback_received_between(
            start=shipped_on - dt.timedelta(days=AFFECTED_LOOKBACK_DAYS),
            end=shipped_on - dt.timedelta(days=1),
        )
        .filter(theme_id__in=[theme.pk for theme in themes], customer_id__isnull=False)
        .values("customer_id")
        .distinct()
    )


def _nps(counts: tuple[int, int, int]) -> NpsResult:
    promoters, passives, detractors = counts
    return nps_from_counts(promoters=promoters, passives=passives, detractors=detractors)


@dataclass(frozen=True)
class ScoreFigures:
    nps_before: NpsResult
    nps_after: NpsResult
    nps_change: Difference
    csat_before: CsatResult
    csat_after: CsatResult
    csat_change: Difference


def score_figures(*, accounts: QuerySet, windows: ImpactWindows) -> ScoreFigures:
    """NPS and CSAT of the accounts' answers in both windows (every answer counts; the windows
    are short and equally long, so a repeat respondent weighs the same on both sides). One
    query."""
    counts = {}
    for name, window in (
        ("before", _between(windows.before_start, windows.before_end)),
        ("after", _between(windows.after_start, windows.after_end)),
    ):
        counts[f"{name}_prom"] = Count("pk", filter=window & Q(nps__gte=9))
        counts[f"{name}_pass"] = Count("pk", filter=window & Q(nps__gte=7, nps__lte=8))
        counts[f"{name}_det"] = Count("pk", filter=window & Q(nps__lte=6))
        counts[f"{name}_csat"] = Count("pk", filter=window & Q(csat__isnull=False))
        counts[f"{name}_sat"] = Count("pk", filter=window & Q(csat__gte=4))
    row = (
        feedback_received_between(start=windows.before_start, end=windows.after_end)
        .filter(customer_id__in=accounts)
        .aggregate(**counts)
    )

    def nps_of(name: str) -> tuple[int, int, int]:
        return row[f"{name}_prom"], row[f"{name}_pass"], row[f"{name}_det"]

    return ScoreFigures(
        nps_before=_nps(nps_of("before")),
        nps_after=_nps(nps_of("after")),
        nps_change=nps_change_test(before=nps_of("before"), after=nps_of("after")),
        csat_before=csat_from_counts(satisfied=row["before_sat"], n=row["before_csat"]),
        csat_after=csat_from_counts(satisfied=row["after_sat"], n=row["after_csat"]),
        csat_change=proportion_change_test(
            before_successes=row["before_sat"],
            before_n=row["before_csat"],
            after_successes=row["after_sat"],
            after_n=row["after_csat"],
        ),
    )


# --- usage: adoption of the named feature and task success --------------------------------------


@dataclass(frozen=True)
class UsageWindowFigures:
    adoption_before: RateResult | None  # None: the feature is not tracked in those months
    adoption_after: RateResult | None
    adoption_change: Difference | None
    task_success_before: RateResult | None
    task_success_after: RateResult | None
    task_success_change: Difference | None


def _usage_of(months: tuple[dt.date, ...]):
    if not months:
        return None
    figures = usage_grouped(start=months[0], end=months[-1])
    return figures.get((months[0], "", ""))


def _rate_change(before: RateResult | None, after: RateResult | None) -> Difference | None:
    if before is None or after is None or not before.n or not after.n:
        return None
    return proportion_change_test(
        before_successes=before.successes,
        before_n=before.n,
        after_successes=after.successes,
        after_n=after.n,
    )


def usage_figures(*, feature: str, windows: ImpactWindows) -> UsageWindowFigures:
    """Adoption of `feature` (users who used it ÷ active users, all accounts) and task success
    in the whole months either side of the ship month; four queries."""
    before, after = _usage_of(windows.months_before), _usage_of(windows.months_after)
    adoption_before = before.features.get(feature) if before and feature else None
    adoption_after = after.features.get(feature) if after and feature else None
    tasks_before = before.task_success if before else None
    tasks_after = after.task_success if after else None
    return UsageWindowFigures(
        adoption_before=adoption_before,
        adoption_after=adoption_after,
        adoption_change=_rate_change(adoption_before, adoption_after),
        task_success_before=tasks_before,
        task_success_after=tasks_after,
        task_success_change=_rate_change(tasks_before, tasks_after),
    )


# --- churn risk of the affected accounts --------------------------------------------------------


@dataclass(frozen=True)
class ChurnFigures:
    change: Difference | None  # mean probability in points, accounts scored in both runs
    accounts: int
    before_scored_at: str | None
    after_scored_at: str | None
    note: str


def churn_figures(
    *, accounts: QuerySet, windows: ImpactWindows, shipped_on: dt.date
) -> ChurnFigures:
    """Mean churn probability (in points) of the accounts in the last scoring run finished before
    the ship date against the last one finished by the review's day, over the accounts both
    scored (a paired comparison). Four queries at most."""
    before_run = churn_score_run_latest(as_of=day_start(shipped_on))
    after_run = churn_score_run_latest(as_of=day_start(windows.after_end + dt.timedelta(days=1)))
    if before_run is None:
        return ChurnFigures(None, 0, None, None, "No churn scores from before the ship date.")
    before_at = before_run.finished_at.isoformat() if before_run.finished_at else None
    if after_run is None or after_run.pk == before_run.pk:
        return ChurnFigures(None, 0, before_at, None, "No churn scoring since the ship date.")
    after_at = after_run.finished_at.isoformat() if after_run.finished_at else None

    def scores(run) -> dict[int, float]:
        return dict(
            churn_at_risk(run=run)
            .filter(customer_id__in=accounts)
            .order_by()
            .values_list("customer_id", "probability")
        )

    before, after = scores(before_run), scores(after_run)
    pairs = [(before[pk], after[pk]) for pk in sorted(before.keys() & after.keys())]
    return ChurnFigures(
        change=paired_change_test(pairs=pairs, scale=100.0),
        accounts=len(pairs),
        before_scored_at=before_at,
        after_scored_at=after_at,
        note="",
    )
