"""Writing what sharing needs: outbound webhooks, their deliveries, subscriptions, and the log of
what was sent once.

A delivery is tried at once, then again after each step of BACKOFF (1 min, 5 min, 30 min, 2 h,
12 h): six attempts, then it is failed. Each attempt claims the delivery with a conditional
update that also pushes `next_attempt_at` a lease ahead, so a second worker (the beat's resend
and the first send racing, or a message re-delivered after a lost worker) finds nothing to do,
and a worker killed mid-post leaves a delivery that the beat picks up once the lease ran out.
A destination the SSRF rules refuse, or a redirect that is not followed, fails at once.
Delivery is at least once (an outcome lost after the POST is posted again when the lease ends):
receivers drop repeats by the X-Backlight-Delivery header.
"""

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from roadmap.models import NotificationLog, OutboundWebhook, Subscription, WebhookDelivery
from roadmap.sharing import selectors
from roadmap.sharing.signing import payload_body, signed_headers
from roadmap.sharing.webhooks import PostResult, WebhookRefused, webhook_post, webhook_url_check

logger = logging.getLogger(__name__)

BACKOFF: tuple[dt.timedelta, ...] = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# Longer than one attempt can take (a connect and reads per hop, four hops), so that a running
# attempt is never taken for a lost one.
CLAIM_LEASE = dt.timedelta(minutes=5)
RESEND_BATCH = 200
ERROR_CHARS = 500
TEST_EVENT = "test.ping"
THRESHOLD_MIN = 1.0
THRESHOLD_MAX = 100.0


@dataclass(frozen=True)
class Notification:
    """One message in both shapes: an email (subject, text) and a Slack-compatible payload."""

    event: str
    subject: str
    text: str
    payload: dict


@dataclass(frozen=True)
class SendResult:
    sent: int = 0
    already_sent: int = 0
    skipped: int = 0  # nobody to send to (no address, no permission)

    def __add__(self, other: "SendResult") -> "SendResult":
        return SendResult(
            sent=self.sent + other.sent,
            already_sent=self.already_sent + other.already_sent,
            skipped=self.skipped + other.skipped,
        )

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "already_sent": self.already_sent, "skipped": self.skipped}


# --- webhooks ---------------------------------------------------------------------------------


def webhook_url_validate(url: str) -> None:
    """The SSRF rules that need no DNS, as a ValidationError for forms and services."""
    try:
        webhook_url_check(url)
    except WebhookRefused as refused:
        raise ValidationError({"url": f"This address is refused: {refused}."}) from refused


@transaction.atomic
def outbound_webhook_create(
    *, name: str, url: str, created_by=None, is_active: bool = True
) -> OutboundWebhook:
    """A webhook with a fresh signing secret (64 hex characters)."""
    webhook_url_validate(url)
    webhook = OutboundWebhook(
        name=name,
        url=url,
        secret=secrets.token_hex(32),
        is_active=is_active,
        created_by=created_by,
    )
    webhook.full_clean()
    webhook.save()
    return webhook


@transaction.atomic
def webhook_delivery_enqueue(*, webhook: OutboundWebhook, event: str, payload: dict):
    """A pending delivery, sent by a worker once this transaction commits."""
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, event=event, payload=payload, next_attempt_at=timezone.now()
    )
    from roadmap.sharing.tasks import webhook_delivery_send as task

    transaction.on_commit(lambda: task.delay(delivery_id=delivery.pk))
    return delivery


def webhook_test_send(*, webhook: OutboundWebhook, user) -> WebhookDelivery:
    """A test message to `webhook`, through the same path as every other delivery."""
    who = user.get_full_name() or user.get_username()
    text = f"Test message from Backlight, sent by {who}. If you can read this, the webhook works."
    payload = {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": slack_escape(text)}}],
    }
    return webhook_delivery_enqueue(webhook=webhook, event=TEST_EVENT, payload=payload)


def _attempt_claim(*, delivery_id: int, now: dt.datetime) -> bool:
    due = Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True)
    return (
        WebhookDelivery.objects.filter(
            due,
            pk=delivery_id,
            status=WebhookDelivery.Status.PENDING,
            attempts__lt=MAX_ATTEMPTS,
        ).update(attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE, updated_at=now)
        == 1
    )


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """One attempt to deliver, if it is due and nobody else is on it (None otherwise).

    Not atomic on purpose: the claim and the outcome are two short transactions, with the POST
    (up to a minute of network) between them and outside any transaction."""
    now = timezone.now()
    if not _attempt_claim(delivery_id=delivery_id, now=now):
        return None
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    webhook = delivery.webhook
    if not webhook.is_active:
        result = PostResult(delivered=False, error="the webhook is switched off", permanent=True)
    elif not webhook.secret:
        result = PostResult(
            delivered=False, error="the webhook has no signing secret", permanent=True
        )
    else:
        body = payload_body(delivery.payload)
        headers = signed_headers(
            secret=webhook.secret, body=body, event=delivery.event, delivery_id=delivery.pk
        )
        result = webhook_post(url=webhook.url, body=body, headers=headers)
    return _attempt_record(delivery=delivery, result=result)


@transaction.atomic
def _attempt_record(*, delivery: WebhookDelivery, result: PostResult) -> WebhookDelivery:
    now = timezone.now()
    delivery.response_status = result.status
    delivery.error = result.error[:ERROR_CHARS]
    if result.delivered:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif result.permanent or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
    delivery.save(
        update_fields=[
            "status",
            "response_status",
            "error",
            "delivered_at",
            "next_attempt_at",
            "updated_at",
        ]
    )
    logger.info(
        "webhook delivery %s attempt %s: %s %s",
        delivery.pk,
        delivery.attempts,
        delivery.status,
        delivery.error or delivery.response_status,
    )
    return delivery


