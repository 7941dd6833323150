"""Observations from touchpoints, stored as feedback (source: touchpoint).

The ground floor: `touchpoints` calls these with plain values and never writes Feedback itself, so
this module knows nothing of touchpoints beyond the id it records in the metadata.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from insights.models import Feedback


@dataclass(frozen=True)
class ObservationInput:
    text: str
    severity: str
    occurred_on: dt.date
    customer_id: int | None
    engineer_username: str
    touchpoint_id: int


def _start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@transaction.atomic
def feedback_for_observations(
    *, items: list[ObservationInput], import_job_id: int | None = None
) -> list[int]:
    """Store one Feedback per observation; returns their ids in the order of `items`.

    Observations that come from an import name its job and are not analysed one touchpoint at a
    time: the import requests one analysis when it ends."""
    ids = []
    for item in items:
        feedback = Feedback.objects.create(
            source=Feedback.Source.TOUCHPOINT,
            received_at=_start_of_day(item.occurred_on),
            text=item.text,
            customer_id=item.customer_id,
            import_job_id=import_job_id,
            metadata={
                "touchpoint": item.touchpoint_id,
                "engineer": item.engineer_username,
                "severity": item.severity,
            },
        )
        ids.append(feedback.pk)
    if ids and settings.BACKLIGHT_ANALYZE_ON_ARRIVAL and import_job_id is None:
        _analyze_on_commit(feedback_ids=ids)
    return ids


@transaction.atomic
def feedback_text_update(*, feedback_id: int, text: str) -> None:
    """Change the text and clear what the analysis derived from the old one, so it runs again."""
    Feedback.objects.filter(pk=feedback_id).update(
        text=text, redacted_text="", text_version="", updated_at=timezone.now()
    )
    if settings.BACKLIGHT_ANALYZE_ON_ARRIVAL:
        _analyze_on_commit(feedback_ids=[feedback_id])


@transaction.atomic
def feedback_delete(*, feedback_ids: list[int]) -> int:
    if not feedback_ids:
        return 0
    deleted, _ = Feedback.objects.filter(pk__in=feedback_ids).delete()
    return deleted


def _analyze_on_commit(*, feedback_ids: list[int]) -> None:
    from insights.tasks import feedback_analyze_new

    ids = list(feedback_ids)
    transaction.on_commit(lambda: feedback_analyze_new.delay(feedback_ids=ids))
