import datetime as dt

import pytest

from insights.selectors import day_start
from metrics.selectors import (
    csat_by_month,
    month_starts,
    months_back,
    nps_between,
    nps_by_month,
    scores_between,
    scores_by_month,
)
from tests.insights.factories import FeedbackFactory


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

    with django_assert_num_queries(1):
        scores = scores_between(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))

    assert scores.nps.value == pytest.approx(30.0)
    assert scores.nps.n == 10
    assert round(scores.nps.ci_low, 1) == -18.4
    assert scores.csat.n == 3
    assert scores.csat.satisfied == 2
    assert scores.ces.value == pytest.approx(3.0)
    assert scores.ces.n == 2


@pytest.mark.django_db
def test_scores_by_month_fills_empty_months_in_one_query(django_assert_num_queries):
    _on(dt.date(2026, 1, 5), nps=10)
    _on(dt.date(2026, 1, 31), nps=0)
    _on(dt.date(2026, 3, 1), nps=9, csat=5)
    _on(dt.date(2025, 12, 31), nps=0)  # before the range

    with django_assert_num_queries(1):
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
