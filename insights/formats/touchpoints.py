"""Touchpoint logs and calendar exports: recognising them, and reading a row into a
`TouchpointRecord`.

Two layouts are recognised: a touchpoint log of any tool (date, engineer, kind, duration, partner
team, customers, observations, follow-ups… by header words) and Outlook's calendar export (Subject,
Start Date, Start Time, End Date, End Time, Meeting Organizer, Required/Optional Attendees,
Categories…). People and accounts stay as the file names them; the store resolves them
(`touchpoints.imports`).

Decisions a caller should know:
- The kind comes from the kind column (its synonyms, or a keyword in it such as an Outlook
  category), else from a keyword in the subject ("Acme ride-along"); a row whose kind cannot be
  told is rejected. The partner team comes from its column, else from a category or "with <team>"
  in the subject; none is fine.
- The duration comes from its column ("45", "1h30", "1:30", "90 min", "1.5 h"), else from the
  start and the end, else it is 60 minutes. An all-day event (midnight to midnight) counts a
  working day, 8 hours, per day, at most 24 hours.
- A touchpoint dated after today is rejected: calendar exports run ahead of the present.
- Observations: one per line (several observation columns add up); a line may start with a
  severity — "[high] …", "(low) …", "high: …" or "medium - …".
- A cell may name several people, accounts or emails, separated by ";" or ","; a cell that holds a
  ";" is split on ";" only, since Outlook writes "Doe, Jane; Roe, Rick". "Jane Doe <jane@x.example>"
  counts as its email.
"""

import datetime as dt
from collections.abc import Sequence

from insights.formats.columns import _make_columns, _Reading
from insights.formats.roles import Column, Role
from insights.formats.touchpoint_values import (
    _KIND_HINT,
    _PARTNER_HINT,
    _PARTNER_IN_SUBJECT,
    DEFAULT_DURATION_MINUTES,
    MAX_DURATION_MINUTES,
    MAX_OBSERVATION_LENGTH,
    MAX_OBSERVATIONS,
    PARTNER_TEAMS,
    TOUCHPOINT_KINDS,
    WORKING_DAY_MINUTES,
    _accounts,
    _emails,
    _partner_team_of,
    _people,
    _person,
    _time_of_day,
    _values,
    duration_minutes_of,
    observation_lines,
    touchpoint_kind_of,
)
from insights.formats.values import _clean_text, _DateParser, _is_blank, _shown, _zone
from insights.formats.vocabulary import _TOUCHPOINT_RULES, _norm
from insights.records import RowRejection, TouchpointRecord

# --- reading a row ------------------------------------------------------------------------------


