"""An engineer's touchpoints as an iCalendar feed (RFC 5545), written by hand: the format is small
and a dependency for it would be larger than this module.

A touchpoint stores a date but no time, while a DURATION in hours or minutes needs a start with a
time (RFC 5545 §3.8.2.5: a DATE start takes only day or week durations). Each event therefore
starts at 09:00 floating time (the calendar's own time zone) and lasts `duration_minutes`.
"""

import datetime as dt
from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from touchpoints.models import Touchpoint

FEED_DAYS_BACK = 30
EVENT_START = dt.time(9, 0)
MAX_LINE_OCTETS = 75
CRLF = "\r\n"
PRODID = "-//Backlight//Touchpoints//EN"


def ical_escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def ical_fold(line: str) -> str:
    """Fold a content line into lines of at most 75 octets (RFC 5545 §3.1), never inside a UTF-8
    character; each continuation starts with one space, which counts towards its 75."""
    parts: list[str] = []
    current = ""
    current_octets = 0
    limit = MAX_LINE_OCTETS
    for char in line:
        size = len(char.encode("utf-8"))
        if current_octets + size > limit:
            parts.append(current)
            current, current_octets = "", 0
            limit = MAX_LINE_OCTETS - 1
        current += char
        current_octets += size
    parts.append(current)
    return (CRLF + " ").join(parts)


def _duration(minutes: int) -> str:
    hours, rest = divmod(max(minutes, 0), 60)
    if not hours and not rest:
        return "PT0M"
    return "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest else "")


def _utc_stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def touchpoint_summary(touchpoint: Touchpoint) -> str:
    names = ", ".join(customer.name for customer in touchpoint.customers.all())
    kind = touchpoint.get_kind_display()
    return f"{kind} with {names}" if names else kind


def _event_lines(touchpoint: Touchpoint, *, stamp: str) -> list[str]:
    start = dt.datetime.combine(touchpoint.occurred_on, EVENT_START)
    lines = [
        "BEGIN:VEVENT",
        f"UID:touchpoint-{touchpoint.pk}@backlight",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{start:%Y%m%dT%H%M%S}",
        f"DURATION:{_duration(touchpoint.duration_minutes)}",
        f"SUMMARY:{ical_escape(touchpoint_summary(touchpoint))}",
    ]
    if touchpoint.summary:
        lines.append(f"DESCRIPTION:{ical_escape(touchpoint.summary)}")
    lines.append("END:VEVENT")
    return lines


def calendar_build(*, touchpoints: Iterable[Touchpoint], name: str, now: dt.datetime) -> str:
    """The whole VCALENDAR: CRLF line endings, every line folded."""
    stamp = _utc_stamp(now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ical_escape(name)}",
    ]
    for touchpoint in touchpoints:
        lines.extend(_event_lines(touchpoint, stamp=stamp))
    lines.append("END:VCALENDAR")
    return "".join(ical_fold(line) + CRLF for line in lines)


def calendar_touchpoints(*, user, today: dt.date | None = None) -> QuerySet[Touchpoint]:
    """The user's touchpoints from FEED_DAYS_BACK days ago onward, oldest first."""
    today = today or timezone.localdate()
    since = today - dt.timedelta(days=FEED_DAYS_BACK)
    return (
        Touchpoint.objects.filter(engineers=user, occurred_on__gte=since)
        .prefetch_related("customers")
        .order_by("occurred_on", "id")
    )


def calendar_for_user(*, user, today: dt.date | None = None) -> str:
    return calendar_build(
        touchpoints=calendar_touchpoints(user=user, today=today),
        name="Backlight touchpoints",
        now=timezone.now(),
    )
