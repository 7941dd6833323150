"""Which goal applies to an engineer, and their progress towards it, as `adherence_report` (the
one computation behind the engineer's home, the adherence page and the command) works it out."""

import datetime as dt

import pytest

from insights.roles import Role
from tests.conftest import user_with_role
from tests.touchpoints.factories import (
    TeamFactory,
    TouchpointFactory,
    TouchpointGoalFactory,
    UserFactory,
)
from touchpoints.adherence import EngineerAdherence, adherence_report
from touchpoints.models import TouchpointGoal, TouchpointKind

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)
Scope = TouchpointGoal.Scope


@pytest.fixture
def engineer():
    return user_with_role(Role.ENGINEER, username="eng")


@pytest.fixture
def team(engineer):
    team = TeamFactory()
    team.members.add(engineer)
    return team


def _row(engineer, on: dt.date = TODAY) -> EngineerAdherence:
    (row,) = adherence_report(year=on.year, as_of=on, engineer_ids=[engineer.pk]).engineers
    return row


def _applies(goal: TouchpointGoal, row: EngineerAdherence) -> bool:
    return row.goal is not None and (
        row.goal.scope,
        row.goal.effective_from,
        row.goal.target_count,
        row.goal.team_id,
        row.goal.engineer_id,
    ) == (goal.scope, goal.effective_from, goal.target_count, goal.team_id, goal.engineer_id)


def test_organisation_goal_applies_when_nothing_narrower_exists(engineer):
    org = TouchpointGoalFactory(scope=Scope.ORGANISATION, target_count=4)

    assert _applies(org, _row(engineer))


def test_team_goal_overrides_organisation(engineer, team):
    TouchpointGoalFactory(scope=Scope.ORGANISATION, target_count=4)
    team_goal = TouchpointGoalFactory(scope=Scope.TEAM, team=team, target_count=6)

    assert _applies(team_goal, _row(engineer))


def test_engineer_override_beats_team_and_organisation(engineer, team):
    TouchpointGoalFactory(scope=Scope.ORGANISATION)
    TouchpointGoalFactory(scope=Scope.TEAM, team=team)
    own = TouchpointGoalFactory(scope=Scope.ENGINEER, engineer=engineer, target_count=2)

    assert _applies(own, _row(engineer))


def test_another_teams_goal_does_not_apply(engineer):
    org = TouchpointGoalFactory(scope=Scope.ORGANISATION)
    TouchpointGoalFactory(scope=Scope.TEAM, team=TeamFactory(), target_count=9)

    assert _applies(org, _row(engineer))


def test_latest_policy_in_effect_wins_and_future_ones_wait(engineer):
    TouchpointGoalFactory(effective_from=dt.date(2026, 1, 1), target_count=4)
    current = TouchpointGoalFactory(effective_from=dt.date(2026, 5, 1), target_count=5)
    TouchpointGoalFactory(effective_from=dt.date(2026, 9, 1), target_count=8)

    assert _applies(current, _row(engineer))


def test_goals_of_other_years_do_not_apply(engineer):
    TouchpointGoalFactory(year=2025, effective_from=dt.date(2025, 1, 1))

    row = _row(engineer)

    assert row.goal is None
    assert row.status == "no_goal"


def test_progress_counts_this_years_touchpoints_and_kinds(engineer):
    TouchpointGoalFactory(target_count=3, min_distinct_kinds=2)
    TouchpointFactory(logged_by=engineer, occurred_on=dt.date(2026, 2, 1))
    TouchpointFactory(
        logged_by=engineer, occurred_on=dt.date(2026, 3, 1), kind=TouchpointKind.CUSTOMER_CALL
    )
    TouchpointFactory(logged_by=engineer, occurred_on=dt.date(2025, 12, 31))
    TouchpointFactory(occurred_on=dt.date(2026, 4, 1), logged_by=UserFactory())  # someone else's

    row = _row(engineer)

    assert (row.count, len(row.kinds_done), row.target) == (2, 2, 3)
    assert row.percent == 67
    assert not row.is_done


def test_progress_is_met_with_enough_touchpoints_of_enough_kinds(engineer):
    TouchpointGoalFactory(target_count=2, min_distinct_kinds=2)
    TouchpointFactory(logged_by=engineer, occurred_on=dt.date(2026, 2, 1))
    TouchpointFactory(
        logged_by=engineer, occurred_on=dt.date(2026, 3, 1), kind=TouchpointKind.SITE_VISIT
    )

    row = _row(engineer)

    assert row.is_done
    assert row.percent == 100


def test_progress_without_a_goal(engineer):
    row = _row(engineer)

    assert row.goal is None
    assert row.percent is None
    assert not row.is_done