class TouchpointRows:
    """Reads the data rows of one touchpoint file with its confirmed mapping: `rows(line, cells)`
    is a one-record list, [] for a blank row, or a RowRejection. Built once per file by
    `RowNormalizer`, which has already fitted each row to the header's width."""

    def __init__(
        self,
        by_role: dict[Role, list[Column]],
        *,
        day_first: bool,
        default_timezone: dt.tzinfo,
        today: dt.date | None = None,
    ) -> None:
        def index(role: Role) -> int | None:
            columns = by_role.get(role)
            return columns[0].index if columns else None

        def indexes(role: Role) -> list[int]:
            return [column.index for column in by_role.get(role, [])]

        self._tz = default_timezone
        self._today = today or dt.datetime.now(default_timezone).date()
        date_column = by_role[Role.SUBMITTED_AT][0]
        self._date = date_column.index
        zone = _zone(date_column.timezone, default_timezone)
        self._parse_start = _DateParser(zone, day_first=day_first)
        self._parse_end = _DateParser(zone, day_first=day_first)
        self._start_time = index(Role.START_TIME)
        self._end = index(Role.END_AT)
        self._end_time = index(Role.END_TIME)
        self._duration = index(Role.DURATION)
        self._engineer = index(Role.ENGINEER)
        self._attendees = indexes(Role.ATTENDEES)
        self._customers = index(Role.CUSTOMER_ID)
        self._emails = index(Role.EMAIL)
        self._kind = index(Role.TOUCHPOINT_KIND)
        self._partner = index(Role.PARTNER_TEAM)
        self._subject = index(Role.SUBJECT)
        self._observations = indexes(Role.OBSERVATIONS)
        self._follow_ups = index(Role.FOLLOW_UPS)
        self._event_id = index(Role.RESPONSE_ID)

    @staticmethod
    def _cell(cells: Sequence[str], index: int | None) -> str:
        return cells[index].strip() if index is not None else ""

    def __call__(self, line: int, cells: list[str]) -> list[TouchpointRecord] | RowRejection:
        if _is_blank(cells):
            return []
        cell = self._cell
        subject = _clean_text(cell(cells, self._subject))
        kind_cell = cell(cells, self._kind)

        start = self._start(cells)
        if isinstance(start, str):
            return RowRejection(line, start)
        occurred_on = start.astimezone(self._tz).date() if start.tzinfo else start.date()
        if occurred_on > self._today:
            return RowRejection(
                line,
                f"The touchpoint on {occurred_on.isoformat()} is in the future; import it once "
                "it has happened.",
            )
        kind = self._kind_of(kind_cell, subject)
        if kind not in TOUCHPOINT_KINDS:
            return RowRejection(line, kind)
        partner_team = self._partner_team(cell(cells, self._partner), kind_cell, subject)
        if partner_team not in ("", *PARTNER_TEAMS):
            return RowRejection(line, partner_team)
        duration = self._duration_of(cells, start)
        if isinstance(duration, str):
            return RowRejection(line, duration)

        engineer = _person(cell(cells, self._engineer))
        attendees = [person for index in self._attendees for person in _people(cell(cells, index))]
        attendees = list(dict.fromkeys(attendees))
        if not engineer and not attendees:
            return RowRejection(line, "No engineer in this row.")
        observations = self._observations_of(cells)
        if isinstance(observations, str):
            return RowRejection(line, observations)
        return [
            TouchpointRecord(
                occurred_on=occurred_on,
                kind=kind,
                duration_minutes=duration,
                partner_team=partner_team,
                engineer=engineer,
                attendees=attendees,
                customer_external_ids=_accounts(cell(cells, self._customers)),
                emails=_emails(cell(cells, self._emails)),
                summary=subject,
                observations=observations,
                follow_ups=_clean_text(cell(cells, self._follow_ups)),
                external_id=cell(cells, self._event_id),
                line=line,
            )
        ]

    # Each helper returns its value, or the rejection's sentence as a str.

    def _start(self, cells: list[str]) -> dt.datetime | str:
        raw = cells[self._date].strip()
        if not raw:
            return "No date in this row."
        start = self._parse_start(raw)
        if start is None:
            return f"Date '{_shown(raw)}' is not a date."
        if self._start_time is not None and (raw_time := cells[self._start_time].strip()):
            time = _time_of_day(raw_time)
            if time is None:
                return f"Start time '{_shown(raw_time)}' is not a time of day."
            start = dt.datetime.combine(start.date(), time, tzinfo=start.tzinfo)
        return start

    def _end_of(self, cells: list[str], start: dt.datetime) -> dt.datetime | str | None:
        raw_end = cells[self._end].strip() if self._end is not None else ""
        raw_time = cells[self._end_time].strip() if self._end_time is not None else ""
        if not raw_end and not raw_time:
            return None
        end = start
        if raw_end:
            parsed = self._parse_end(raw_end)
            if parsed is None:
                time = _time_of_day(raw_end)  # an "End" column of times beside a dated start
                if time is None:
                    return f"End '{_shown(raw_end)}' is not a date."
                parsed = dt.datetime.combine(start.date(), time, tzinfo=start.tzinfo)
            end = parsed
        if raw_time:
            time = _time_of_day(raw_time)
            if time is None:
                return f"End time '{_shown(raw_time)}' is not a time of day."
            end = dt.datetime.combine(end.date(), time, tzinfo=end.tzinfo)
        return end

    def _duration_of(self, cells: list[str], start: dt.datetime) -> int | str:
        raw = cells[self._duration].strip() if self._duration is not None else ""
        if raw:
            try:
                minutes = duration_minutes_of(raw)
            except ValueError:
                return f"Duration '{_shown(raw)}' is not a length of time such as 45, 1h30 or 1:30."
            if not minutes:
                return f"Duration '{_shown(raw)}' is no time at all."
            if minutes > MAX_DURATION_MINUTES:
                return f"Duration '{_shown(raw)}' is more than 24 hours."
            return minutes
        end = self._end_of(cells, start)
        if end is None:
            return DEFAULT_DURATION_MINUTES
        if isinstance(end, str):
            return end
        length = end - start
        if length <= dt.timedelta(0):
            return f"The touchpoint ends ({end:%Y-%m-%d %H:%M}) before it starts."
        midnight = dt.time(0, 0)
        if start.time() == midnight == end.time() and not length % dt.timedelta(days=1):
            return min(length.days * WORKING_DAY_MINUTES, MAX_DURATION_MINUTES)
        minutes = round(length.total_seconds() / 60)
        if minutes > MAX_DURATION_MINUTES:
            return "The touchpoint lasts more than 24 hours from its start to its end."
        return minutes

    @staticmethod
    def _kind_of(kind_cell: str, subject: str) -> str:
        """The kind, or the rejection's sentence."""
        kind = touchpoint_kind_of(kind_cell) if kind_cell else ""
        if not kind and subject:
            kind = touchpoint_kind_of(subject)
        if kind:
            return kind
        if kind_cell:
            return f"Kind '{_shown(kind_cell)}' is not a touchpoint kind; use {_KIND_HINT}."
        if subject:
            return (
                f"Cannot tell the touchpoint kind from '{_shown(subject)}'; add a Kind column or "
                "a keyword such as ride-along."
            )
        return "No touchpoint kind in this row; add a Kind column or a subject that names it."

    @staticmethod
    def _partner_team(raw: str, kind_cell: str, subject: str) -> str:
        """The partner team ("" for none), or the rejection's sentence."""
        if raw:
            team = _partner_team_of(raw)
            if team is None:
                team = next(
                    (found for part in _values(raw) if (found := _partner_team_of(part))), None
                )
            if team is None:
                return f"Partner team '{_shown(raw)}' is not one of {_PARTNER_HINT}."
            return team
        for part in _values(kind_cell):
            if team := _partner_team_of(part):
                return team
        if match := _PARTNER_IN_SUBJECT.search(subject):
            return _partner_team_of(match[1]) or ""
        return ""

    def _observations_of(self, cells: list[str]) -> list[tuple[str, str]] | str:
        observations = []
        for index in self._observations:
            if not cells[index].strip():
                continue
            try:
                observations.extend(observation_lines(_clean_text(cells[index])))
            except ValueError as error:
                return str(error)
        if len(observations) > MAX_OBSERVATIONS:
            return (
                f"{len(observations)} observations; a touchpoint holds at most {MAX_OBSERVATIONS}."
            )
        for number, (text, _) in enumerate(observations, start=1):
            if len(text) > MAX_OBSERVATION_LENGTH:
                return (
                    f"Observation {number} is longer than {MAX_OBSERVATION_LENGTH} characters: "
                    "split it into several lines."
                )
        return observations


