"""Sharing's tasks: thin, each one service call. Imported by `roadmap.apps.RoadmapConfig.ready`
so that workers know them (Celery's autodiscovery looks at `roadmap.tasks` only)."""

import datetime as dt

from insights.tasking import Queue, backlight_task
from roadmap.sharing import alerts, digests, services


@backlight_task(queue=Queue.DEFAULT, name="roadmap.sharing.tasks.webhook_delivery_send")
def webhook_delivery_send(*, delivery_id: int) -> str | None:
    """One attempt at one delivery; a delivery that is not due, or that another worker has, is
    left alone. What the receiver or the network does is recorded on the delivery, not raised:
    its own schedule (services.BACKOFF) retries it, not Celery."""
    delivery = services.webhook_delivery_attempt(delivery_id=delivery_id)
    return None if delivery is None else delivery.status


@backlight_task(
    queue=Queue.DEFAULT, name="roadmap.sharing.tasks.webhook_deliveries_resend", expires=60
)
def webhook_deliveries_resend() -> int:
    """Beat, every minute: a task per delivery whose next attempt is due."""
    ids = services.webhook_deliveries_resend_due()
    for delivery_id in ids:
        webhook_delivery_send.delay(delivery_id=delivery_id)
    return len(ids)


@backlight_task(
    queue=Queue.DEFAULT, name="roadmap.sharing.tasks.emerging_alerts_send", expires=3600
)
def emerging_alerts_send(*, today: str | None = None) -> dict[str, int]:
    """Beat, hourly: alerts on themes spiking past a subscription's threshold. `today` (ISO
    date) is for reruns and tests; safe to run twice."""
    result = alerts.emerging_alerts_send(today=dt.date.fromisoformat(today) if today else None)
    return result.as_dict()


@backlight_task(
    queue=Queue.DEFAULT, name="roadmap.sharing.tasks.weekly_digests_send", expires=6 * 3600
)
def weekly_digests_send(*, today: str | None = None) -> dict[str, int]:
    """Beat, Monday mornings: the weekly digest to every subscription. `today` (ISO date) is for
    reruns and tests; safe to run twice."""
    result = digests.weekly_digests_send(today=dt.date.fromisoformat(today) if today else None)
    return result.as_dict()
