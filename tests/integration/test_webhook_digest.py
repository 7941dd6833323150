"""The weekly digest through a real worker to a webhook receiver on 127.0.0.1: the worker builds
the digest, records the delivery, and a second task (queued on commit) posts it, signed, to the
receiver. The worker is started with BACKLIGHT_WEBHOOK_ALLOWED_HOSTS=127.0.0.1, as an on-premise
install would allow its own receiver; without it loopback is refused."""

import datetime as dt
import json
import time

import pytest
from django.utils import timezone

from insights.roles import Role
from roadmap.models import NotificationLog, Subscription, WebhookDelivery
from roadmap.sharing.digests import digest_key
from roadmap.sharing.services import outbound_webhook_create, subscription_create
from roadmap.sharing.signing import signature_verify
from roadmap.sharing.tasks import weekly_digests_send
from tests.conftest import user_with_role
from tests.insights.factories import ThemeFactory
from tests.integration.conftest import _worker_log, queues_purge, worker_start
from tests.roadmap.test_webhooks import Receiver
from tests.touchpoints.factories import TeamFactory

TODAY = dt.date(2026, 7, 1)
TIMEOUT = 60
ALLOWED = "127.0.0.1"


@pytest.fixture(scope="module")
def celery_worker_process(django_db_setup, tmp_path_factory):
    """The conftest's module worker, but with the local receiver allowed (the worker is another
    process: the test's settings do not reach it, its environment does)."""
    queues_purge()
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    worker = worker_start(
        log_path=log_path,
        name="webhooks",
        extra_env={"BACKLIGHT_WEBHOOK_ALLOWED_HOSTS": ALLOWED},
    )
    try:
        yield worker.nodename
    finally:
        worker.stop()
        _worker_log.clear()


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


def _delivered(delivery_id: int) -> WebhookDelivery:
    """The worker records the outcome just after the receiver answered."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        delivery = WebhookDelivery.objects.get(pk=delivery_id)
        if delivery.status != WebhookDelivery.Status.PENDING or time.monotonic() > deadline:
            return delivery
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_a_team_digest_reaches_a_local_webhook_through_the_worker(
    celery_worker, receiver, settings
):
    # given a team subscribed to the weekly digest through a webhook on a local receiver
    settings.BACKLIGHT_WEBHOOK_ALLOWED_HOSTS = [ALLOWED]
    webhook = outbound_webhook_create(name="Local receiver", url=receiver.url("/slack"))
    team = TeamFactory(name="Payments", lead=user_with_role(Role.PRODUCT_MANAGER, username="pm"))
    subscription = subscription_create(
        kind=Subscription.Kind.WEEKLY_DIGEST,
        channel=Subscription.Channel.WEBHOOK,
        team=team,
        webhook=webhook,
    )
    ThemeFactory(
        label="Slow search",
        impact=10.0,
        statistics={
            "weekly": [1] * 15 + [9],
            "volume_90": 24,
            "ranked_at": timezone.now().isoformat(),
        },
    )

    # when the weekly task runs in the worker, twice
    first = weekly_digests_send.delay(today=TODAY.isoformat()).get(timeout=TIMEOUT)
    assert receiver.arrived.wait(TIMEOUT), "the receiver got nothing"
    delivery = _delivered(WebhookDelivery.objects.get(webhook=webhook).pk)
    second = weekly_digests_send.delay(today=TODAY.isoformat()).get(timeout=TIMEOUT)

    # then one signed, Slack-compatible post arrived and its delivery is recorded as delivered
    assert first == {"sent": 1, "already_sent": 0, "skipped": 0}
    assert second == {"sent": 0, "already_sent": 1, "skipped": 0}
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.path == "/slack"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Backlight-Event"] == "digest.weekly"
    assert signature_verify(
        secret=webhook.secret,
        timestamp=request.headers["X-Backlight-Timestamp"],
        body=request.body,
        signature=request.headers["X-Backlight-Signature"],
    )
    payload = json.loads(request.body)
    assert set(payload) == {"text", "blocks"}
    assert payload["text"].startswith("Backlight weekly digest, 2026-W27")
    assert payload["blocks"][0]["type"] == "header"
    assert "Slow search" in payload["blocks"][1]["text"]["text"]
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert (delivery.attempts, delivery.response_status, delivery.error) == (1, 200, "")
    assert delivery.delivered_at is not None
    assert NotificationLog.objects.filter(
        key=digest_key(week="2026-W27", subscription_id=subscription.pk)
    ).exists()
