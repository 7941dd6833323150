"""The weekly executive digest: to opted-in report readers only, once a week, with the report's
own figures and links."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import mail

from insights.roles import Role
from metrics import digest
from metrics.digest import (
    digest_recipients,
    executive_digest_send,
    executive_digest_weekly,
    report_subscription_update,
    report_subscription_weekly,
)
from metrics.models import MetricSnapshot
from metrics.reports import executive_report
from metrics.selectors import QUARTER, period_shift, period_start
from tests.conftest import user_with_role
from tests.insights.factories import ThemeFactory
from tests.metrics.factories import MetricSnapshotFactory

pytestmark = pytest.mark.django_db

Metric = MetricSnapshot.Metric
TODAY = dt.date(2026, 11, 23)  # a Monday


def _subscriber(role, username, *, email=True, weekly=True):
    user = user_with_role(role, username=username)
    user.email = f"{username}@example.com" if email else ""
    user.save(update_fields=["email"])
    report_subscription_update(user=user, weekly_digest=weekly)
    return user


@pytest.fixture
def figures():
    this_quarter = period_start(TODAY, QUARTER)
    for start, value, low, high in (
        (this_quarter, 42.0, 37.0, 47.0),
        (period_shift(this_quarter, QUARTER, -1), 30.0, 25.0, 35.0),
    ):
        MetricSnapshotFactory(
            metric=Metric.NPS,
            period_kind=QUARTER,
            period_start=start,
            value=value,
            ci_low=low,
            ci_high=high,
            n=300,
        )
    ThemeFactory(
        label="Exports time out",
        impact=40,
        statistics={"volume_90": 50, "volume_30": 30, "volume_previous_30": 12},
    )


def test_only_opted_in_report_readers_with_an_email_get_it():
    executive = _subscriber(Role.EXECUTIVE, "exec_in")
    pm = _subscriber(Role.PRODUCT_MANAGER, "pm_in")
    _subscriber(Role.EXECUTIVE, "exec_out", weekly=False)
    _subscriber(Role.EXECUTIVE, "exec_no_email", email=False)
    _subscriber(Role.ENGINEER, "engineer_in")  # may not read the reports
    gone = _subscriber(Role.EXECUTIVE, "exec_gone")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    direct = _subscriber(None, "direct_grant")
    direct.user_permissions.add(Permission.objects.get(codename="view_metricsnapshot"))

    assert [user.username for user in digest_recipients()] == [
        "direct_grant",
        executive.username,
        pm.username,
    ]


def test_the_digest_carries_the_reports_figures_and_links(figures):
    user = _subscriber(Role.EXECUTIVE, "exec_digest")

    result = executive_digest_send(today=TODAY)

    assert result.as_dict() == {"sent": 1, "already_sent": 0}
    (message,) = mail.outbox
    assert message.to == [user.email]
    report = executive_report(period_kind=QUARTER, today=TODAY)
    nps = report.tile(Metric.NPS)
    assert message.subject == f"Customer figures for Q4 2026 so far: NPS {nps.value}"
    assert "NPS: 42.0 (95 % CI 37.0 to 47.0, n 300); Q3 2026 30.0, +12.0 pts - significant" in (
        message.body
    )
    assert "CSAT: no data yet" in message.body
    assert "no churn forecast yet" in message.body
    assert "- Exports time out: 30 (was 12)" in message.body
    site = settings.BACKLIGHT_SITE_URL.rstrip("/")
    for path in ("/reports/executive/", "/reports/executive.csv", "/reports/executive.pdf"):
        assert f"{site}{path}" in message.body
    assert f"{site}/reports/executive/#digest" in message.body
    assert "&amp;" not in message.body


def test_nobody_gets_it_twice_in_a_week(figures):
    _subscriber(Role.EXECUTIVE, "exec_twice")

    first = executive_digest_send(today=TODAY)
    again = executive_digest_send(today=TODAY + dt.timedelta(days=3))
    next_week = executive_digest_send(today=TODAY + dt.timedelta(days=7))

    assert (first.sent, again.sent, again.already_sent, next_week.sent) == (1, 0, 1, 1)
    assert len(mail.outbox) == 2


def test_a_failed_send_can_be_retried(figures, monkeypatch):
    _subscriber(Role.EXECUTIVE, "exec_retry")

    def broken(*args, **kwargs):
        raise ConnectionError("smtp down")

    monkeypatch.setattr(digest, "send_mail", broken)
    with pytest.raises(ConnectionError):
        executive_digest_send(today=TODAY)
    monkeypatch.undo()

    assert executive_digest_send(today=TODAY).sent == 1


def test_the_task_runs_the_service_and_beat_schedules_it_weekly(figures):
    _subscriber(Role.EXECUTIVE, "exec_task")

    assert executive_digest_weekly.delay(today=TODAY.isoformat()).get() == {
        "sent": 1,
        "already_sent": 0,
    }
    entry = settings.CELERY_BEAT_SCHEDULE["executive-digest-weekly"]
    assert entry["task"] == executive_digest_weekly.name == "metrics.digest.executive_digest_weekly"
    assert entry["schedule"].day_of_week == {1}


def test_without_subscribers_nothing_is_read_or_sent(django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        assert executive_digest_send(today=TODAY).as_dict() == {"sent": 0, "already_sent": 0}
    assert mail.outbox == []


def test_the_opt_in_defaults_to_off_and_can_be_switched():
    user = user_with_role(Role.EXECUTIVE, username="exec_switch")

    assert report_subscription_weekly(user=user) is False
    report_subscription_update(user=user, weekly_digest=True)
    assert report_subscription_weekly(user=user) is True
    report_subscription_update(user=user, weekly_digest=False)
    assert report_subscription_weekly(user=user) is False
