import datetime as dt

import pytest
from django.test import override_settings

from insights.models import Plan, Region, Segment
from insights.selectors import day_start
from metrics.selectors import (
    GROUP_FIELDS,
    MONTH,
    QUARTER,
    csat_by_month,
    empty_scores,
    month_starts,
    months_back,
    nps_between,
    nps_by_month,
    scores_between,
    scores_by_month,
    scores_grouped,
    usage_grouped,
)
from tests.insights.factories import (
    ContactFactory,
    CustomerFactory,
    FeedbackFactory,
    UsageSnapshotFactory,
)


def _on(day: dt.date, **fields):
    return FeedbackFactory(received_at=day_start(day) + dt.timedelta(hours=12), **fields)


def test_months_back_crosses_year_boundaries():
    assert months_back(dt.date(2026, 2, 17), 0) == dt.date(2026, 2, 1)
    assert months_back(dt.date(2026, 2, 17), 2) == dt.date(2025, 12, 1)
    assert months_back(dt.date(2026, 2, 17), 23) == dt.date(2024, 3, 1)
    assert months_back(dt.date(2026, 12, 5), -1) == dt.date(2027, 1, 1)


def test_month_starts_lists_every_month_of_the_range():
    months = month_starts(start=dt.date(2025, 11, 20), end=dt.date(2026, 2, 3))

    assert months == [
        dt.date(2025, 11, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
    ]


@pytest.mark.django_db
def test_scores_between_counts_in_the_database(django_assert_num_queries):
    day = dt.date(2026, 3, 10)
    for score in (9, 10, 9, 10, 9, 7, 8, 7, 3, 6):
        _on(day, nps=score)
    for score in (5, 4, 2):
        _on(day, csat=score)
    _on(day, ces=2)
    _on(day, ces=4)
    _on(dt.date(2026, 4, 1), nps=0)  # outside

    with django_assert_num_queries(3):  # one per score
        scores = scores_between(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))

    assert scores.nps.value == pytest.approx(30.0)
    assert scores.nps.n == 10
    assert round(scores.nps.ci_low, 1) == -18.4
    assert scores.csat.n == 3
    assert scores.csat.satisfied == 2
    assert scores.ces.value == pytest.approx(3.0)
    assert scores.ces.n == 2


@pytest.mark.django_db
def test_scores_by_month_fills_empty_months_in_three_queries(django_assert_num_queries):
    _on(dt.date(2026, 1, 5), nps=10)
    _on(dt.date(2026, 1, 31), nps=0)
    _on(dt.date(2026, 3, 1), nps=9, csat=5)
    _on(dt.date(2025, 12, 31), nps=0)  # before the range

    with django_assert_num_queries(3):  # one per score
        periods = scores_by_month(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))

    assert [p.start for p in periods] == [dt.date(2026, m, 1) for m in (1, 2, 3)]
    january, february, march = periods
    assert (january.nps.value, january.nps.n) == (0.0, 2)
    assert (february.nps.value, february.nps.n, february.csat.value) == (None, 0, None)
    assert (march.nps.value, march.csat.value) == (100.0, 100.0)


@pytest.mark.django_db
def test_nps_and_csat_shortcuts_agree_with_scores():
    _on(dt.date(2026, 2, 2), nps=10, csat=4)
    _on(dt.date(2026, 2, 3), nps=5, csat=2)

    by_month_nps = dict(nps_by_month(start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28)))
    by_month_csat = dict(csat_by_month(start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28)))

    assert by_month_nps[dt.date(2026, 2, 1)].value == 0.0
    assert by_month_csat[dt.date(2026, 2, 1)].value == 50.0
    assert nps_between(start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28)).n == 2


# --- duplicate respondents, period boundaries, edge cases ----------------------------------------


@pytest.mark.django_db
def test_a_contact_counts_once_a_month_with_their_latest_answer():
    # Given a contact who answered NPS 0 then 10 in March, and twice more in April
    contact = ContactFactory()
    _on(dt.date(2026, 3, 2), nps=0, contact=contact, customer=contact.customer)
    _on(dt.date(2026, 3, 20), nps=10, contact=contact, customer=contact.customer)
    _on(dt.date(2026, 4, 1), nps=3, contact=contact, customer=contact.customer)
    _on(dt.date(2026, 4, 2), nps=8, contact=contact, customer=contact.customer)
    # and two anonymous answers, which always count
    _on(dt.date(2026, 3, 5), nps=0)
    _on(dt.date(2026, 3, 5), nps=0)

    # When
    march, april = scores_by_month(start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 30))
    quarter = scores_between(start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 30))

    # Then March has the contact's 10 and the two anonymous 0s; April the contact's 8
    assert (march.nps.n, march.nps.promoters, march.nps.detractors) == (3, 1, 2)
    assert (april.nps.n, april.nps.passives) == (1, 1)
    # and over the whole range the contact counts once, with April's 8
    assert (quarter.nps.n, quarter.nps.passives, quarter.nps.detractors) == (3, 1, 2)


