import datetime as dt

import pytest
from django.core import mail
from django.core.cache import cache

from insights.roles import Role
from tests.conftest import user_with_role
from tests.touchpoints.factories import TeamFactory, TouchpointFactory, TouchpointGoalFactory
from touchpoints.notifications import (
    engineer_settings_get,
    engineer_settings_update,
    touchpoint_reminders_send,
)
from touchpoints.tasks import touchpoint_reminders_send as reminders_task

TODAY = dt.date(2026, 7, 1)  # a goal of 4 expects 2 by now


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def team(db):
    # given an organisation goal of 4, a lead, one engineer behind and one on track
    TouchpointGoalFactory(target_count=4, min_distinct_kinds=1)
    lead = user_with_role(Role.PRODUCT_MANAGER, username="lead")
    behind = user_with_role(Role.ENGINEER, username="behind")
    on_track = user_with_role(Role.ENGINEER, username="ontrack")
    team = TeamFactory(name="Payments", lead=lead)
    team.members.add(behind, on_track)
    TouchpointFactory(engineers=[behind], occurred_on=dt.date(2026, 2, 1))
    for day in (1, 2):
        TouchpointFactory(engineers=[on_track], occurred_on=dt.date(2026, 3, day))
    return {"lead": lead, "behind": behind, "on_track": on_track}


def _to(address):
    return [message for message in mail.outbox if message.to == [address]]


def test_reminder_goes_to_behind_engineers_only_and_digest_to_the_lead(team):
    # when
    result = touchpoint_reminders_send(today=TODAY)

    # then
    assert (result.reminders_sent, result.digests_sent) == (1, 1)
    [reminder] = _to(team["behind"].email)
    assert "needs 3 more touchpoints" in reminder.body
    assert "/touchpoints/new/" in reminder.body
    assert "/touchpoints/settings/" in reminder.body
    assert not _to(team["on_track"].email)
    [digest] = _to(team["lead"].email)
    assert "Payments: 50% covered" in digest.body
    assert "- behind: needs 3 more touchpoints" in digest.body
    assert "ontrack" not in digest.body


def test_nobody_is_emailed_twice_in_one_week(team):
    # given a first run on Monday
    touchpoint_reminders_send(today=TODAY)

    # when it runs again on Friday of the same ISO week, then the next Monday
    again = touchpoint_reminders_send(today=TODAY + dt.timedelta(days=2))
    count_after_rerun = len(mail.outbox)
    next_week = touchpoint_reminders_send(today=TODAY + dt.timedelta(days=7))

    # then
    assert (again.reminders_sent, again.digests_sent, again.already_sent) == (0, 0, 2)
    assert count_after_rerun == 2
    assert next_week.reminders_sent == 1


def test_opted_out_people_get_nothing(team):
    # given both opted out
    engineer_settings_update(user=team["behind"], reminders=False, team_digest=True)
    engineer_settings_update(user=team["lead"], reminders=True, team_digest=False)

    # when
    result = touchpoint_reminders_send(today=TODAY)

    # then
    assert (result.reminders_sent, result.digests_sent) == (0, 0)
    assert mail.outbox == []


def test_the_task_returns_the_counts(team):
    # when
    result = reminders_task.delay(today=TODAY.isoformat()).get()

    # then
    assert result == {"reminders_sent": 1, "digests_sent": 1, "already_sent": 0}


def test_settings_are_created_once_with_a_secret(db):
    # given
    user = user_with_role(Role.ENGINEER)

    # when
    first = engineer_settings_get(user=user)
    second = engineer_settings_get(user=user)

    # then
    assert first.pk == second.pk
    assert len(first.calendar_token) >= 40
    assert first.reminders
    assert first.team_digest
