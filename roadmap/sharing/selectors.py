"""Reading subscriptions, webhooks and their deliveries."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet

from roadmap.models import NotificationLog, OutboundWebhook, Subscription, WebhookDelivery
from touchpoints.models import Team

# Whoever may read the roadmap may get its digests and alerts; nobody else, whatever a team
# subscription says.
READ_PERMISSION = ("roadmap", "view_backlogitem")
RECENT_DELIVERIES = 10


def subscriptions_active(*, kind: str) -> list[Subscription]:
    """Active subscriptions of `kind`, for sending: webhook ones only through an active webhook.
    One query."""
    return list(
        Subscription.objects.filter(kind=kind, is_active=True)
        .filter(Q(webhook__isnull=True) | Q(webhook__is_active=True))
        .select_related("user", "team", "webhook")
        .order_by("id")
    )


def subscription_list_for_user(*, user) -> list[Subscription]:
    return list(Subscription.objects.filter(user=user).order_by("kind", "id"))


def subscription_list_for_teams() -> list[Subscription]:
    return list(
        Subscription.objects.filter(team__isnull=False)
        .select_related("team", "webhook")
        .order_by("team__name", "kind", "id")
    )


def subscription_get(*, subscription_id: int) -> Subscription | None:
    return (
        Subscription.objects.select_related("user", "team", "webhook")
        .filter(pk=subscription_id)
        .first()
    )


def team_list() -> QuerySet[Team]:
    return Team.objects.order_by("name")


def webhook_list_active() -> QuerySet[OutboundWebhook]:
    return OutboundWebhook.objects.filter(is_active=True).order_by("name")


def webhook_get(*, webhook_id: int) -> OutboundWebhook | None:
    return OutboundWebhook.objects.filter(pk=webhook_id).first()


@dataclass(frozen=True)
class WebhookOverview:
    webhook: OutboundWebhook
    deliveries: list[WebhookDelivery]
    subscriptions: int


def webhook_overview(*, limit: int = RECENT_DELIVERIES) -> list[WebhookOverview]:
    """Every webhook with its latest `limit` deliveries and how many subscriptions use it. Two
    queries, however many webhooks (the prefetch is sliced per webhook in the database)."""
    recent = WebhookDelivery.objects.order_by("-created_at", "-id")[:limit]
    webhooks = (
        OutboundWebhook.objects.select_related("created_by")
        .annotate(subscription_count=Count("subscriptions", distinct=True))
        .prefetch_related(Prefetch("deliveries", queryset=recent, to_attr="recent_deliveries"))
        .order_by("name", "id")
    )
    return [
        WebhookOverview(
            webhook=webhook,
            deliveries=list(webhook.recent_deliveries),
            subscriptions=webhook.subscription_count,
        )
        for webhook in webhooks
    ]


def webhook_delivery_ids_due(*, now: dt.datetime, limit: int) -> list[int]:
    """Pending deliveries whose next attempt is due, the longest waiting first."""
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def notifications_sent(*, keys: list[str]) -> bool:
    """Whether any of `keys` was logged as sent."""
    return NotificationLog.objects.filter(key__in=keys).exists()


def notification_keys_sent(*, keys: list[str]) -> set[str]:
    return set(NotificationLog.objects.filter(key__in=keys).values_list("key", flat=True))


def subscription_email_recipients(*, subscription: Subscription) -> list:
    """Who gets an email subscription: the person, or the team's lead and members; only the
    active ones with an address who may read the roadmap. One query."""
    app_label, codename = READ_PERMISSION
    may_read = (
        Q(is_superuser=True)
        | Q(
            groups__permissions__codename=codename,
            groups__permissions__content_type__app_label=app_label,
        )
        | Q(
            user_permissions__codename=codename,
            user_permissions__content_type__app_label=app_label,
        )
    )
    if subscription.user_id is not None:
        whom = Q(pk=subscription.user_id)
    else:
        whom = Q(teams=subscription.team_id) | Q(teams_led=subscription.team_id)
    return list(
        get_user_model()
        .objects.filter(whom, may_read, is_active=True)
        .exclude(email="")
        .distinct()
        .order_by("username")
    )
