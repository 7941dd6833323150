import datetime as dt

import pytest

from tests.insights.factories import CustomerFactory
from tests.touchpoints.factories import (
    TeamFactory,
    TouchpointFactory,
    UserFactory,
)
from touchpoints.models import Observation, TouchpointGoal
from touchpoints.selectors import touchpoint_get, touchpoint_list

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)
Scope = TouchpointGoal.Scope


@pytest.fixture
def engineer():
    return UserFactory(username="eng")


@pytest.fixture
def team(engineer):
    team = TeamFactory()
    team.members.add(engineer)
    return team


def test_touchpoint_list_keeps_an_engineers_own(engineer):
    mine = TouchpointFactory(logged_by=engineer)
    shared = TouchpointFactory(engineers=[engineer, UserFactory()])
    TouchpointFactory()

    assert set(touchpoint_list(engineer=engineer)) == {mine, shared}


def test_touchpoint_list_query_count_does_not_grow_with_rows(django_assert_num_queries):
    for _ in range(5):
        touchpoint = TouchpointFactory()
        touchpoint.customers.set([CustomerFactory(), CustomerFactory()])
        Observation.objects.create(touchpoint=touchpoint, text="Slow export")

    # touchpoints (with observation counts), engineers, customers
    with django_assert_num_queries(3):
        rows = [
            (t.observation_count, [e.username for e in t.engineers.all()], list(t.customers.all()))
            for t in touchpoint_list()
        ]

    assert len(rows) == 5
    assert all(count == 1 for count, _, _ in rows)


def test_touchpoint_get_prefetches_observations(django_assert_num_queries):
    touchpoint = TouchpointFactory()
    Observation.objects.create(touchpoint=touchpoint, text="One")
    Observation.objects.create(touchpoint=touchpoint, text="Two")

    with django_assert_num_queries(4):
        found = touchpoint_get(touchpoint_id=touchpoint.pk)
        texts = [o.text for o in found.observations.all()]
        list(found.engineers.all())
        list(found.customers.all())

    assert texts == ["One", "Two"]


def test_touchpoint_get_of_a_missing_id_is_none():
    assert touchpoint_get(touchpoint_id=999_999) is None
