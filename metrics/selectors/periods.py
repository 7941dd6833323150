"""Calendar periods of the metrics: months, quarters and years, in the organisation's time zone.

A period is named by its first day. Feedback belongs to the period in which it was received as
seen from `settings.TIME_ZONE` (a response at 03:00 UTC on 1 March is February's in New York);
usage belongs to the month it was recorded for.
"""

import datetime as dt
import zoneinfo

from django.db.models import DateField, Func
from django.db.models.functions import TruncMonth, TruncQuarter, TruncYear
from django.utils import timezone

MONTH = "month"
QUARTER = "quarter"
YEAR = "year"
PERIOD_KINDS = (MONTH, QUARTER, YEAR)
_MONTHS_IN = {MONTH: 1, QUARTER: 3, YEAR: 12}
_TRUNC = {MONTH: TruncMonth, QUARTER: TruncQuarter, YEAR: TruncYear}


def org_timezone() -> zoneinfo.ZoneInfo:
    """The organisation's zone (settings.TIME_ZONE), whatever zone a request may have activated."""
    return timezone.get_default_timezone()


def org_today() -> dt.date:
    return timezone.localdate(timezone=org_timezone())


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def months_back(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` months before the month of `day`."""
    index = day.year * 12 + (day.month - 1) - months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_starts(*, start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of every month from the month of `start` to the month of `end`."""
    return period_starts(start=start, end=end, period_kind=MONTH)


def _check(period_kind: str) -> int:
    if period_kind not in _MONTHS_IN:
        raise ValueError(f"Unknown period kind {period_kind!r}; use one of {PERIOD_KINDS}.")
    return _MONTHS_IN[period_kind]


def period_start(day: dt.date, period_kind: str) -> dt.date:
    """The first day of the month, quarter or year that contains `day`."""
    months = _check(period_kind)
    return dt.date(day.year, (day.month - 1) // months * months + 1, 1)


def period_shift(start: dt.date, period_kind: str, periods: int) -> dt.date:
    """The start of the period `periods` periods after (negative: before) the one at `start`."""
    return months_back(period_start(start, period_kind), -periods * _check(period_kind))


def period_end(start: dt.date, period_kind: str) -> dt.date:
    """The last day of the period that begins on `start`."""
    return period_shift(start, period_kind, 1) - dt.timedelta(days=1)


def period_starts(*, start: dt.date, end: dt.date, period_kind: str) -> list[dt.date]:
    """First days of every period from the one containing `start` to the one containing `end`."""
    starts = []
    current = period_start(start, period_kind)
    while current <= end:
        starts.append(current)
        current = period_shift(current, period_kind, 1)
    return starts


def period_trunc(field: str, period_kind: str, *, is_date: bool = False) -> Func:
    """The database expression for the first day of the period of `field`: a datetime is seen in
    the organisation's zone first; a date (`is_date`) is taken as it is."""
    _check(period_kind)
    tzinfo = None if is_date else org_timezone()
    return _TRUNC[period_kind](field, tzinfo=tzinfo, output_field=DateField())


def last_full_quarter(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the calendar quarter before the one containing `today`."""
    start = period_shift(today, QUARTER, -1)
    return start, period_end(start, QUARTER)
