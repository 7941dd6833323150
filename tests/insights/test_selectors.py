import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from insights.models import Feedback, Theme
from insights.roles import Role
from insights.selectors import (
    CustomerFilters,
    FeedbackFilters,
    customer_list,
    customer_summary,
    customer_usage,
    day_start,
    feedback_list,
    feedback_received_between,
    pain_points_top,
    role_member_counts,
    theme_list_with_volume,
)
from tests.conftest import user_with_role
from tests.insights.factories import (
    CustomerFactory,
    FeedbackFactory,
    ThemeFactory,
    UsageSnapshotFactory,
)

pytestmark = pytest.mark.django_db


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return day_start(day) + dt.timedelta(hours=hour)


def test_feedback_list_filters_by_source():
    survey = FeedbackFactory(source=Feedback.Source.SURVEY)
    FeedbackFactory(source=Feedback.Source.REVIEW)

    result = feedback_list(filters=FeedbackFilters(source=Feedback.Source.SURVEY))

    assert list(result) == [survey]


def test_feedback_list_date_range_includes_both_days_whole():
    first_minute = FeedbackFactory(received_at=day_start(dt.date(2026, 3, 1)))
    last_minute = FeedbackFactory(
        received_at=_at(dt.date(2026, 3, 31), 23) + dt.timedelta(minutes=59)
    )
    FeedbackFactory(received_at=day_start(dt.date(2026, 4, 1)))
    FeedbackFactory(received_at=day_start(dt.date(2026, 3, 1)) - dt.timedelta(seconds=1))

    result = feedback_list(
        filters=FeedbackFilters(received_from=dt.date(2026, 3, 1), received_to=dt.date(2026, 3, 31))
    )

    assert set(result) == {first_minute, last_minute}


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        ("promoter", {"nps9", "nps10"}),
        ("passive", {"nps7"}),
        ("detractor", {"nps0", "nps6"}),
        ("satisfied", {"csat4"}),
        ("dissatisfied", {"csat3"}),
        ("unscored", {"none"}),
    ],
)
def test_feedback_list_filters_by_score(score, expected):
    for name, fields in {
        "nps0": {"nps": 0},
        "nps6": {"nps": 6},
        "nps7": {"nps": 7},
        "nps9": {"nps": 9},
        "nps10": {"nps": 10},
        "csat3": {"csat": 3},
        "csat4": {"csat": 4},
        "none": {},
    }.items():
        FeedbackFactory(text=name, **fields)

    result = feedback_list(filters=FeedbackFilters(score=score))

    assert {feedback.text for feedback in result} == expected


def test_feedback_list_filters_by_customer_external_id():
    acme = CustomerFactory(external_id="ACME-1")
    mine = FeedbackFactory(customer=acme)
    FeedbackFactory()

    assert list(feedback_list(filters=FeedbackFilters(customer_external_id="ACME-1"))) == [mine]


def test_feedback_list_is_newest_first_and_joins_account_and_theme(django_assert_num_queries):
    theme = ThemeFactory()
    now = timezone.now()
    for days in (3, 1, 2):
        FeedbackFactory(received_at=now - dt.timedelta(days=days), theme=theme)

    with django_assert_num_queries(1):
        rows = [(f.received_at, f.customer.name, f.theme.label) for f in feedback_list()]

    assert [row[0] for row in rows] == sorted((row[0] for row in rows), reverse=True)


def test_feedback_received_between_covers_whole_days():
    inside = FeedbackFactory(received_at=_at(dt.date(2026, 2, 28), 23))
    FeedbackFactory(received_at=_at(dt.date(2026, 3, 1), 0))

    result = feedback_received_between(start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))

    assert list(result) == [inside]


def test_customer_summary_counts_accounts_and_arr():
    today = dt.date(2026, 6, 1)
    CustomerFactory(arr=Decimal("10000"))
    CustomerFactory(arr=Decimal("5000.50"))
    CustomerFactory(arr=Decimal("7000"), churned=True, churned_on=today - dt.timedelta(days=30))
    CustomerFactory(arr=Decimal("9000"), churned=True, churned_on=today - dt.timedelta(days=400))

    summary = customer_summary(churned_since=today - dt.timedelta(days=365))

    assert summary.accounts == 4
    assert summary.active_accounts == 2
    assert summary.active_arr == Decimal("15000.50")
    assert summary.churned_recently == 1
    assert summary.churned_recently_arr == Decimal("7000")


def test_customer_summary_of_an_empty_database_is_zero():
    summary = customer_summary(churned_since=dt.date(2026, 1, 1))

    assert (summary.accounts, summary.active_arr, summary.churned_recently_arr) == (0, 0, 0)


def test_customer_list_filters_and_counts_feedback():
    enterprise = CustomerFactory(segment="enterprise")
    CustomerFactory(segment="smb")
    FeedbackFactory.create_batch(2, customer=enterprise)

    result = list(customer_list(filters=CustomerFilters(segment="enterprise")))

    assert result == [enterprise]
    assert result[0].feedback_count == 2


def test_customer_list_filters_churned():
    gone = CustomerFactory(churned=True, churned_on=dt.date(2026, 1, 1))
    CustomerFactory()

    assert list(customer_list(filters=CustomerFilters(churned=True))) == [gone]


def test_customer_usage_is_the_latest_periods_oldest_first():
    customer = CustomerFactory()
    for month in range(1, 6):
        UsageSnapshotFactory(customer=customer, period=dt.date(2026, month, 1))

    usage = customer_usage(customer=customer, limit=3)

    assert [row.period.month for row in usage] == [3, 4, 5]


def test_theme_list_with_volume_ranks_by_recent_feedback_and_hides_dismissed():
    now = timezone.now()
    since = now - dt.timedelta(days=90)
    big = ThemeFactory(label="Big")
    small = ThemeFactory(label="Small")
    old = ThemeFactory(label="Old")
    ThemeFactory(label="Dismissed", status=Theme.Status.DISMISSED)
    FeedbackFactory.create_batch(3, theme=big, received_at=now - dt.timedelta(days=1))
    FeedbackFactory(theme=small, received_at=now - dt.timedelta(days=1))
    FeedbackFactory.create_batch(5, theme=old, received_at=now - dt.timedelta(days=200))

    themes = list(theme_list_with_volume(since=since))

    assert [t.label for t in themes] == ["Big", "Small", "Old"]
    assert [(t.recent_volume, t.total_volume) for t in themes] == [(3, 3), (1, 1), (0, 5)]


def test_pain_points_top_leaves_out_themes_without_recent_feedback():
    now = timezone.now()
    quiet = ThemeFactory()
    FeedbackFactory(theme=quiet, received_at=now - dt.timedelta(days=200))

    assert pain_points_top(since=now - dt.timedelta(days=90)) == []


def test_role_member_counts_lists_every_role_and_the_roleless():
    user_with_role(Role.ENGINEER, username="e1")
    user_with_role(Role.ENGINEER, username="e2")
    user_with_role(Role.EXECUTIVE, username="x1")
    user_with_role(None, username="nobody")

    counts = dict(role_member_counts())

    assert counts == {
        "Admin": 0,
        "Product manager": 0,
        "Engineer": 2,
        "Executive": 1,
        "No role": 1,
    }
