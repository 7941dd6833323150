"""Reading customers, feedback, pain points and imports. Every other app reads them through here."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from insights.models import (
    ChurnScore,
    Contact,
    Customer,
    Feedback,
    ImportJob,
    Theme,
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
    return queryset


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