@pytest.mark.django_db
def test_each_score_takes_the_respondents_latest_answer_of_that_score():
    contact = ContactFactory()
    _on(dt.date(2026, 3, 2), nps=9, csat=2, contact=contact)
    _on(dt.date(2026, 3, 9), csat=5, contact=contact)  # a later CSAT, no NPS

    scores = scores_between(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))

    assert (scores.nps.n, scores.nps.promoters) == (1, 1)  # the NPS is not dropped
    assert (scores.csat.n, scores.csat.satisfied) == (1, 1)  # the later CSAT wins


@pytest.mark.django_db
def test_respondent_id_or_email_in_metadata_identifies_a_respondent_without_a_contact():
    _on(dt.date(2026, 3, 2), nps=0, metadata={"respondent_id": "R-1"})
    _on(dt.date(2026, 3, 3), nps=10, metadata={"respondent_id": "R-1"})
    _on(dt.date(2026, 3, 2), nps=0, metadata={"email": "Ana@Example.com"})
    _on(dt.date(2026, 3, 4), nps=9, metadata={"email": "ana@example.com"})
    _on(dt.date(2026, 3, 2), nps=0, metadata={"response_id": "X"})  # a response, not a person
    _on(dt.date(2026, 3, 2), nps=0, metadata={"response_id": "X"})

    scores = scores_between(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))

    assert (scores.nps.n, scores.nps.promoters, scores.nps.detractors) == (4, 2, 2)


@pytest.mark.django_db
def test_same_time_answers_of_one_respondent_keep_the_last_stored():
    contact = ContactFactory()
    at = day_start(dt.date(2026, 3, 2))
    FeedbackFactory(received_at=at, nps=0, contact=contact)
    FeedbackFactory(received_at=at, nps=10, contact=contact)

    scores = scores_between(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))

    assert (scores.nps.n, scores.nps.promoters) == (1, 1)


@pytest.mark.django_db
@override_settings(TIME_ZONE="America/New_York")
def test_months_follow_the_organisations_time_zone():
    # 03:00 UTC on 1 March is 22:00 on 28 February in New York
    FeedbackFactory(received_at=dt.datetime(2026, 3, 1, 3, 0, tzinfo=dt.UTC), nps=10)
    FeedbackFactory(received_at=dt.datetime(2026, 3, 1, 5, 0, tzinfo=dt.UTC), nps=0)
    # 03:00 UTC on 1 April is still the first quarter there
    FeedbackFactory(received_at=dt.datetime(2026, 4, 1, 3, 0, tzinfo=dt.UTC), csat=5)

    february, march = scores_by_month(start=dt.date(2026, 2, 1), end=dt.date(2026, 3, 31))
    by_quarter = scores_grouped(
        start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 30), period_kind=QUARTER
    )

    assert (february.nps.n, february.nps.value) == (1, 100.0)
    assert (march.nps.n, march.nps.value) == (1, -100.0)
    assert by_quarter[(dt.date(2026, 1, 1), "", "")].nps.n == 2
    assert by_quarter[(dt.date(2026, 1, 1), "", "")].csat.n == 1
    assert (dt.date(2026, 4, 1), "", "") not in by_quarter


@pytest.mark.django_db
def test_all_passives_and_missing_scores():
    for score in (7, 8, 7):
        _on(dt.date(2026, 3, 2), nps=score)
    _on(dt.date(2026, 3, 2))  # text only: no score at all

    scores = scores_between(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))

    assert (scores.nps.value, scores.nps.n, scores.nps.ci_low, scores.nps.ci_high) == (0, 3, 0, 0)
    assert (scores.csat.value, scores.csat.n) == (None, 0)
    assert (scores.ces.value, scores.ces.n) == (None, 0)


@pytest.mark.django_db
def test_no_responses_at_all():
    scores = scores_between(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))

    assert scores == empty_scores(dt.date(2026, 3, 1))
    assert scores.nps.value is None


