"""The weekly digest: what goes in (rising pain, new wins, NPS change), in which shape (email,
Slack-compatible JSON), to whom, and once per subscription per ISO week."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from insights.roles import Role
from metrics.models import MetricSnapshot
from metrics.selectors import snapshots_cache_invalidate
from roadmap.models import ImpactReview, NotificationLog, Subscription, WebhookDelivery
from roadmap.sharing import services
from roadmap.sharing.digests import (
    digest_key,
    digest_notification,
    weekly_digest_build,
    weekly_digests_send,
)
from roadmap.sharing.services import outbound_webhook_create, subscription_create
from tests.conftest import user_with_role
from tests.insights.factories import ThemeFactory
from tests.metrics.factories import MetricSnapshotFactory
from tests.roadmap.factories import BacklogItemFactory
from tests.touchpoints.factories import TeamFactory, UserFactory

TODAY = dt.date(2026, 7, 1)  # a Wednesday in ISO week 2026-W27, the first day of Q3
WEEK = "2026-W27"


def _theme(label: str, weekly: list[int], *, emerging: bool = False):
    return ThemeFactory(
        label=label,
        impact=10.0,
        emerging=emerging,
        statistics={
            "weekly": weekly,
            "volume_90": sum(weekly),
            "ranked_at": timezone.now().isoformat(),
        },
    )


def _steady(per_week: int, this_week: int) -> list[int]:
    return [per_week] * 15 + [this_week]


@pytest.fixture
def nps(db):
    for start, value in ((dt.date(2026, 4, 1), 29.0), (dt.date(2026, 7, 1), 34.0)):
        MetricSnapshotFactory(
            metric=MetricSnapshot.Metric.NPS,
            period_kind=MetricSnapshot.PeriodKind.QUARTER,
            period_start=start,
            value=value,
            ci_low=value - 3,
            ci_high=value + 3,
            computed_at=dt.datetime(2026, 7, 1, 6, tzinfo=dt.UTC),
        )
    snapshots_cache_invalidate()


@pytest.fixture
def win(db):
    item = BacklogItemFactory(
        title="Faster exports",
        status="shipped",
        shipped_on=dt.date(2026, 5, 1),
        metric_kind="theme_volume",
        target=-50,
        team=TeamFactory(name="Payments"),
    )
    ImpactReview.objects.create(
        item=item,
        days_after=60,
        due_on=dt.date(2026, 6, 30),
        status=ImpactReview.Status.DONE,
        verdict=ImpactReview.Verdict.MET,
        measured_at=timezone.now() - dt.timedelta(days=1),
        evidence={"metric": {"observed": -62.0}, "target": {"unit": "%"}},
    )
    return item


@pytest.fixture
def engineer(db):
    return user_with_role(Role.ENGINEER, username="eng")


# --- what goes in -----------------------------------------------------------------------------


def test_the_digest_holds_rising_pain_wins_and_the_nps_change(nps, win):
    _theme("Slow search", _steady(1, 9))
    _theme("SSO login loops", _steady(2, 6), emerging=True)
    _theme("Billing export", _steady(4, 4))  # flat: not rising
    _theme("Dark mode", _steady(0, 2))  # rising, but two mentions

    digest = weekly_digest_build(today=TODAY)

    assert digest.week == WEEK
    # Emerging (the analysis's stricter test) first, then the steepest.
    assert [item.label for item in digest.rising] == ["SSO login loops", "Slow search"]
    assert [(w.title, w.detail) for w in digest.wins] == [
        ("Faster exports", "Pain-point volume: -62% against a target of -50% (Payments)")
    ]
    assert digest.wins[0].url.endswith(f"/roadmap/items/{win.pk}/")
    assert (digest.nps.current, digest.nps.previous, digest.nps.change) == (34.0, 29.0, 5.0)
    assert digest.nps.period == "Q3 2026 so far"
    assert digest.nps.significant


def test_the_digest_shows_at_most_five_rising_pain_points(db):
    for index in range(7):
        _theme(f"Theme {index}", _steady(1, 4 + index))

    digest = weekly_digest_build(today=TODAY)

    assert [item.label for item in digest.rising] == [f"Theme {i}" for i in (6, 5, 4, 3, 2)]


def test_an_empty_week_says_so(db):
    notification = digest_notification(weekly_digest_build(today=TODAY))

    assert "Nothing rose above its baseline this week." in notification.text
    assert "No new wins this week." in notification.text
    assert "No NPS figures yet." in notification.text


def test_the_webhook_shape_is_slack_compatible(nps, win):
    _theme("Slow <search> & co", _steady(1, 9))

    payload = digest_notification(weekly_digest_build(today=TODAY)).payload

    assert set(payload) == {"text", "blocks"}
    assert payload["text"].startswith("Backlight weekly digest, 2026-W27: 1 rising pain point,")
    header, rising, wins, nps_block, context = payload["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Backlight weekly digest, 2026-W27"},
    }
    assert rising["text"]["type"] == "mrkdwn"
    assert rising["text"]["text"].startswith("*Rising pain points*\n• <http")
    assert "|Slow &lt;search&gt; &amp; co>: 9 mentions this week, 9.0×" in rising["text"]["text"]
    assert "*New wins*\n• <http" in wins["text"]["text"]
    assert "|Faster exports>" in wins["text"]["text"]
    assert nps_block["text"]["text"] == (
        "*NPS*\nNPS 34 in Q3 2026 so far, +5.0 on Q2 2026 (a significant change)."
    )
    assert context["type"] == "context"
    assert "/roadmap/subscriptions/|Subscriptions>" in context["elements"][0]["text"]


# --- to whom, and once ------------------------------------------------------------------------


def test_a_person_gets_the_digest_once_a_week(engineer, nps):
    _theme("Slow search", _steady(1, 9))
    subscription = subscription_create(kind=Subscription.Kind.WEEKLY_DIGEST, user=engineer)

    first = weekly_digests_send(today=TODAY)
    second = weekly_digests_send(today=TODAY + dt.timedelta(days=4))  # Sunday, still W27
    next_week = weekly_digests_send(today=TODAY + dt.timedelta(days=7))

    assert first.as_dict() == {"sent": 1, "already_sent": 0, "skipped": 0}
    assert second.as_dict() == {"sent": 0, "already_sent": 1, "skipped": 0}
    assert next_week.sent == 1
    assert [message.subject for message in mail.outbox] == [
        "Backlight weekly digest, 2026-W27",
        "Backlight weekly digest, 2026-W28",
    ]
    body = mail.outbox[0].body
    assert "Slow search: 9 mentions this week" in body
    assert "NPS 34 in Q3 2026 so far, +5.0 on Q2 2026" in body
    assert NotificationLog.objects.filter(
        key=digest_key(week=WEEK, subscription_id=subscription.pk)
    ).exists()


def test_a_team_digest_goes_to_its_lead_and_members_who_may_read_the_roadmap(db):
    lead = user_with_role(Role.PRODUCT_MANAGER, username="lead")
    member = user_with_role(Role.ENGINEER, username="member")
    no_role = user_with_role(None, username="norole")
    no_email = user_with_role(Role.ENGINEER, username="noemail")
    no_email.email = ""
    no_email.save()
    user_with_role(Role.ENGINEER, username="outsider")
    team = TeamFactory(name="Payments", lead=lead)
    team.members.add(member, no_role, no_email)
    subscription_create(kind=Subscription.Kind.WEEKLY_DIGEST, team=team)

    weekly_digests_send(today=TODAY)

    assert sorted(message.to[0] for message in mail.outbox) == [lead.email, member.email]


def test_a_team_digest_through_a_webhook_is_a_pending_delivery(db, settings):
    settings.BACKLIGHT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    webhook = outbound_webhook_create(name="Slack", url="http://127.0.0.1:9/hook")
    subscription_create(
        kind=Subscription.Kind.WEEKLY_DIGEST,
        channel=Subscription.Channel.WEBHOOK,
        team=TeamFactory(),
        webhook=webhook,
    )

    assert weekly_digests_send(today=TODAY).sent == 1
    assert weekly_digests_send(today=TODAY).already_sent == 1

    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.webhook, delivery.status) == (
        "digest.weekly",
        webhook,
        WebhookDelivery.Status.PENDING,
    )
    assert delivery.payload["blocks"][0]["text"]["text"] == "Backlight weekly digest, 2026-W27"


def test_a_failed_email_gives_its_claim_back_and_the_others_still_go(db, monkeypatch):
    first = user_with_role(Role.ENGINEER, username="first")
    second = user_with_role(Role.ENGINEER, username="second")
    broken = subscription_create(kind=Subscription.Kind.WEEKLY_DIGEST, user=first)
    subscription_create(kind=Subscription.Kind.WEEKLY_DIGEST, user=second)
    real_send = services._email_send

    def flaky(*, recipients, notification):
        if recipients == [first]:
            raise ConnectionRefusedError("mail server down")
        real_send(recipients=recipients, notification=notification)

    monkeypatch.setattr(services, "_email_send", flaky)

    with pytest.raises(ConnectionRefusedError):
        weekly_digests_send(today=TODAY)

    assert [message.to for message in mail.outbox] == [[second.email]]
    assert not NotificationLog.objects.filter(
        key=digest_key(week=WEEK, subscription_id=broken.pk)
    ).exists()

    monkeypatch.setattr(services, "_email_send", real_send)
    rerun = weekly_digests_send(today=TODAY)

    assert rerun.as_dict() == {"sent": 1, "already_sent": 1, "skipped": 0}
    assert [message.to for message in mail.outbox] == [[second.email], [first.email]]


def test_without_subscriptions_nothing_is_built(db, django_assert_num_queries):
    _theme("Slow search", _steady(1, 9))

    with django_assert_num_queries(1):
        result = weekly_digests_send(today=TODAY)

    assert result.as_dict() == {"sent": 0, "already_sent": 0, "skipped": 0}


def test_a_second_person_without_an_address_is_skipped(db):
    person = UserFactory(username="plain", email="")
    person.groups.add(*user_with_role(Role.ENGINEER, username="x").groups.all())
    subscription_create(kind=Subscription.Kind.WEEKLY_DIGEST, user=person)

    assert weekly_digests_send(today=TODAY).skipped == 1
    assert not NotificationLog.objects.exists()
