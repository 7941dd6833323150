"""What the value stored in an XLSX cell reads as, the way the openpyxl reader used to give it.

Numbers as people typed them ("9", "2.5", "1e-05"); numbers in a date or time format as
"YYYY-MM-DD HH:MM:SS" or "HH:MM:SS", counted in the workbook's date system; cells of type "d"
(ISO 8601 text) likewise. `format_shows_date` tells from a cell style's number format whether its
numbers are dates.
"""

import datetime as dt
import re

EPOCH_1900 = dt.datetime(1899, 12, 30)  # noqa: DTZ001 - serial dates have no time zone
EPOCH_1904 = dt.datetime(1904, 1, 1)  # noqa: DTZ001
# Built-in number formats (ECMA-376 18.8.30) that show a date or a time; 46 is [h]:mm:ss.
_BUILTIN_DATE_FORMATS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47})
_BUILTIN_DURATION_FORMATS = frozenset({46})
# In a custom format code, quoted text and bracketed colours or locales ("[Red]", "[$€-407]") are
# not date parts; [h], [m] and [s] are. An escaped letter (\d) or a space width (_d) is neither.
_FORMAT_LITERALS = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_PART = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_DURATION_PART = re.compile(
    r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.IGNORECASE
)
# Cells of type "d" hold ISO 8601 text (ECMA-376 18.17.4), or a duration in strict files.
_ISO_DATETIME = re.compile(
    r"(?P<date>(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2}))?T?"
    r"(?P<time>(?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(:(?P<second>\d{2})(?P<fraction>\.\d{1,3})?)?)?Z?"
)
_ISO_DURATION = re.compile(
    r"PT((?P<hours>\d+)H)?((?P<minutes>\d+)M)?((?P<seconds>\d+(\.\d{1,3})?)S)?"
)


def format_shows_date(format_id: str, custom: dict[str, str]) -> bool | None:
    """Whether number format `format_id` (a numFmtId; `custom` holds the workbook's own format
    codes by id) shows numbers as dates: None if not, else whether it shows a duration."""
    code = custom.get(format_id)
    if code is None:
        number = int(format_id) if format_id.isdigit() else -1
        if number not in _BUILTIN_DATE_FORMATS:
            return None
        return number in _BUILTIN_DURATION_FORMATS
    section = code.split(";")[0]  # positive numbers: the others cannot make it a date
    if not _DATE_PART.search(_FORMAT_LITERALS.sub("", section)):
        return None
    return _DURATION_PART.search(section) is not None


def _number(text: str) -> int | float:
    return float(text) if "." in text or "e" in text or "E" in text else int(text)


def number_text(text: str) -> str:
    """A number as people typed it: 9 and 7.0 as "9" and "7", 2.50 as "2.5", 1e-05 as is."""
    if "." in text or "e" in text or "E" in text:
        number = float(text)
        if number.is_integer() and abs(number) < 1e16:
            return str(int(number))
        return repr(number)
    return str(int(text))


def serial_text(text: str, *, epoch: dt.datetime, duration: bool) -> str:
    """A date-styled number as "YYYY-MM-DD HH:MM:SS", a time of day (below 1) as "HH:MM:SS", a
    duration as Python writes a timedelta; "#VALUE!" when Excel could not show it either."""
    serial = _number(text)
    try:
        if duration:
            elapsed = dt.timedelta(days=serial)
            if elapsed.microseconds:
                elapsed = dt.timedelta(
                    seconds=elapsed.total_seconds() // 1,
                    microseconds=round(elapsed.microseconds, -3),
                )
            return str(elapsed)
        day, fraction = divmod(serial, 1)
        time = dt.timedelta(milliseconds=round(fraction * 86_400 * 1000))
        if 0 <= serial < 1 and time.days == 0:
            seconds = time.seconds
            clock = dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60)
            return clock.isoformat(timespec="seconds")
        if 0 < serial < 60 and epoch is EPOCH_1900:
            day += 1  # Excel counts a 29 February 1900 that never was, from serial 60 on
        moment = epoch + dt.timedelta(days=day) + time
    except (OverflowError, ValueError):
        return "#VALUE!"
    return moment.isoformat(sep=" ", timespec="seconds")


def iso_text(text: str) -> str:
    """A cell of type "d" (ISO 8601 text) as a date-styled number would read."""
    if not text:
        return ""
    match = _ISO_DATETIME.match(text)
    if match and any(match.groups()):
        parts = {
            key: int(match[key])
            for key in ("year", "month", "day", "hour", "minute", "second")
            if match[key]
        }
        microsecond = int(float(match["fraction"]) * 1_000_000) if match["fraction"] else 0
        clock = dt.time(
            parts.get("hour", 0), parts.get("minute", 0), parts.get("second", 0), microsecond
        )
        if not match["date"]:
            return clock.isoformat(timespec="seconds")
        day = dt.date(parts["year"], parts["month"], parts["day"])
        if not match["time"]:
            return day.isoformat()
        return dt.datetime.combine(day, clock).isoformat(sep=" ", timespec="seconds")
    match = _ISO_DURATION.match(text)
    if match and any(match.groups()):
        amounts = {k: float(v) for k, v in match.groupdict().items() if v}
        return str(dt.timedelta(**amounts))
    raise ValueError(f"{text!r} is not an ISO 8601 date.")
