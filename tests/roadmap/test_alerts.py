"""Alerts on emerging pain points: the spike rule, thresholds, once per theme per subscription
per ISO week, email and webhook shapes."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from insights.roles import Role
from roadmap.models import NotificationLog, Subscription, WebhookDelivery
from roadmap.sharing.alerts import (
    MIN_MENTIONS,
    alert_key,
    emerging_alerts_send,
    spike_alerts,
    theme_spike,
    theme_spikes,
)
from roadmap.sharing.services import outbound_webhook_create, subscription_create
from tests.conftest import user_with_role
from tests.insights.factories import ThemeFactory
from tests.touchpoints.factories import TeamFactory

TODAY = dt.date(2026, 7, 1)  # ISO week 2026-W27
WEEK = "2026-W27"


def _theme(label: str, weekly: list[int], *, ranked_at=None, emerging: bool = False):
    return ThemeFactory(
        label=label,
        impact=10.0,
        emerging=emerging,
        statistics={
            "weekly": weekly,
            "volume_90": sum(weekly),
            "ranked_at": (ranked_at or timezone.now()).isoformat(),
        },
    )


def _steady(per_week: int, this_week: int) -> list[int]:
    return [per_week] * 15 + [this_week]


@pytest.fixture
def engineer(db):
    return user_with_role(Role.ENGINEER, username="eng")


# --- the rule ---------------------------------------------------------------------------------


def test_the_spike_is_this_week_over_the_mean_of_the_weeks_before():
    spike = theme_spike(_steady(2, 8))

    assert (spike.this_week, spike.baseline, spike.ratio) == (8, 2.0, 4.0)


def test_a_theme_from_nothing_has_a_baseline_floor_of_one():
    spike = theme_spike([0] * 15 + [6])

    assert (spike.baseline, spike.ratio) == (0.0, 6.0)


def test_a_series_without_a_week_before_has_no_spike():
    assert theme_spike([9]) is None
    assert theme_spike([]) is None


def test_one_to_three_mentions_pages_nobody():
    spike = theme_spike(_steady(1, 3))

    assert spike.ratio == 3.0
    assert not spike_alerts(spike, threshold=2.0)


@pytest.mark.parametrize(
    ("weekly", "threshold", "alerts_"),
    [
        (_steady(2, 8), 4.0, True),
        (_steady(2, 8), 4.5, False),
        (_steady(1, MIN_MENTIONS), 5.0, True),
        (_steady(1, MIN_MENTIONS - 1), 1.0, False),
        (_steady(10, 15), 2.0, False),
    ],
)
def test_alerting_needs_the_threshold_and_the_floor(weekly, threshold, alerts_):
    assert spike_alerts(theme_spike(weekly), threshold=threshold) is alerts_


def test_theme_spikes_reads_the_ranking_in_one_query(db, django_assert_num_queries):
    _theme("Steep", _steady(1, 9))
    _theme("Gentle", _steady(2, 5))
    _theme("Quiet", _steady(1, 1))
    ThemeFactory(label="Dismissed", status="dismissed", statistics={"weekly": _steady(1, 9)})

    with django_assert_num_queries(1):
        spikes = theme_spikes(min_mentions=MIN_MENTIONS)

    assert [item.label for item in spikes] == ["Steep", "Gentle"]


# --- sending ----------------------------------------------------------------------------------


def test_an_alert_is_emailed_once_per_theme_per_week(engineer):
    theme = _theme("SSO login loops", _steady(2, 8), emerging=True)
    _theme("Billing export", _steady(5, 10))  # 2× its baseline: below this threshold
    _theme("Dark mode", _steady(1, 3))  # 3×, but three mentions
    subscription = subscription_create(
        kind=Subscription.Kind.EMERGING_ALERTS, user=engineer, threshold=3.0
    )

    first = emerging_alerts_send(today=TODAY)
    second = emerging_alerts_send(today=TODAY)

    assert first.as_dict() == {"sent": 1, "already_sent": 0, "skipped": 0}
    assert second.as_dict() == {"sent": 0, "already_sent": 1, "skipped": 0}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [engineer.email]
    assert message.subject == "Emerging pain point: SSO login loops"
    assert "8 mentions this week, 4.0× its weekly baseline of 2.0" in message.body
    assert f"/insights/pain-points/{theme.pk}/" in message.body
    assert "flagged emerging by the analysis" in message.body
    assert "/roadmap/subscriptions/" in message.body
    assert NotificationLog.objects.filter(
        key=alert_key(week=WEEK, subscription_id=subscription.pk, theme_id=theme.pk)
    ).exists()


def test_the_same_spike_alerts_again_the_next_week(engineer):
    _theme("SSO login loops", _steady(2, 8))
    subscription_create(kind=Subscription.Kind.EMERGING_ALERTS, user=engineer, threshold=3.0)

    emerging_alerts_send(today=TODAY)
    result = emerging_alerts_send(today=TODAY + dt.timedelta(days=7))

    assert result.sent == 1
    assert len(mail.outbox) == 2


def test_themes_crossing_together_go_in_one_message_and_later_ones_alone(engineer):
    _theme("SSO login loops", _steady(2, 8))
    _theme("Slow search", _steady(1, 6))
    subscription_create(kind=Subscription.Kind.EMERGING_ALERTS, user=engineer, threshold=3.0)

    emerging_alerts_send(today=TODAY)
    _theme("Broken invoices", _steady(0, 7))
    emerging_alerts_send(today=TODAY)

    assert [message.subject for message in mail.outbox] == [
        "2 emerging pain points",
        "Emerging pain point: Broken invoices",
    ]
    assert "Slow search" in mail.outbox[0].body
    assert "SSO login loops" not in mail.outbox[1].body


def test_each_subscription_has_its_own_threshold(engineer):
    other = user_with_role(Role.PRODUCT_MANAGER, username="pm")
    _theme("Billing export", _steady(5, 15))  # 3×
    subscription_create(kind=Subscription.Kind.EMERGING_ALERTS, user=engineer, threshold=2.0)
    subscription_create(kind=Subscription.Kind.EMERGING_ALERTS, user=other, threshold=5.0)

    result = emerging_alerts_send(today=TODAY)

    assert result.sent == 1
    assert [message.to for message in mail.outbox] == [[engineer.email]]


def test_stale_statistics_alert_nobody(engineer):
    _theme("Old spike", _steady(1, 20), ranked_at=timezone.now() - dt.timedelta(days=5))
    subscription_create(kind=Subscription.Kind.EMERGING_ALERTS, user=engineer, threshold=2.0)

    assert emerging_alerts_send(today=TODAY).sent == 0
    assert mail.outbox == []


def test_paused_subscriptions_and_digests_get_no_alerts(engineer):
    _theme("SSO login loops", _steady(2, 8))
    paused = subscription_create(kind=Subscription.Kind.EMERGING_ALERTS, user=engineer)
    Subscription.objects.filter(pk=paused.pk).update(is_active=False)
    subscription_create(kind=Subscription.Kind.WEEKLY_DIGEST, user=engineer)

    assert emerging_alerts_send(today=TODAY).as_dict() == {
        "sent": 0,
        "already_sent": 0,
        "skipped": 0,
    }


def test_people_who_may_not_read_the_roadmap_are_skipped(db):
    nobody = user_with_role(None, username="norole")
    _theme("SSO login loops", _steady(2, 8))
    subscription_create(kind=Subscription.Kind.EMERGING_ALERTS, user=nobody)

    result = emerging_alerts_send(today=TODAY)

    assert result.skipped == 1
    assert mail.outbox == []
    assert not NotificationLog.objects.exists()


def test_a_team_alert_through_a_webhook_is_slack_json_with_escaped_labels(db, settings):
    settings.BACKLIGHT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    webhook = outbound_webhook_create(name="Slack", url="http://127.0.0.1:9/hook")
    team = TeamFactory(name="Payments")
    _theme("<!channel> & <https://evil.example|click>", _steady(1, 9))
    subscription_create(
        kind=Subscription.Kind.EMERGING_ALERTS,
        channel=Subscription.Channel.WEBHOOK,
        team=team,
        webhook=webhook,
        threshold=2.0,
    )

    result = emerging_alerts_send(today=TODAY)

    assert result.sent == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "alert.emerging"
    assert delivery.status == WebhookDelivery.Status.PENDING
    payload = delivery.payload
    assert set(payload) == {"text", "blocks"}
    assert payload["blocks"][0]["type"] == "header"
    section = payload["blocks"][1]["text"]["text"]
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example¦click&gt;" in section
    assert "<!channel>" not in payload["text"]
    assert "9 mentions this week" in section
    assert mail.outbox == []


def test_a_switched_off_webhook_gets_no_alerts(db, settings):
    settings.BACKLIGHT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    webhook = outbound_webhook_create(name="Slack", url="http://127.0.0.1:9/hook")
    subscription_create(
        kind=Subscription.Kind.EMERGING_ALERTS,
        channel=Subscription.Channel.WEBHOOK,
        team=TeamFactory(),
        webhook=webhook,
    )
    webhook.is_active = False
    webhook.save()
    _theme("SSO login loops", _steady(2, 8))

    assert emerging_alerts_send(today=TODAY).sent == 0
    assert not WebhookDelivery.objects.exists()


def test_the_task_reports_what_it_sent(engineer):
    from roadmap.sharing.tasks import emerging_alerts_send as task

    _theme("SSO login loops", _steady(2, 8))
    subscription_create(kind=Subscription.Kind.EMERGING_ALERTS, user=engineer)

    first = task.delay(today=TODAY.isoformat()).get()
    second = task.delay(today=TODAY.isoformat()).get()

    assert first == {"sent": 1, "already_sent": 0, "skipped": 0}
    assert second == {"sent": 0, "already_sent": 1, "skipped": 0}
