"""Reading feedback: the explorer's filters, full-text search and facets."""

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from insights.models import (
    Feedback,
    Segment,
)

# The score filter of the feedback list: key → (label, condition).
SCORE_FILTERS: dict[str, tuple[str, Q]] = {
    "promoter": ("NPS promoters (9–10)", Q(nps__gte=9)),
    "passive": ("NPS passives (7–8)", Q(nps__gte=7, nps__lte=8)),
    "detractor": ("NPS detractors (0–6)", Q(nps__lte=6)),
    "satisfied": ("CSAT satisfied (4–5)", Q(csat__gte=4)),
    "dissatisfied": ("CSAT not satisfied (1–3)", Q(csat__lte=3)),
    "unscored": ("No score", Q(nps__isnull=True, csat__isnull=True, ces__isnull=True)),
}


@dataclass(frozen=True)
class FeedbackFilters:
    """What the feedback list and the feedback API filter on; empty values filter nothing.
    Dates are calendar days in the site's time zone, both ends included."""

    source: str = ""
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    score: str = ""
    customer_external_id: str = ""
    theme_id: int | None = None
    sentiment_label: str = ""  # a Feedback.SentimentLabel value
    segment: str = ""  # the account's Segment value
    plan: str = ""  # the account's Plan value
    q: str = ""  # full-text search
    # Search the original text too; only for people who may read it (admins), or the search
    # itself would reveal what the redaction hid.
    search_original: bool = False


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the current time zone, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def days_window(*, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The half-open datetime range [start 00:00, end+1 00:00) covering both days fully."""
    return day_start(start), day_start(end + dt.timedelta(days=1))


def feedback_filtered(queryset: QuerySet[Feedback], filters: FeedbackFilters) -> QuerySet:
    if filters.source:
        queryset = queryset.filter(source=filters.source)
    # The first and last representable days bound nothing (and the day after the last one
    # cannot be computed).
    if filters.received_from and filters.received_from > dt.date.min:
        queryset = queryset.filter(received_at__gte=day_start(filters.received_from))
    if filters.received_to and filters.received_to < dt.date.max:
        next_day = filters.received_to + dt.timedelta(days=1)
        queryset = queryset.filter(received_at__lt=day_start(next_day))
    if filters.score:
        queryset = queryset.filter(SCORE_FILTERS[filters.score][1])
    if filters.customer_external_id:
        queryset = queryset.filter(customer__external_id=filters.customer_external_id)
    if filters.theme_id is not None:
        queryset = queryset.filter(theme_id=filters.theme_id)
    if filters.sentiment_label:
        queryset = queryset.filter(sentiment_label=filters.sentiment_label)
    if filters.segment:
        queryset = queryset.filter(customer__segment=filters.segment)
    if filters.plan:
        queryset = queryset.filter(customer__plan=filters.plan)
    if filters.q.strip():
        queryset = _feedback_searched(
            queryset, filters.q.strip(), search_original=filters.search_original
        )
    return queryset


SEARCH_CONFIG = "english"


def _feedback_searched(queryset: QuerySet, text: str, *, search_original: bool) -> QuerySet:
    """PostgreSQL: full-text search (web-search syntax: quotes, `or`, `-word`) on the redacted
    text, and the original text when allowed; elsewhere a case-insensitive substring match."""
    fields = ("redacted_text", "text") if search_original else ("redacted_text",)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        return queryset.annotate(search=SearchVector(*fields, config=SEARCH_CONFIG)).filter(
            search=SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        )
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__icontains": text})
    return queryset.filter(condition)


def feedback_list(*, filters: FeedbackFilters | None = None) -> QuerySet[Feedback]:
    """Feedback, newest first, with its account and theme joined in."""
    queryset = Feedback.objects.select_related("customer", "theme").order_by("-received_at", "-id")
    return feedback_filtered(queryset, filters or FeedbackFilters())


def feedback_recent(*, limit: int = 6) -> list[Feedback]:
    return list(feedback_list()[:limit])


def feedback_received_between(*, start: dt.date, end: dt.date) -> QuerySet[Feedback]:
    """Feedback received on the days start…end (both included), for aggregating; no joins."""
    since, until = days_window(start=start, end=end)
    return Feedback.objects.filter(received_at__gte=since, received_at__lt=until).order_by()


def feedback_count_since(*, since: dt.datetime) -> int:
    return Feedback.objects.filter(received_at__gte=since).count()


# --- the feedback explorer's facets ---------------------------------------------------------------

NPS_GROUPS = ("promoter", "passive", "detractor")  # keys of SCORE_FILTERS


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class FeedbackFacets:
    total: int
    source: list[FacetValue]
    theme: list[FacetValue]
    sentiment_label: list[FacetValue]
    nps_group: list[FacetValue]
    segment: list[FacetValue]


def _facet_counts(prefix: str, choices, condition) -> dict:
    return {f"{prefix}_{value}": Count("pk", filter=condition(value)) for value, _ in choices}


def feedback_facets(*, filters: FeedbackFilters | None = None) -> FeedbackFacets:
    """How the filtered feedback splits by source, theme, sentiment, NPS group and segment.

    One query: grouped by theme, with a conditional count per value of the other facets (their
    values are fixed choices), summed here. Its total is the number of matching feedback, so the
    page need not count again."""
    nps_choices = [(key, SCORE_FILTERS[key][0]) for key in NPS_GROUPS]
    counts = {
        **_facet_counts("source", Feedback.Source.choices, lambda v: Q(source=v)),
        **_facet_counts(
            "sentiment", Feedback.SentimentLabel.choices, lambda v: Q(sentiment_label=v)
        ),
        **_facet_counts("nps", nps_choices, lambda v: SCORE_FILTERS[v][1]),
        **_facet_counts("segment", Segment.choices, lambda v: Q(customer__segment=v)),
    }
    rows = list(
        feedback_filtered(Feedback.objects.all(), filters or FeedbackFilters())
        .order_by()
        .values("theme_id", "theme__label")
        .annotate(facet_total=Count("pk"), **counts)
    )

    def summed(prefix: str, choices) -> list[FacetValue]:
        values = [
            FacetValue(str(value), str(label), sum(row[f"{prefix}_{value}"] for row in rows))
            for value, label in choices
        ]
        return [value for value in values if value.count]

    themes = sorted(
        (
            FacetValue(str(row["theme_id"]), row["theme__label"], row["facet_total"])
            for row in rows
            if row["theme_id"] is not None
        ),
        key=lambda facet: (-facet.count, facet.label),
    )
    return FeedbackFacets(
        total=sum(row["facet_total"] for row in rows),
        source=summed("source", Feedback.Source.choices),
        theme=themes,
        sentiment_label=summed("sentiment", Feedback.SentimentLabel.choices),
        nps_group=summed("nps", nps_choices),
        segment=summed("segment", Segment.choices),
    )
