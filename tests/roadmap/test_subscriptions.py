"""Subscriptions: the services' rules, the settings page (people manage their own, product
managers their teams'), the admins' webhook page with its test button, and the selectors' query
counts."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from insights.roles import Role
from roadmap.models import Subscription, WebhookDelivery
from roadmap.sharing import selectors
from roadmap.sharing.services import (
    outbound_webhook_create,
    subscription_create,
    subscription_update,
)
from tests.conftest import user_with_role
from tests.roadmap.test_webhooks import Receiver
from tests.touchpoints.factories import TeamFactory

URL = "/roadmap/subscriptions/"


@pytest.fixture
def webhook(db, settings):
    settings.BACKLIGHT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    return outbound_webhook_create(name="Slack #product", url="http://127.0.0.1:9/hook")


# --- services ---------------------------------------------------------------------------------


def test_a_person_subscribes_by_email(role_engineer):
    subscription = subscription_create(
        kind=Subscription.Kind.EMERGING_ALERTS, user=role_engineer, threshold=3
    )

    assert (subscription.channel, subscription.webhook, subscription.threshold) == (
        "email",
        None,
        3,
    )


def test_a_second_identical_subscription_is_refused(role_engineer):
    subscription_create(kind=Subscription.Kind.WEEKLY_DIGEST, user=role_engineer)

    with pytest.raises(ValidationError, match="exists already"):
        subscription_create(kind=Subscription.Kind.WEEKLY_DIGEST, user=role_engineer)


def test_webhooks_are_for_teams(role_engineer, webhook):
    with pytest.raises(ValidationError, match="team subscriptions"):
        subscription_create(
            kind=Subscription.Kind.WEEKLY_DIGEST,
            channel=Subscription.Channel.WEBHOOK,
            user=role_engineer,
            webhook=webhook,
        )


def test_a_team_webhook_subscription_needs_an_active_webhook(webhook):
    team = TeamFactory()
    webhook.is_active = False
    webhook.save()

    for chosen in (None, webhook):
        with pytest.raises(ValidationError, match="active webhook"):
            subscription_create(
                kind=Subscription.Kind.WEEKLY_DIGEST,
                channel=Subscription.Channel.WEBHOOK,
                team=team,
                webhook=chosen,
            )


def test_a_subscription_is_for_a_person_or_a_team(role_engineer):
    with pytest.raises(ValidationError, match="person or for a team"):
        subscription_create(kind=Subscription.Kind.WEEKLY_DIGEST)
    with pytest.raises(ValidationError, match="person or for a team"):
        subscription_create(
            kind=Subscription.Kind.WEEKLY_DIGEST, user=role_engineer, team=TeamFactory()
        )


@pytest.mark.parametrize("threshold", [0, 0.5, 101])
def test_thresholds_are_bounded(role_engineer, threshold):
    with pytest.raises(ValidationError, match="threshold"):
        subscription_create(
            kind=Subscription.Kind.EMERGING_ALERTS, user=role_engineer, threshold=threshold
        )


def test_an_email_subscription_drops_a_webhook_given_by_mistake(webhook):
    subscription = subscription_create(
        kind=Subscription.Kind.WEEKLY_DIGEST, team=TeamFactory(), webhook=webhook
    )

    assert subscription.webhook is None


def test_updating_changes_the_threshold_and_pauses(role_engineer):
    subscription = subscription_create(kind=Subscription.Kind.EMERGING_ALERTS, user=role_engineer)

    subscription_update(subscription=subscription, threshold=4.5, is_active=False)

    subscription.refresh_from_db()
    assert (subscription.threshold, subscription.is_active) == (4.5, False)


# --- the page ---------------------------------------------------------------------------------


def test_everyone_who_reads_the_roadmap_subscribes_themselves(client, role_engineer):
    client.force_login(role_engineer)

    response = client.post(URL, {"kind": "emerging_alerts", "threshold": "3"})

    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert (subscription.user, subscription.kind, subscription.threshold) == (
        role_engineer,
        "emerging_alerts",
        3.0,
    )
    page = client.get(URL)
    assert page.status_code == 200
    assert "Emerging pain-point alerts" in page.content.decode()
    assert b'data-testid="team-form"' not in page.content


def test_a_bad_personal_form_comes_back_with_its_errors(client, role_engineer):
    client.force_login(role_engineer)

    response = client.post(URL, {"kind": "emerging_alerts", "threshold": "0.2"})

    assert response.status_code == 400
    assert not Subscription.objects.exists()


def test_a_duplicate_comes_back_with_the_reason(client, role_engineer):
    client.force_login(role_engineer)
    client.post(URL, {"kind": "weekly_digest", "threshold": "2"})

    response = client.post(URL, {"kind": "weekly_digest", "threshold": "2"})

    assert response.status_code == 400
    assert "exists already" in response.content.decode()


def test_the_page_lists_only_my_own_subscriptions(client, role_engineer, role_exec):
    subscription_create(kind=Subscription.Kind.WEEKLY_DIGEST, user=role_exec)
    client.force_login(role_engineer)

    response = client.get(URL)

    assert b"my-subscriptions" not in response.content
    assert "You subscribe to nothing yet." in response.content.decode()


def test_a_product_manager_subscribes_a_team_through_a_webhook(client, role_pm, webhook):
    team = TeamFactory(name="Payments")
    client.force_login(role_pm)
    assert b'data-testid="team-form"' in client.get(URL).content

    response = client.post(
        reverse("roadmap:subscription-team-create"),
        {
            "team": team.pk,
            "kind": "weekly_digest",
            "channel": "webhook",
            "webhook": webhook.pk,
            "threshold": "2",
        },
    )

    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert (subscription.team, subscription.webhook, subscription.user) == (team, webhook, None)
    assert "Slack #product" in client.get(URL).content.decode()


def test_a_team_webhook_subscription_without_a_webhook_comes_back(client, role_pm, webhook):
    client.force_login(role_pm)

    response = client.post(
        reverse("roadmap:subscription-team-create"),
        {"team": TeamFactory().pk, "kind": "weekly_digest", "channel": "webhook", "threshold": 2},
    )

    assert response.status_code == 400
    assert "Choose the webhook to post to." in response.content.decode()


def test_engineers_may_not_subscribe_teams(client, role_engineer):
    client.force_login(role_engineer)

    response = client.post(
        reverse("roadmap:subscription-team-create"),
        {"team": TeamFactory().pk, "kind": "weekly_digest", "channel": "email", "threshold": 2},
    )

    assert response.status_code == 403
    assert not Subscription.objects.exists()


def test_people_change_and_delete_their_own(client, role_engineer):
    subscription = subscription_create(kind=Subscription.Kind.EMERGING_ALERTS, user=role_engineer)
    client.force_login(role_engineer)

    client.post(
        reverse("roadmap:subscription-update", args=[subscription.pk]),
        {"threshold": "5", "is_active": "on"},
    )
    subscription.refresh_from_db()
    assert subscription.threshold == 5.0
    client.post(reverse("roadmap:subscription-delete", args=[subscription.pk]))

    assert not Subscription.objects.exists()


def test_nobody_touches_another_persons_subscription(client, role_engineer, role_pm):
    theirs = subscription_create(kind=Subscription.Kind.WEEKLY_DIGEST, user=role_engineer)
    client.force_login(role_pm)

    update = client.post(
        reverse("roadmap:subscription-update", args=[theirs.pk]), {"threshold": "9"}
    )
    delete = client.post(reverse("roadmap:subscription-delete", args=[theirs.pk]))

    assert (update.status_code, delete.status_code) == (404, 404)
    theirs.refresh_from_db()
    assert theirs.threshold == 2.0


def test_team_subscriptions_are_managed_by_product_managers_only(client, role_engineer, role_pm):
    team_subscription = subscription_create(
        kind=Subscription.Kind.WEEKLY_DIGEST, team=TeamFactory()
    )
    delete_url = reverse("roadmap:subscription-delete", args=[team_subscription.pk])
    client.force_login(role_engineer)
    assert client.post(delete_url).status_code == 404

    client.force_login(role_pm)
    assert client.post(delete_url).status_code == 302

    assert not Subscription.objects.exists()


# --- the webhook page -------------------------------------------------------------------------


def test_admins_see_webhooks_with_their_recent_deliveries(client, role_admin, webhook):
    for index in range(12):
        WebhookDelivery.objects.create(
            webhook=webhook, event=f"event.{index}", payload={}, status="failed", error="boom"
        )
    client.force_login(role_admin)

    response = client.get(reverse("roadmap:webhooks"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Slack #product" in content
    assert webhook.secret in content
    assert content.count("event.") == 10
    assert "event.11" in content
    assert "event.1<" not in content


@pytest.mark.parametrize("role", [Role.PRODUCT_MANAGER, Role.ENGINEER, Role.EXECUTIVE])
def test_the_webhook_page_is_for_admins(client, db, role):
    client.force_login(user_with_role(role))

    assert client.get(reverse("roadmap:webhooks")).status_code == 403


def test_send_test_posts_a_signed_test_message(
    client, role_admin, settings, django_capture_on_commit_callbacks
):
    settings.BACKLIGHT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    receiver = Receiver().start()
    try:
        webhook = outbound_webhook_create(name="Local", url=receiver.url())
        client.force_login(role_admin)

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("roadmap:webhook-test", args=[webhook.pk]))
    finally:
        receiver.stop()

    assert response.status_code == 302
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.status) == ("test.ping", WebhookDelivery.Status.DELIVERED)
    assert receiver.requests[0].headers["X-Backlight-Event"] == "test.ping"
    assert b"Test message from Backlight" in receiver.requests[0].body


def test_a_switched_off_webhook_is_not_tested(client, role_admin, webhook):
    webhook.is_active = False
    webhook.save()
    client.force_login(role_admin)

    response = client.post(reverse("roadmap:webhook-test", args=[webhook.pk]))

    assert response.status_code == 302
    assert not WebhookDelivery.objects.exists()


# --- selectors --------------------------------------------------------------------------------


def test_active_subscriptions_are_read_in_one_query(webhook, django_assert_num_queries):
    team = TeamFactory()
    for index in range(3):
        person = user_with_role(Role.ENGINEER, username=f"person{index}")
        subscription_create(kind=Subscription.Kind.WEEKLY_DIGEST, user=person)
    subscription_create(
        kind=Subscription.Kind.WEEKLY_DIGEST,
        channel=Subscription.Channel.WEBHOOK,
        team=team,
        webhook=webhook,
    )

    with django_assert_num_queries(1):
        found = selectors.subscriptions_active(kind=Subscription.Kind.WEEKLY_DIGEST)
        names = [str(subscription.user or subscription.team) for subscription in found]
        hooks = [subscription.webhook for subscription in found]

    assert len(names) == 4
    assert hooks[-1] == webhook


def test_the_webhook_overview_takes_two_queries(webhook, django_assert_num_queries):
    other = outbound_webhook_create(name="Other", url="http://127.0.0.1:10/hook")
    for hook in (webhook, other):
        for index in range(4):
            WebhookDelivery.objects.create(webhook=hook, event=f"e{index}", payload={})

    with django_assert_num_queries(2):
        overview = selectors.webhook_overview(limit=3)

    assert [len(item.deliveries) for item in overview] == [3, 3]
    assert [item.deliveries[0].event for item in overview] == ["e3", "e3"]


def test_email_recipients_are_read_in_one_query(db, django_assert_num_queries):
    lead = user_with_role(Role.PRODUCT_MANAGER, username="lead")
    team = TeamFactory(lead=lead)
    team.members.add(*(user_with_role(Role.ENGINEER, username=f"m{i}") for i in range(3)))
    subscription = subscription_create(kind=Subscription.Kind.WEEKLY_DIGEST, team=team)

    with django_assert_num_queries(1):
        recipients = selectors.subscription_email_recipients(subscription=subscription)

    assert [user.username for user in recipients] == ["lead", "m0", "m1", "m2"]
