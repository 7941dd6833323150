"""`detect_format`: which export a file is, tried reader by reader (or the one the user forced),
and the proposal it makes: one column per single-valued role, and the file's slash-date order."""

import hashlib
import re
from collections.abc import Callable, Sequence

from insights.formats.columns import _Reading
from insights.formats.generic import _read_generic, _read_tickets, _read_usage
from insights.formats.helpdesks import _read_intercom, _read_zendesk
from insights.formats.roles import (
    _KIND_BY_FORMAT,
    _REPEATABLE_ROLES,
    OVERRIDES,
    SURVEY,
    Column,
    DetectedFormat,
    FormatError,
    Role,
)
from insights.formats.surveys import (
    _read_google_forms,
    _read_qualtrics,
    _read_qualtrics_any,
    _read_qualtrics_legacy,
    _read_surveymonkey,
    _read_typeform,
)
from insights.formats.touchpoints import (
    _read_outlook_calendar,
    _read_touchpoints,
    _read_touchpoints_any,
)

_HEAD_LIMIT = 50  # detection reads the header and a few samples; more rows add cost, not signal

_SLASH_DATE = re.compile(r"\s*(\d{1,2})/(\d{1,2})/\d{2,4}\b")

_AUTO_ORDER = (
    _read_qualtrics,
    _read_qualtrics_legacy,
    _read_surveymonkey,
    _read_typeform,
    _read_google_forms,
    _read_outlook_calendar,  # before the helpdesks: it has a Subject and a Description too
    _read_touchpoints,
    _read_intercom,
    _read_zendesk,
    _read_usage,
    _read_tickets,
)
_READERS: dict[str, Callable[..., _Reading | None]] = {
    "qualtrics": _read_qualtrics_any,
    "qualtrics_legacy": _read_qualtrics_legacy,
    "surveymonkey": _read_surveymonkey,
    "typeform": _read_typeform,
    "google_forms": _read_google_forms,
    "zendesk": _read_zendesk,
    "intercom": _read_intercom,
    "tickets": _read_tickets,
    "usage": _read_usage,
    "touchpoints": _read_touchpoints_any,
    "outlook_calendar": _read_outlook_calendar,
    "generic": _read_generic,
}
_MISMATCH = {
    "qualtrics": (
        "Format 'qualtrics' was chosen, but the second and third header rows are not Qualtrics' "
        "question text and ImportId rows."
    ),
    "qualtrics_legacy": (
        "Format 'qualtrics_legacy' was chosen, but the first header row is not V1, V2, … "
        "followed by a ResponseID row."
    ),
    "surveymonkey": (
        "Format 'surveymonkey' was chosen, but the first header row has no 'Respondent ID' "
        "column above a row of sub-answers."
    ),
    "typeform": (
        "Format 'typeform' was chosen, but the header does not start with Typeform's '#' column "
        "and has no 'Submit Date (UTC)', 'Start Date (UTC)' or 'Network ID' column."
    ),
    "google_forms": "Format 'google_forms' was chosen, but the header has no 'Timestamp' column.",
    "zendesk": (
        "Format 'zendesk' was chosen, but the header has no 'Subject' or 'Description' column."
    ),
    "intercom": "Format 'intercom' was chosen, but the header has no 'Conversation ID' column.",
    "tickets": (
        "Format 'tickets' was chosen, but no column looks like a ticket id, a subject or a "
        "description."
    ),
    "usage": "Format 'usage' was chosen, but no column looks like a period or a usage count.",
    "touchpoints": (
        "Format 'touchpoints' was chosen, but no column looks like a touchpoint's date together "
        "with its engineer or attendees, and the header is not Outlook's calendar export."
    ),
    "outlook_calendar": (
        "Format 'outlook_calendar' was chosen, but the header has no 'Subject' and 'Start Date' "
        "columns."
    ),
}


def _signature(name: str, keys: Sequence[str]) -> str:
    return hashlib.sha256("\x1f".join([name, *keys]).encode("utf-8")).hexdigest()


_PREFERRED_DATE = re.compile(r"submit|recorded|end|completed|timestamp", re.I)


def _one_per_single_role(columns: list[Column], roles: list[Role]) -> list[Role]:
    """A proposal must pass `mapping_errors`: single-valued roles keep one column each."""
    roles = list(roles)
    for role in set(roles) - _REPEATABLE_ROLES:
        indexes = [index for index, proposed in enumerate(roles) if proposed is role]
        if len(indexes) < 2:
            continue
        keep = indexes[0]
        if role is Role.SUBMITTED_AT:
            keep = next((i for i in indexes if _PREFERRED_DATE.search(columns[i].key)), indexes[0])
        for index in indexes:
            if index != keep:
                roles[index] = Role.IGNORE
    return roles


def _day_first(rows: list[list[str]], header_rows: int) -> bool:
    for row in rows[header_rows:]:
        for cell in row:
            match = _SLASH_DATE.match(cell)
            if match is not None and int(match[1]) > 12 >= int(match[2]):
                return True
    return False


def _finish(reading: _Reading, rows: list[list[str]]) -> DetectedFormat:
    roles = _one_per_single_role(reading.columns, reading.roles)
    keys = [column.key for column in reading.columns]
    return DetectedFormat(
        name=reading.name,
        kind=_KIND_BY_FORMAT.get(reading.name, SURVEY),
        header_rows=reading.header_rows,
        columns=tuple(reading.columns),
        proposed={key: str(role) for key, role in zip(keys, roles, strict=True)},
        signature=_signature(reading.name, keys),
        day_first=_day_first(rows, reading.header_rows),
    )


def detect_format(
    head: list[tuple[int, list[str]]], *, override: str | None = None
) -> DetectedFormat:
    """Which export `head` (the file's first records, header rows included) comes from.

    `override` forces a format by name ("auto" or None detects); FormatError when the header
    cannot be read that way.
    """
    rows = [
        ["" if cell is None else str(cell) for cell in cells] for _, cells in head[:_HEAD_LIMIT]
    ]
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise FormatError("The file has no header row: its first row is empty.")
    rows[0][0] = rows[0][0].lstrip("\ufeff")
    choice = (override or "auto").strip().lower()
    if choice == "auto":
        for reader in _AUTO_ORDER:
            reading = reader(rows, forced=False)
            if reading is not None:
                return _finish(reading, rows)
        return _finish(_read_generic(rows, forced=False), rows)
    if choice not in _READERS:
        raise FormatError(f"Unknown format '{override}'; choose one of {', '.join(OVERRIDES)}.")
    reading = _READERS[choice](rows, forced=True)
    if reading is None:
        raise FormatError(_MISMATCH[choice])
    return _finish(reading, rows)
