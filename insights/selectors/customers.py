"""Reading accounts: lists, one account's feedback, usage and churn score, the summary."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from insights.models import (
    ChurnScore,
    Customer,
    Feedback,
    UsageSnapshot,
)


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
