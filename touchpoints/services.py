"""Writing touchpoints. Observations become feedback through `insights.services`."""

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db import transaction

from insights.models import Customer
from insights.services.touchpoint_feedback import (
    ObservationInput,
    feedback_delete,
    feedback_for_observations,
    feedback_text_update,
)
from touchpoints.models import Observation, Touchpoint

CHANGE_ALL = "touchpoints.change_all_touchpoints"


def touchpoint_can_edit(*, touchpoint: Touchpoint, user) -> bool:
    if user.has_perm(CHANGE_ALL):
        return True
    return (
        user.has_perm("touchpoints.change_touchpoint")
        and touchpoint.engineers.filter(pk=user.pk).exists()
    )


@transaction.atomic
def touchpoint_log(
    *,
    logged_by,
    kind: str,
    occurred_on: dt.date,
    duration_minutes: int,
    partner_team: str,
    customers: Sequence[Customer],
    co_attendees: Sequence,
    observations: list[tuple[str, str]],
    summary: str = "",
    follow_ups: str = "",
    import_key: str = "",
    import_job_id: int | None = None,
) -> Touchpoint:
    """Log a touchpoint: the logger is always one of its engineers; each observation (text,
    severity) is stored with its feedback.

    An import (`touchpoints.imports`) logs through here too, with the key that makes a second
    import of the same row skip it (IntegrityError when a touchpoint holds that key already) and
    its job, which the observations' feedback names."""
    touchpoint = Touchpoint.objects.create(
        kind=kind,
        occurred_on=occurred_on,
        duration_minutes=duration_minutes,
        partner_team=partner_team,
        logged_by=logged_by,
        summary=summary,
        follow_ups=follow_ups,
        import_key=import_key,
    )
    touchpoint.engineers.set({logged_by, *co_attendees})
    touchpoint.customers.set(customers)
    _observations_create(
        touchpoint=touchpoint,
        observations=observations,
        first_customer=customers[0] if customers else None,
        engineer=logged_by,
        import_job_id=import_job_id,
    )
    return touchpoint


@transaction.atomic
def touchpoint_update(
    *,
    touchpoint: Touchpoint,
    user,
    kind: str,
    occurred_on: dt.date,
    duration_minutes: int,
    partner_team: str,
    customers: Sequence[Customer],
    co_attendees: Sequence,
    observations: list[tuple[str, str]],
    summary: str = "",
    follow_ups: str = "",
) -> Touchpoint:
    """Change a touchpoint and re-sync its observations with their feedback: an unchanged line
    keeps its feedback, a changed one updates it, a removed one deletes it, a new one creates it.

    Engineers edit the touchpoints they took part in; `change_all_touchpoints` edits any."""
    if not touchpoint_can_edit(touchpoint=touchpoint, user=user):
        raise PermissionDenied("You can edit only touchpoints you took part in.")
    touchpoint = Touchpoint.objects.select_for_update().get(pk=touchpoint.pk)
    touchpoint.kind = kind
    touchpoint.occurred_on = occurred_on
    touchpoint.duration_minutes = duration_minutes
    touchpoint.partner_team = partner_team
    touchpoint.summary = summary
    touchpoint.follow_ups = follow_ups
    touchpoint.save()
    engineers = set(co_attendees)
    if touchpoint.logged_by is not None:
        engineers.add(touchpoint.logged_by)
    if not engineers:
        engineers.add(user)
    touchpoint.engineers.set(engineers)
    touchpoint.customers.set(customers)
    _observations_sync(
        touchpoint=touchpoint,
        observations=observations,
        first_customer=customers[0] if customers else None,
        engineer=touchpoint.logged_by or user,
    )
    return touchpoint


def _observations_create(
    *,
    touchpoint: Touchpoint,
    observations: list[tuple[str, str]],
    first_customer,
    engineer,
    import_job_id: int | None = None,
) -> None:
    if not observations:
        return
    created = Observation.objects.bulk_create(
        [
            Observation(touchpoint=touchpoint, text=text, severity=severity)
            for text, severity in observations
        ]
    )
    feedback_ids = feedback_for_observations(
        items=[
            ObservationInput(
                text=text,
                severity=severity,
                occurred_on=touchpoint.occurred_on,
                customer_id=first_customer.pk if first_customer else None,
                engineer_username=engineer.get_username(),
                touchpoint_id=touchpoint.pk,
            )
            for text, severity in observations
        ],
        import_job_id=import_job_id,
    )
    for observation, feedback_id in zip(created, feedback_ids, strict=True):
        observation.feedback_id = feedback_id
    Observation.objects.bulk_update(created, ["feedback"])


def _observations_sync(
    *, touchpoint: Touchpoint, observations: list[tuple[str, str]], first_customer, engineer
) -> None:
    existing = list(touchpoint.observations.order_by("id"))
    wanted = list(observations)
    # Lines whose text did not change keep their observation and feedback untouched.
    unmatched_existing = []
    for observation in existing:
        match = next((item for item in wanted if item[0] == observation.text), None)
        if match is None:
            unmatched_existing.append(observation)
            continue
        wanted.remove(match)
        if observation.severity != match[1]:
            observation.severity = match[1]
            observation.save(update_fields=["severity", "updated_at"])
    # What is left pairs up in order: those are edited lines.
    for observation, (text, severity) in zip(unmatched_existing, wanted, strict=False):
        observation.text = text
        observation.severity = severity
        observation.save(update_fields=["text", "severity", "updated_at"])
        if observation.feedback_id:
            feedback_text_update(feedback_id=observation.feedback_id, text=text)
    paired = min(len(unmatched_existing), len(wanted))
    removed = unmatched_existing[paired:]
    if removed:
        feedback_delete(feedback_ids=[o.feedback_id for o in removed if o.feedback_id])
        Observation.objects.filter(pk__in=[o.pk for o in removed]).delete()
    _observations_create(
        touchpoint=touchpoint,
        observations=wanted[paired:],
        first_customer=first_customer,
        engineer=engineer,
    )
