"""Reading customers, feedback, pain points and imports. Every other app reads them through here."""

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from insights.models import (
    ChurnScore,
    Contact,
    Customer,
    Feedback,
    ImportJob,
    ModelRun,
    Segment,
    Theme,
    ThemeEdit,
    UsageSnapshot,
)
from insights.roles import Role

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


@dataclass(frozen=True)
class CustomerFilters:
    segment: str = ""
    plan: str = ""
    region: str = ""
    churned: bool | None = None


@dataclass(frozen=True)
class CustomerSummary:
    accounts: int
    active_accounts: int
    active_arr: Decimal
    churned_recently: int
    churned_recently_arr: Decimal


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the current time zone, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def days_window(*, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The half-open datetime range [start 00:00, end+1 00:00) covering both days fully."""
    return day_start(start), day_start(end + dt.timedelta(days=1))


def _feedback_filtered(queryset: QuerySet[Feedback], filters: FeedbackFilters) -> QuerySet:
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
    return _feedback_filtered(queryset, filters or FeedbackFilters())


def feedback_recent(*, limit: int = 6) -> list[Feedback]:
    return list(feedback_list()[:limit])


def feedback_received_between(*, start: dt.date, end: dt.date) -> QuerySet[Feedback]:
    """Feedback received on the days start…end (both included), for aggregating; no joins."""
    since, until = days_window(start=start, end=end)
    return Feedback.objects.filter(received_at__gte=since, received_at__lt=until).order_by()


def feedback_count_since(*, since: dt.datetime) -> int:
    return Feedback.objects.filter(received_at__gte=since).count()


def customer_list(*, filters: CustomerFilters | None = None) -> QuerySet[Customer]:
    """Accounts by name, each with its number of feedback items."""
    filters = filters or CustomerFilters()
    queryset = Customer.objects.all()
    for field in ("segment", "plan", "region"):
        if value := getattr(filters, field):
            queryset = queryset.filter(**{field: value})
    if filters.churned is not None:
        queryset = queryset.filter(churned=filters.churned)
    return queryset.annotate(feedback_count=Count("feedback")).order_by("name", "id")


def customer_get(*, customer_id: int) -> Customer | None:
    return Customer.objects.filter(pk=customer_id).first()


def customer_feedback(*, customer: Customer, limit: int = 50) -> list[Feedback]:
    return list(
        Feedback.objects.filter(customer=customer)
        .select_related("theme")
        .order_by("-received_at", "-id")[:limit]
    )


def customer_usage(*, customer: Customer, limit: int = 12) -> list[UsageSnapshot]:
    """The latest `limit` periods of usage, oldest first."""
    latest = list(UsageSnapshot.objects.filter(customer=customer).order_by("-period")[:limit])
    return latest[::-1]


def customer_churn_score_latest(*, customer: Customer) -> ChurnScore | None:
    return ChurnScore.objects.filter(customer=customer).order_by("-scored_at").first()


def customer_summary(*, churned_since: dt.date) -> CustomerSummary:
    """Account counts and ARR in one query."""
    churned_recently = Q(churned=True, churned_on__gte=churned_since)
    row = Customer.objects.aggregate(
        accounts=Count("id"),
        active_accounts=Count("id", filter=Q(churned=False)),
        active_arr=Sum("arr", filter=Q(churned=False)),
        churned_recently=Count("id", filter=churned_recently),
        churned_recently_arr=Sum("arr", filter=churned_recently),
    )
    return CustomerSummary(
        accounts=row["accounts"],
        active_accounts=row["active_accounts"],
        active_arr=row["active_arr"] or Decimal(0),
        churned_recently=row["churned_recently"],
        churned_recently_arr=row["churned_recently_arr"] or Decimal(0),
    )


def theme_list_with_volume(*, since: dt.datetime) -> QuerySet[Theme]:
    """Active pain points, biggest first: `recent_volume` counts feedback received since `since`,
    `total_volume` all of it."""
    return (
        Theme.objects.filter(status=Theme.Status.ACTIVE)
        .annotate(
            recent_volume=Count("feedback", filter=Q(feedback__received_at__gte=since)),
            total_volume=Count("feedback"),
        )
        .order_by("-recent_volume", "-total_volume", "label", "id")
    )


def pain_points_top(*, since: dt.datetime, limit: int = 5) -> list[Theme]:
    """The pain points with the most feedback since `since`; empty before any analysis ran."""
    return list(theme_list_with_volume(since=since).filter(recent_volume__gt=0)[:limit])


def theme_get(*, theme_id: int) -> Theme | None:
    return Theme.objects.filter(pk=theme_id).select_related("merged_into").first()


def theme_feedback(*, theme: Theme) -> QuerySet[Feedback]:
    return (
        Feedback.objects.filter(theme=theme)
        .select_related("customer")
        .order_by("-received_at", "-id")
    )


def import_job_list() -> QuerySet[ImportJob]:
    return ImportJob.objects.select_related("created_by").order_by("-created_at", "-id")


def role_member_counts() -> list[tuple[str, int]]:
    """(role, number of users) for the four roles, plus users who hold none of them."""
    counts = dict(
        Group.objects.filter(name__in=Role.values)
        .annotate(members=Count("user"))
        .values_list("name", "members")
    )
    rows = [(role.label, counts.get(role.value, 0)) for role in Role]
    without_role = get_user_model().objects.exclude(groups__name__in=Role.values).count()
    rows.append(("No role", without_role))
    return rows


def contact_emails_sample(*, limit: int) -> list[str]:
    """Some contacts' emails, in a stable order (for demo sample exports)."""
    return list(Contact.objects.order_by("pk").values_list("email", flat=True)[:limit])


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
        _feedback_filtered(Feedback.objects.all(), filters or FeedbackFilters())
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


# --- pain points ----------------------------------------------------------------------------------


@dataclass
class PainPoint:
    """An active theme in the ranking, with what the pain-points pages show beside it."""

    theme: Theme
    rank: int
    top_quote: Feedback | None = None
    filtered_count: int | None = None  # its feedback among the filtered feedback, when filtered
    backlog_items: list = dataclasses.field(default_factory=list)  # filled in by the roadmap

    @property
    def statistics(self) -> dict:
        return self.theme.statistics or {}


def pain_point_filters_set(filters: FeedbackFilters | None) -> bool:
    return filters is not None and filters != FeedbackFilters()


def feedback_count_by_theme(*, filters: FeedbackFilters) -> dict[int, int]:
    """Theme id → how many of the filtered feedback it holds (themed feedback only)."""
    return dict(
        _feedback_filtered(Feedback.objects.filter(theme__isnull=False), filters)
        .order_by()
        .values("theme_id")
        .annotate(n=Count("pk"))
        .values_list("theme_id", "n")
    )


def pain_points_ranked(
    *, filters: FeedbackFilters | None = None, with_quotes: bool = True
) -> list[PainPoint]:
    """Active themes with volume, highest impact first. With filters, only the themes holding
    some of the filtered feedback, each with that count, in the same order."""
    themes = list(
        Theme.objects.filter(status=Theme.Status.ACTIVE)
        .filter(Q(impact__gt=0) | Q(statistics__volume_90__gt=0))
        .defer("centroid")
        .order_by("-impact", "label", "id")
    )
    counts = None
    if pain_point_filters_set(filters):
        counts = feedback_count_by_theme(filters=filters)
        themes = [theme for theme in themes if counts.get(theme.pk)]
    quotes = _first_quotes(themes) if with_quotes else {}
    return [
        PainPoint(
            theme=theme,
            rank=rank,
            top_quote=quotes.get(theme.pk),
            filtered_count=None if counts is None else counts[theme.pk],
        )
        for rank, theme in enumerate(themes, start=1)
    ]


def _quote_ids(theme: Theme) -> list[int]:
    return [pk for pk in (theme.quotes or []) if isinstance(pk, int)]


def _first_quotes(themes: list[Theme], *, tries: int = 3) -> dict[int, Feedback]:
    """Each theme's first representative feedback that still exists (one query for all)."""
    wanted = {theme.pk: _quote_ids(theme)[:tries] for theme in themes}
    ids = {pk for pks in wanted.values() for pk in pks}
    if not ids:
        return {}
    found = Feedback.objects.only("pk", "text", "redacted_text").in_bulk(ids)
    first = {}
    for theme_id, pks in wanted.items():
        for pk in pks:
            if pk in found:
                first[theme_id] = found[pk]
                break
    return first


def theme_quotes(*, theme: Theme, limit: int = 5) -> list[Feedback]:
    """The theme's representative feedback, in the analysis's order."""
    ids = _quote_ids(theme)[: limit * 2]
    found = Feedback.objects.select_related("customer").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found][:limit]


