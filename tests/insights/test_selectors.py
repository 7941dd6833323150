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
    pain_points_ranked,
    role_member_counts,
    strengths_ranked,
    theme_split,
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


# --- pain points and strengths: one ranking ----------------------------------------------------


def _ranked(
    label: str,
    impact: float,
    *,
    polarity=Theme.Polarity.PAIN,
    parent=None,
    status=Theme.Status.ACTIVE,
    **stats,
):
    statistics = {"pain_90": 10, "praise_90": 0, "strength_score": 0.0} | stats
    if polarity == Theme.Polarity.STRENGTH:
        statistics |= {"pain_90": 0, "praise_90": 10}
    return ThemeFactory(
        label=label,
        impact=impact,
        polarity=polarity,
        parent=parent,
        status=status,
        statistics=statistics,
        quotes=[FeedbackFactory(redacted_text=f"{label} quote").pk],
    )


def test_pain_points_are_top_level_active_pain_with_their_pain_sub_themes(
    django_assert_num_queries,
):
    # Given pain points, a parent with pain and praise sub-themes, a praise parent with a pain
    # sub-theme, and themes that are never listed
    mobile = _ranked("Mobile app", 80)
    crashes = _ranked("App crashes", 60, parent=mobile)
    logout = _ranked("App logs out", 30, parent=mobile)
    _ranked("App looks nice", 0, parent=mobile, polarity=Theme.Polarity.STRENGTH)
    exports = _ranked("Exports", 50)
    onboarding = _ranked("Onboarding", 0, polarity=Theme.Polarity.STRENGTH, strength_score=90)
    checklist = _ranked("Checklist breaks", 40, parent=onboarding)
    _ranked("Retired", 70, status=Theme.Status.RETIRED)
    dismissed = _ranked("Dismissed", 90, status=Theme.Status.DISMISSED)
    _ranked("Under a dismissed parent", 45, parent=dismissed)
    _ranked("Quiet", 0, pain_90=0)

    # When the ranking is read (themes and their parents, then quotes)
    with django_assert_num_queries(2):
        points = pain_points_ranked()

    # Then pain is listed on its own when top-level or inside praise, highest impact first
    assert [(p.rank, p.theme.label) for p in points] == [
        (1, "Mobile app"),
        (2, "Exports"),
        (3, "Checklist breaks"),
    ]
    # with its pain sub-themes in order; the praise among them is a strength, not listed here
    assert [(c.rank, c.theme.pk) for c in points[0].children] == [(1, crashes.pk), (2, logout.pk)]
    assert points[1].children == []
    assert points[2].theme.pk == checklist.pk
    assert points[1].top_quote.redacted_text == "Exports quote"
    assert exports.pk == points[1].theme.pk
    # and a limit cuts the top, children included
    assert [p.theme.pk for p in pain_points_ranked(limit=1)] == [mobile.pk]


def test_strengths_are_active_praise_listed_by_score_with_praise_inside_pain(
    django_assert_num_queries,
):
    pain = _ranked("Mobile app", 80)
    nice = _ranked("App looks nice", 0, parent=pain, polarity=Theme.Polarity.STRENGTH)
    support = _ranked("Support", 0, polarity=Theme.Polarity.STRENGTH, strength_score=90)
    fast = _ranked("Fast", 0, polarity=Theme.Polarity.STRENGTH, strength_score=40)
    _ranked("Fast replies", 0, parent=support, polarity=Theme.Polarity.STRENGTH)
    _ranked("Gone", 0, polarity=Theme.Polarity.STRENGTH, status=Theme.Status.RETIRED)

    with django_assert_num_queries(2):
        strengths = strengths_ranked()

    assert [s.theme.pk for s in strengths] == [support.pk, fast.pk, nice.pk]
    assert strengths[2].parent == pain
    assert strengths[0].volume == 10
    assert strengths[0].top_quote.redacted_text == "Support quote"


def test_filtered_pain_points_count_a_parents_sub_themes_feedback():
    mobile = _ranked("Mobile app", 80)
    crashes = _ranked("App crashes", 60, parent=mobile)
    FeedbackFactory.create_batch(3, theme=crashes, source=Feedback.Source.REVIEW)
    exports = _ranked("Exports", 50)
    FeedbackFactory(theme=exports, source=Feedback.Source.SURVEY)

    points = pain_points_ranked(filters=FeedbackFilters(source=Feedback.Source.REVIEW))

    assert [(p.theme.pk, p.filtered_count) for p in points] == [(mobile.pk, 3)]
    assert [(c.theme.pk, c.filtered_count) for c in points[0].children] == [(crashes.pk, 3)]


def test_theme_split_counts_a_theme_and_its_sub_themes_as_they_stand(django_assert_num_queries):
    parent = ThemeFactory(label="Mobile app")
    own = ThemeFactory(label="Crashes", parent=parent)
    praise = ThemeFactory(label="Looks nice", parent=parent, polarity=Theme.Polarity.STRENGTH)
    ThemeFactory(label="Old", parent=parent, status=Theme.Status.RETIRED)
    for theme, label, n in (
        (parent, "negative", 1),
        (own, "negative", 4),
        (own, "neutral", 1),
        (own, "", 2),
        (praise, "positive", 3),
    ):
        FeedbackFactory.create_batch(n, theme=theme, sentiment_label=label)

    with django_assert_num_queries(2):
        split = theme_split(theme=parent)

    assert [child.theme.pk for child in split.children] == [own.pk, praise.pk]
    total = split.split
    assert (total.positive, total.neutral, total.negative, total.unscored) == (3, 1, 5, 2)
    assert total.positive_share == pytest.approx(3 / 9)
    crashes = next(child for child in split.children if child.theme.pk == own.pk).split
    assert (crashes.negative, crashes.neutral, crashes.unscored) == (4, 1, 2)
    assert crashes.negative_share == pytest.approx(0.8)
