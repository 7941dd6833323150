"""Parsing one cell's value: free text, a score on a scale (or its label), a satisfaction rating,
a count, a date and time (in the column's time zone), a month; and quoting a cell in a message."""

import datetime as dt
import re
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from insights.formats.vocabulary import (
    _CSAT_LABELS,
    _INTERCOM_RATINGS,
    _SCORE_TEXT,
    _ZENDESK_SATISFACTION,
)

_SCORE_CACHE_LIMIT = 1_000  # spellings remembered per score column
_ODD_NEWLINES = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")


def _shown(text: str, limit: int = 60) -> str:
    """A cell or header as a rejection reason quotes it: ImportRowError.reason holds 500 chars."""
    text = text.strip()
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def _is_blank(cells: Sequence[str]) -> bool:
    return not "".join(cells).strip()


def _clean_text(raw: str) -> str:
    text = raw.strip()
    if "\r" in text or not text.isascii() or "\x0b" in text or "\x0c" in text:
        text = _ODD_NEWLINES.sub("\n", text)
    return text


def _score_parser(low: int, high: int, labels: dict[str, int]) -> Callable[[str], int | None]:
    """A parser for one score scale: '9', '9.0', '10 - Extremely likely', labels; raises
    ValueError for anything outside the scale, returns None for an empty cell."""
    exact: dict[str, int] = {}
    for number in range(low, high + 1):
        exact[str(number)] = number
        exact[f"{number}.0"] = number
    exact.update(labels)

    def parse(raw: str) -> int | None:
        value = exact.get(raw)
        if value is not None:
            return value
        text = raw.strip()
        if not text:
            return None
        value = exact.get(text.lower())
        if value is None:
            match = _SCORE_TEXT.fullmatch(text)
            number = float(match[1]) if match is not None else None
            if number is None or not number.is_integer() or not low <= number <= high:
                raise ValueError(text)
            value = int(number)
        # A column repeats a handful of spellings ('10 - Extremely likely', 'Very satisfied'):
        # remember each as written so that its next row costs one lookup, not strip, lower and a
        # regex. Bounded, since a free-text column mapped as a score could spell anything.
        if len(exact) < _SCORE_CACHE_LIMIT:
            exact[raw] = value
        return value

    return parse


def _satisfaction_parser(format_name: str) -> Callable[[str], int | None]:
    if format_name == "intercom":
        return _score_parser(1, 5, _INTERCOM_RATINGS)
    numeric = _score_parser(1, 5, _CSAT_LABELS)

    def parse(raw: str) -> int | None:
        text = raw.strip().lower()
        if text in _ZENDESK_SATISFACTION:
            return _ZENDESK_SATISFACTION[text]
        if text.startswith("good,"):  # Zendesk's newer "Good, I'm satisfied"
            return 5
        if text.startswith("bad,"):
            return 1
        return numeric(raw)

    return parse


def _parse_count(raw: str) -> int | None:
    """'1,234' → 1234, '12.0' → 12, '' → None; ValueError for negatives and fractions."""
    text = raw.strip()
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        cleaned = text.replace(",", "").replace(" ", "").replace("\xa0", "").replace("\u202f", "")
        value = float(cleaned)
        if not value.is_integer():
            raise ValueError(text) from None
        number = int(value)
    if number < 0:
        raise ValueError(text)
    return number


_ISO = "iso"
_MONTH_FIRST = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%m/%d/%y %H:%M",
    "%m/%d/%y",
)
_DAY_FIRST = tuple(pattern.replace("%m/%d", "%d/%m") for pattern in _MONTH_FIRST)
_OTHER_DATES = (
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %I:%M:%S %p",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d-%b-%Y %H:%M:%S",
    "%d-%b-%Y",
    "%b %d, %Y %I:%M:%S %p",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y",
)
_ZONE_SUFFIX = re.compile(r"\s*(?:UTC|GMT)(?:([+-])(\d{1,2})(?::?(\d{2}))?)?$")


def _zone(name: str, default: dt.tzinfo) -> dt.tzinfo:
    if not name:
        return default
    if name.upper() in ("Z", "UTC", "GMT"):
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return default


class _DateParser:
    """Parses one column's dates; remembers the pattern that worked, since a column keeps one."""

    __slots__ = ("_last", "_patterns", "_tz")

    def __init__(self, tz: dt.tzinfo, *, day_first: bool) -> None:
        self._tz = tz
        self._patterns = (_ISO, *(_DAY_FIRST if day_first else _MONTH_FIRST), *_OTHER_DATES)
        self._last = _ISO

    def __call__(self, text: str) -> dt.datetime | None:
        tz = self._tz
        if "UTC" in text or "GMT" in text:
            match = _ZONE_SUFFIX.search(text)
            if match is not None:
                text = text[: match.start()]
                tz = dt.UTC
                if match[1]:
                    minutes = int(match[2]) * 60 + int(match[3] or 0)
                    tz = dt.timezone(dt.timedelta(minutes=-minutes if match[1] == "-" else minutes))
        value = self._parse(self._last, text, tz)
        if value is not None:
            return value
        for pattern in self._patterns:
            if pattern == self._last:
                continue
            value = self._parse(pattern, text, tz)
            if value is not None:
                self._last = pattern
                return value
        return None

    @staticmethod
    def _parse(pattern: str, text: str, tz: dt.tzinfo) -> dt.datetime | None:
        try:
            if pattern == _ISO:
                value = dt.datetime.fromisoformat(text)
                return value if value.tzinfo is not None else value.replace(tzinfo=tz)
            return dt.datetime.strptime(text, pattern).replace(tzinfo=tz)
        except ValueError:
            return None


_PERIOD_ISO = re.compile(r"(\d{4})[-/](\d{1,2})(?:[-/](\d{1,2}))?(?:[ T].*)?")
_PERIOD_MONTH_YEAR = re.compile(r"(\d{1,2})[/.\-](\d{4})")
_PERIOD_DATE = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?:\s.*)?")
_PERIOD_NAMES = ("%b %Y", "%B %Y")
_PERIOD_CACHE_LIMIT = 10_000


def _parse_period(text: str, *, day_first: bool) -> dt.date | None:
    """'2024-03', '2024-03-01', '3/2024', '03/01/2024', 'Mar 2024' → 2024-03-01."""
    try:
        if match := _PERIOD_ISO.fullmatch(text):
            return dt.date(int(match[1]), int(match[2]), int(match[3] or 1)).replace(day=1)
        if match := _PERIOD_MONTH_YEAR.fullmatch(text):
            return dt.date(int(match[2]), int(match[1]), 1)
        if match := _PERIOD_DATE.fullmatch(text):
            first, second = int(match[1]), int(match[2])
            day, month = (first, second) if day_first or "." in text else (second, first)
            return dt.date(int(match[3]), month, day).replace(day=1)
    except ValueError:
        return None
    for pattern in _PERIOD_NAMES:
        try:
            return dt.datetime.strptime(text, pattern).replace(tzinfo=dt.UTC).date()
        except ValueError:
            continue
    return None
