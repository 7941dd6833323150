"""The weekly reminder task through a real worker. The worker runs on the test settings, whose
email backend keeps messages in its own memory, so the test checks what another process can see:
the task's result and the once-a-week claims in the shared Redis cache."""

import datetime as dt

import pytest
from django.core.cache import cache

from insights.roles import Role
from tests.conftest import user_with_role
from tests.touchpoints.factories import TeamFactory, TouchpointFactory, TouchpointGoalFactory
from touchpoints.notifications import DIGEST, REMINDER, _week_key
from touchpoints.tasks import touchpoint_reminders_send

TODAY = dt.date(2026, 7, 1)
TIMEOUT = 60


@pytest.mark.django_db(transaction=True)
def test_reminders_are_sent_once_through_the_worker(celery_worker):
    # given a lead and an engineer behind an organisation goal of 4
    TouchpointGoalFactory(target_count=4, min_distinct_kinds=1)
    lead = user_with_role(Role.PRODUCT_MANAGER, username="lead")
    behind = user_with_role(Role.ENGINEER, username="behind")
    TeamFactory(name="Payments", lead=lead).members.add(behind)
    TouchpointFactory(engineers=[behind], occurred_on=dt.date(2026, 2, 1))
    # Only these keys: cache.clear() on Redis would flush the broker's database too.
    keys = [
        _week_key(kind=REMINDER, user_id=behind.pk, today=TODAY),
        _week_key(kind=DIGEST, user_id=lead.pk, today=TODAY),
    ]
    cache.delete_many(keys)

    # when the task runs twice in the worker
    first = touchpoint_reminders_send.delay(today=TODAY.isoformat()).get(timeout=TIMEOUT)
    second = touchpoint_reminders_send.delay(today=TODAY.isoformat()).get(timeout=TIMEOUT)

    # then
    assert first == {"reminders_sent": 1, "digests_sent": 1, "already_sent": 0}
    assert second == {"reminders_sent": 0, "digests_sent": 0, "already_sent": 2}
    assert all(cache.get(key) for key in keys)
    cache.delete_many(keys)
