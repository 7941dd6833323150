"""Touchpoint tasks: thin, each one service call."""

import datetime as dt

from insights.tasking import Queue, backlight_task
from touchpoints import notifications


@backlight_task(
    queue=Queue.DEFAULT, name="touchpoints.tasks.touchpoint_reminders_send", expires=6 * 3600
)
def touchpoint_reminders_send(*, today: str | None = None) -> dict[str, int]:
    """The weekly reminders and team digests. `today` (ISO date) is for reruns and tests; safe to
    run twice, since nobody is emailed twice in one ISO week."""
    result = notifications.touchpoint_reminders_send(
        today=dt.date.fromisoformat(today) if today else None
    )
    return result.as_dict()