# --- recognising the layouts --------------------------------------------------------------------

# A touchpoint log says so with an engineer and a date, plus one of these.
_TOUCHPOINT_SIGNS = frozenset(
    {
        Role.TOUCHPOINT_KIND,
        Role.OBSERVATIONS,
        Role.DURATION,
        Role.PARTNER_TEAM,
        Role.FOLLOW_UPS,
        Role.ATTENDEES,
    }
)


def _propose_touchpoint(header: str) -> Role:
    normalized = _norm(header)
    for role, pattern in _TOUCHPOINT_RULES:
        if pattern.search(normalized):
            return role
    return Role.IGNORE


def _read_touchpoints(rows: list[list[str]], *, forced: bool) -> _Reading | None:
    headers = [cell.strip() for cell in rows[0]]
    columns = _make_columns(headers, headers)
    roles = [_propose_touchpoint(column.key) for column in columns]
    if Role.SUBMITTED_AT not in roles and Role.START_TIME in roles:
        roles[roles.index(Role.START_TIME)] = Role.SUBMITTED_AT  # "Start time" holds the dates
    found = set(roles)
    has_people = bool(found & {Role.ENGINEER, Role.ATTENDEES})
    if forced:
        if not (Role.SUBMITTED_AT in found and has_people):
            return None
    elif not ({Role.SUBMITTED_AT, Role.ENGINEER} <= found and found & _TOUCHPOINT_SIGNS):
        return None
    return _Reading("touchpoints", 1, columns, roles)


_OUTLOOK_FIXED = {
    "subject": Role.SUBJECT,
    "start date": Role.SUBMITTED_AT,
    "start time": Role.START_TIME,
    "end date": Role.END_AT,
    "end time": Role.END_TIME,
    "meeting organizer": Role.ENGINEER,
    "required attendees": Role.ATTENDEES,
    "optional attendees": Role.ATTENDEES,
    "categories": Role.TOUCHPOINT_KIND,
    # An invitation's body is mostly agenda and dial-in text: mapped by hand when it holds notes.
    "description": Role.IGNORE,
    "all day event": Role.IGNORE,
    "reminder on off": Role.IGNORE,
    "reminder date": Role.IGNORE,
    "reminder time": Role.IGNORE,
    "meeting resources": Role.IGNORE,
    "billing information": Role.IGNORE,
    "location": Role.IGNORE,
    "mileage": Role.IGNORE,
    "priority": Role.IGNORE,
    "private": Role.IGNORE,
    "sensitivity": Role.IGNORE,
    "show time as": Role.IGNORE,
}
_OUTLOOK_TELLS = frozenset(
    {
        "start time",
        "end date",
        "end time",
        "all day event",
        "meeting organizer",
        "required attendees",
        "optional attendees",
        "reminder on off",
        "show time as",
    }
)


def _read_outlook_calendar(rows: list[list[str]], *, forced: bool) -> _Reading | None:
    headers = [cell.strip() for cell in rows[0]]
    normalized = {_norm(header) for header in headers}
    if not {"subject", "start date"} <= normalized:
        return None
    if not forced and len(normalized & _OUTLOOK_TELLS) < 3:
        return None
    columns = _make_columns(headers, headers)
    roles = [
        _OUTLOOK_FIXED.get(_norm(column.key)) or _propose_touchpoint(column.key)
        for column in columns
    ]
    return _Reading("outlook_calendar", 1, columns, roles)


def _read_touchpoints_any(rows: list[list[str]], *, forced: bool) -> _Reading | None:
    """The "touchpoints" override: an Outlook calendar export, or else a touchpoint log."""
    return _read_outlook_calendar(rows, forced=False) or _read_touchpoints(rows, forced=forced)