def webhook_deliveries_resend_due(*, now: dt.datetime | None = None) -> list[int]:
    """The beat's part: fail deliveries whose last attempt was lost (a worker killed after the
    sixth claim), and return the ids of the pending ones that are due, for a worker each."""
    now = now or timezone.now()
    WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING,
        attempts__gte=MAX_ATTEMPTS,
        next_attempt_at__lte=now,
    ).update(
        status=WebhookDelivery.Status.FAILED,
        next_attempt_at=None,
        error="the last attempt was lost (the worker stopped)",
        updated_at=now,
    )
    return selectors.webhook_delivery_ids_due(now=now, limit=RESEND_BATCH)


# --- subscriptions ----------------------------------------------------------------------------


def _threshold_check(threshold: float) -> None:
    if not THRESHOLD_MIN <= threshold <= THRESHOLD_MAX:
        raise ValidationError(
            {"threshold": f"Choose a threshold between {THRESHOLD_MIN:g} and {THRESHOLD_MAX:g}."}
        )


@transaction.atomic
def subscription_create(
    *,
    kind: str,
    channel: str = Subscription.Channel.EMAIL,
    user=None,
    team=None,
    webhook: OutboundWebhook | None = None,
    threshold: float = 2.0,
) -> Subscription:
    """A person's or a team's subscription. People subscribe themselves by email; webhooks are
    for team subscriptions, through an active webhook an admin configured. A second identical
    subscription is refused."""
    if (user is None) == (team is None):
        raise ValidationError("A subscription is for a person or for a team.")
    if channel == Subscription.Channel.WEBHOOK:
        if team is None:
            raise ValidationError({"channel": "Webhooks are for team subscriptions."})
        if webhook is None or not webhook.is_active:
            raise ValidationError({"webhook": "Choose an active webhook."})
    else:
        webhook = None
    _threshold_check(threshold)
    duplicate = Subscription.objects.filter(
        kind=kind, channel=channel, user=user, team=team, webhook=webhook
    )
    if duplicate.exists():
        raise ValidationError("That subscription exists already.")
    subscription = Subscription(
        kind=kind,
        channel=channel,
        user=user,
        team=team,
        webhook=webhook,
        threshold=threshold,
    )
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def subscription_update(
    *, subscription: Subscription, threshold: float, is_active: bool
) -> Subscription:
    _threshold_check(threshold)
    subscription.threshold = threshold
    subscription.is_active = is_active
    subscription.save(update_fields=["threshold", "is_active", "updated_at"])
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: Subscription) -> None:
    subscription.delete()


# --- sending once -----------------------------------------------------------------------------


def week_label(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _email_send(*, recipients: list, notification: Notification) -> None:
    # One message per person: team members do not see each other's addresses.
    messages = [
        EmailMessage(
            notification.subject, notification.text, settings.DEFAULT_FROM_EMAIL, [user.email]
        )
        for user in recipients
    ]
    get_connection().send_messages(messages)


def _claim(keys: list[str]) -> bool:
    """All of `keys`, or none: False when another run has claimed one of them."""
    try:
        with transaction.atomic():
            NotificationLog.objects.bulk_create([NotificationLog(key=key) for key in keys])
    except IntegrityError:
        return False
    return True


def subscription_notify(
    *, subscription: Subscription, keys: list[str], notification: Notification
) -> SendResult:
    """Send `notification` to `subscription` unless one of `keys` was sent already; the keys are
    logged as sent. Through a webhook the claim and the delivery commit together (the delivery
    then retries on its own); by email the claim commits first, and is given back when sending
    fails, so that a rerun sends it."""
    if selectors.notifications_sent(keys=keys):
        return SendResult(already_sent=1)
    if subscription.channel == Subscription.Channel.WEBHOOK:
        with transaction.atomic():
            if not _claim(keys):
                return SendResult(already_sent=1)
            webhook_delivery_enqueue(
                webhook=subscription.webhook,
                event=notification.event,
                payload=notification.payload,
            )
        return SendResult(sent=1)
    recipients = selectors.subscription_email_recipients(subscription=subscription)
    if not recipients:
        return SendResult(skipped=1)
    if not _claim(keys):
        return SendResult(already_sent=1)
    try:
        _email_send(recipients=recipients, notification=notification)
    except Exception:
        NotificationLog.objects.filter(key__in=keys).delete()
        raise
    return SendResult(sent=1)


def subscriptions_notify(
    batch: list[tuple[Subscription, list[str], Notification]],
) -> SendResult:
    """`subscription_notify` for each; one subscription's failure (a mail server that said no)
    does not keep the others from theirs. The first error is raised at the end, after every
    subscription had its turn, so that the task fails visibly (and is retried when transient);
    the rerun sends only what was not sent."""
    result = SendResult()
    errors: list[Exception] = []
    for subscription, keys, notification in batch:
        try:
            result += subscription_notify(
                subscription=subscription, keys=keys, notification=notification
            )
        except Exception as error:
            logger.exception(
                "sending %s to subscription %s failed", notification.event, subscription.pk
            )
            errors.append(error)
    if errors:
        raise errors[0]
    return result


def slack_escape(text: str) -> str:
    """Text for Slack's mrkdwn: &, < and > escaped, so that a theme's label cannot become a link
    or an @channel."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_link(url: str, label: str) -> str:
    return f"<{url}|{slack_escape(label).replace('|', '¦')}>"


def site_url(path: str) -> str:
    return settings.BACKLIGHT_SITE_URL.rstrip("/") + path
