import datetime as dt

import pytest

from tests.insights.factories import CustomerFactory
from tests.touchpoints.factories import (
    TeamFactory,
    TouchpointFactory,
    TouchpointGoalFactory,
    UserFactory,
)
from touchpoints.models import Observation, TouchpointGoal, TouchpointKind
from touchpoints.selectors import (
    touchpoint_get,
    touchpoint_goal_for_engineer,
    touchpoint_list,
    touchpoint_progress,
)

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


def test_organisation_goal_applies_when_nothing_narrower_exists(engineer):
    org = TouchpointGoalFactory(scope=Scope.ORGANISATION, target_count=4)

    assert touchpoint_goal_for_engineer(engineer=engineer, on=TODAY) == org


def test_team_goal_overrides_organisation(engineer, team):
    TouchpointGoalFactory(scope=Scope.ORGANISATION, target_count=4)
    team_goal = TouchpointGoalFactory(scope=Scope.TEAM, team=team, target_count=6)

    assert touchpoint_goal_for_engineer(engineer=engineer, on=TODAY) == team_goal


def test_engineer_override_beats_team_and_organisation(engineer, team):
    TouchpointGoalFactory(scope=Scope.ORGANISATION)
    TouchpointGoalFactory(scope=Scope.TEAM, team=team)
    own = TouchpointGoalFactory(scope=Scope.ENGINEER, engineer=engineer, target_count=2)

    assert touchpoint_goal_for_engineer(engineer=engineer, on=TODAY) == own


def test_another_teams_goal_does_not_apply(engineer):
    org = TouchpointGoalFactory(scope=Scope.ORGANISATION)
    TouchpointGoalFactory(scope=Scope.TEAM, team=TeamFactory())

    assert touchpoint_goal_for_engineer(engineer=engineer, on=TODAY) == org


def test_latest_policy_in_effect_wins_and_future_ones_wait(engineer):
    TouchpointGoalFactory(effective_from=dt.date(2026, 1, 1), target_count=4)
    current = TouchpointGoalFactory(effective_from=dt.date(2026, 5, 1), target_count=5)
    TouchpointGoalFactory(effective_from=dt.date(2026, 9, 1), target_count=8)

    assert touchpoint_goal_for_engineer(engineer=engineer, on=TODAY) == current


def test_goals_of_other_years_do_not_apply(engineer):
    TouchpointGoalFactory(year=2025, effective_from=dt.date(2025, 1, 1))

    assert touchpoint_goal_for_engineer(engineer=engineer, on=TODAY) is None


def test_progress_counts_this_years_touchpoints_and_kinds(engineer):
    TouchpointGoalFactory(target_count=3, min_distinct_kinds=2)
    TouchpointFactory(logged_by=engineer, occurred_on=dt.date(2026, 2, 1))
    TouchpointFactory(
        logged_by=engineer, occurred_on=dt.date(2026, 3, 1), kind=TouchpointKind.CUSTOMER_CALL
    )
    TouchpointFactory(logged_by=engineer, occurred_on=dt.date(2025, 12, 31))
    TouchpointFactory(occurred_on=dt.date(2026, 4, 1))  # someone else's

    progress = touchpoint_progress(engineer=engineer, on=TODAY)

    assert (progress.done, progress.distinct_kinds, progress.target) == (2, 2, 3)
    assert progress.percent == 67
    assert not progress.met


def test_progress_is_met_with_enough_touchpoints_of_enough_kinds(engineer):
    TouchpointGoalFactory(target_count=2, min_distinct_kinds=2)
    TouchpointFactory(logged_by=engineer, occurred_on=dt.date(2026, 2, 1))
    TouchpointFactory(
        logged_by=engineer, occurred_on=dt.date(2026, 3, 1), kind=TouchpointKind.SITE_VISIT
    )

    progress = touchpoint_progress(engineer=engineer, on=TODAY)

    assert progress.met
    assert progress.percent == 100


def test_progress_without_a_goal(engineer):
    progress = touchpoint_progress(engineer=engineer, on=TODAY)

    assert progress.goal is None
    assert progress.percent is None
    assert not progress.met


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