def analysis_run_latest() -> ModelRun | None:
    return (
        ModelRun.objects.filter(kind=ModelRun.Kind.THEMES)
        .defer("artifact")
        .order_by("-created_at", "-id")
        .first()
    )


def analysis_run_get(*, run_id: int) -> ModelRun | None:
    return ModelRun.objects.filter(pk=run_id, kind=ModelRun.Kind.THEMES).defer("artifact").first()


def theme_weekly_volume(*, theme: Theme, weeks: int = 52) -> list[tuple[dt.date, int]]:
    """(Monday, feedback received that week) for the last `weeks` weeks, oldest first, zeros
    included."""
    today = timezone.localdate()
    this_monday = today - dt.timedelta(days=today.weekday())
    first_monday = this_monday - dt.timedelta(weeks=weeks - 1)
    rows = (
        Feedback.objects.filter(theme=theme, received_at__gte=day_start(first_monday))
        .annotate(week=TruncWeek("received_at"))
        .order_by()
        .values("week")
        .annotate(n=Count("pk"))
        .values_list("week", "n")
    )
    counts: dict[dt.date, int] = {}
    for week, n in rows:
        day = timezone.localtime(week).date() if isinstance(week, dt.datetime) else week
        counts[day] = counts.get(day, 0) + n
    return [
        (monday, counts.get(monday, 0))
        for monday in (first_monday + dt.timedelta(weeks=i) for i in range(weeks))
    ]


def theme_accounts_top(*, theme: Theme, limit: int = 10) -> list[Customer]:
    """The accounts that raised the theme, biggest ARR first, each with `theme_feedback`: how
    much of the theme's feedback is theirs."""
    return list(
        Customer.objects.filter(feedback__theme=theme)
        .annotate(theme_feedback=Count("feedback"))
        .order_by("-arr", "name", "id")[:limit]
    )


def theme_edit_list(*, theme: Theme, limit: int = 50) -> list[ThemeEdit]:
    return list(
        ThemeEdit.objects.filter(theme=theme)
        .select_related("user")
        .order_by("-created_at", "-id")[:limit]
    )


def theme_list_active(*, exclude: Theme | None = None) -> list[Theme]:
    """Active themes by name, for choosing where to merge or move to."""
    queryset = Theme.objects.filter(status=Theme.Status.ACTIVE).defer("centroid")
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return list(queryset.order_by("label", "id"))


def theme_map_themes() -> list[Theme]:
    """Active themes that have a centroid, for the theme map."""
    return list(
        Theme.objects.filter(status=Theme.Status.ACTIVE, centroid__isnull=False).order_by(
            "-impact", "label", "id"
        )
    )