@pytest.mark.django_db
def test_scores_grouped_by_segment_plan_and_region_add_up(django_assert_num_queries):
    smb = CustomerFactory(segment=Segment.SMB, plan=Plan.STARTER, region=Region.APAC)
    big = CustomerFactory(segment=Segment.ENTERPRISE, plan=Plan.STARTER, region=Region.EMEA)
    _on(dt.date(2026, 3, 2), nps=10, customer=smb)
    _on(dt.date(2026, 3, 2), nps=0, customer=big)
    _on(dt.date(2026, 3, 3), nps=9, customer=None)

    with django_assert_num_queries(3):
        grouped = scores_grouped(
            start=dt.date(2026, 3, 1),
            end=dt.date(2026, 3, 31),
            period_kind=MONTH,
            group_fields=GROUP_FIELDS,
        )

    march = dt.date(2026, 3, 1)
    assert grouped[(march, "", "")].nps.n == 3
    assert grouped[(march, "segment", "smb")].nps.value == 100.0
    assert grouped[(march, "segment", "enterprise")].nps.value == -100.0
    assert grouped[(march, "segment", "")].nps.n == 1  # no account: "not set"
    assert grouped[(march, "plan", "starter")].nps.n == 2
    assert grouped[(march, "region", "emea")].nps.detractors == 1


def test_scores_grouped_refuses_other_fields():
    with pytest.raises(ValueError, match="Cannot group feedback"):
        scores_grouped(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), group_fields=["arr"])


# --- usage: adoption and task success ---------------------------------------------------------


@pytest.mark.django_db
def test_usage_grouped_pools_accounts_and_months(django_assert_num_queries):
    smb = CustomerFactory(segment=Segment.SMB)
    big = CustomerFactory(segment=Segment.ENTERPRISE)
    UsageSnapshotFactory(
        customer=smb,
        period=dt.date(2026, 1, 1),
        active_users=10,
        feature_adoption={"export": 5, "search": 10},
        task_attempts=100,
        task_successes=80,
    )
    UsageSnapshotFactory(
        customer=big,
        period=dt.date(2026, 2, 1),
        active_users=30,
        # more users than active: capped at 30
        feature_adoption={"export": 15, "search": 45},
        task_attempts=300,
        task_successes=290,
    )
    UsageSnapshotFactory(customer=big, period=dt.date(2026, 4, 1), active_users=99)  # Q2

    with django_assert_num_queries(2):
        grouped = usage_grouped(
            start=dt.date(2026, 1, 1),
            end=dt.date(2026, 3, 31),
            period_kind=QUARTER,
            group_fields=["segment"],
        )

    q1 = grouped[(dt.date(2026, 1, 1), "", "")]
    # export (5 + 15) / 40 = 50 %; search (10 + 30) / 40 = 100 %; across both 75 %
    assert q1.features["export"].value == pytest.approx(50.0)
    assert q1.features["search"].value == pytest.approx(100.0)
    assert q1.adoption.value == pytest.approx(75.0)
    assert q1.adoption.n == 40
    # (80 + 290) / 400
    assert q1.task_success.value == pytest.approx(92.5)
    assert q1.task_success.n == 400
    assert grouped[(dt.date(2026, 1, 1), "segment", "smb")].task_success.value == 80.0
    assert (dt.date(2026, 4, 1), "", "") not in grouped


@pytest.mark.django_db
def test_a_feature_is_tracked_only_in_periods_that_name_it():
    customer = CustomerFactory()
    UsageSnapshotFactory(
        customer=customer, period=dt.date(2026, 1, 1), feature_adoption={"export": 5}
    )
    UsageSnapshotFactory(
        customer=customer,
        period=dt.date(2026, 2, 1),
        feature_adoption={"export": 5, "ai_summary": 10},
    )

    grouped = usage_grouped(start=dt.date(2026, 1, 1), end=dt.date(2026, 2, 28), period_kind=MONTH)

    january = grouped[(dt.date(2026, 1, 1), "", "")]
    february = grouped[(dt.date(2026, 2, 1), "", "")]
    assert list(january.features) == ["export"]
    assert january.adoption.value == pytest.approx(25.0)  # 5 of 20
    assert february.features["ai_summary"].value == pytest.approx(50.0)
    assert february.adoption.value == pytest.approx(37.5)  # (5 + 10) / (2 · 20)
