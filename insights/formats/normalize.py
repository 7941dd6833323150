"""`RowNormalizer`: the data rows of one file into `insights.records` records, with the column
mapping the admin confirmed, or a `RowRejection` saying why a row cannot be imported. Touchpoint
rows are read by `insights.formats.touchpoints.TouchpointRows`."""

import datetime as dt
import functools
import hashlib
import re

from insights.formats.roles import (
    SURVEY,
    TICKETS,
    TOUCHPOINTS,
    Column,
    DetectedFormat,
    FormatError,
    Role,
    mapping_errors,
)
from insights.formats.touchpoints import TouchpointRows
from insights.formats.values import (
    _PERIOD_CACHE_LIMIT,
    _clean_text,
    _DateParser,
    _is_blank,
    _parse_count,
    _parse_period,
    _satisfaction_parser,
    _score_parser,
    _shown,
    _zone,
)
from insights.formats.vocabulary import _SCORE_SCALES, feature_name
from insights.records import FeedbackRecord, RowRejection, TouchpointRecord, UsageRecord

_MAX_EXTERNAL_ID = 200  # Feedback.external_id max_length
_MAX_QUESTION = 500  # Feedback.question max_length

_QUALTRICS_PREVIEW = "Survey preview response, not a customer's."
_QUALTRICS_TEST = "Survey test response, not a customer's."
_QUALTRICS_SPAM = "Response flagged as spam by Qualtrics, not a customer's."
_QUALTRICS_STATUS_REJECTIONS = {
    "Survey Preview": _QUALTRICS_PREVIEW,
    "Offline Survey Preview": _QUALTRICS_PREVIEW,
    "1": _QUALTRICS_PREVIEW,
    "17": _QUALTRICS_PREVIEW,
    "Survey Test": _QUALTRICS_TEST,
    "2": _QUALTRICS_TEST,
    "Spam": _QUALTRICS_SPAM,
    "8": _QUALTRICS_SPAM,
}
_TAG_SPLIT = re.compile(r"\s*,\s*|\s+")


class RowNormalizer:
    """Turns the data rows of one file into records, with the mapping the admin confirmed.

    Build it once per file: it picks a parser per column up front so that `normalize` does only
    the work each row needs.
    """

    def __init__(
        self,
        fmt: DetectedFormat,
        mapping: dict[str, str],
        *,
        default_timezone: dt.tzinfo,
        channel: str = "",
        source_name: str = "",
    ) -> None:
        errors = mapping_errors(fmt, mapping)
        if errors:
            raise FormatError(f"The column mapping cannot be used: {' '.join(errors)}")
        self.fmt = fmt
        self.channel = channel
        self._width = len(fmt.columns)
        self._by_role: dict[Role, list[Column]] = {}
        for column in fmt.columns:
            role = Role(mapping.get(column.key, Role.IGNORE))
            self._by_role.setdefault(role, []).append(column)
        self._metadata = {"format": fmt.name}
        if source_name:
            self._metadata["source_name"] = source_name

        self._status = None
        if fmt.name in ("qualtrics", "qualtrics_legacy"):
            self._status = next(
                (column.index for column in fmt.columns if column.key.lower() == "status"), None
            )
        needed = [
            column.index
            for role, columns in self._by_role.items()
            if role is not Role.IGNORE
            for column in columns
        ]
        if self._status is not None:
            needed.append(self._status)
        self._needed_width = max(needed, default=-1) + 1

        self._date = None
        if date_column := self._one(Role.SUBMITTED_AT):
            tz = _zone(date_column.timezone, default_timezone)
            self._date = (date_column.index, _DateParser(tz, day_first=fmt.day_first))
        self._email = self._index(Role.EMAIL)
        self._customer = self._index(Role.CUSTOMER_ID)
        self._channel = self._index(Role.CHANNEL)
        self._attributes = [
            (column.index, column.label) for column in self._by_role.get(Role.ATTRIBUTE, [])
        ]

        if fmt.kind == SURVEY:
            self._row = self._survey_row
            self._response_id = self._index(Role.RESPONSE_ID)
            self._nps = self._scale(Role.NPS)
            self._csat = self._scale(Role.CSAT)
            self._ces = self._scale(Role.CES)
            self._score_key = next(
                (self._one(role).key for role in _SCORE_SCALES if self._one(role)), ""
            )
            self._comments = [
                (column.index, column.label[:_MAX_QUESTION], f":{column.key}")
                for column in self._by_role.get(Role.COMMENT, [])
            ]
            self._score_suffix = f":{self._score_key}"
            self._date_noun, self._date_missing = (
                "Submitted date",
                "No submitted date in this response.",
            )
        elif fmt.kind == TOUCHPOINTS:
            self._row = TouchpointRows(
                self._by_role, day_first=fmt.day_first, default_timezone=default_timezone
            )
        elif fmt.kind == TICKETS:
            self._row = self._ticket_row
            self._ticket_id = self._index(Role.TICKET_ID)
            self._subject = self._index(Role.SUBJECT)
            self._body = self._index(Role.BODY)
            self._tags = self._index(Role.TAGS)
            self._ticket_status = self._index(Role.STATUS)
            self._satisfaction = None
            if column := self._one(Role.SATISFACTION):
                self._satisfaction = (
                    column.index,
                    _satisfaction_parser(fmt.name),
                    f"Satisfaction in column '{_shown(column.key)}' is ",
                    ", not a rating from 1 to 5.",
                )
            self._date_noun, self._date_missing = "Created date", "No created date on this ticket."
        else:
            self._row = self._usage_row
            self._period = self._index(Role.PERIOD)
            self._period_cache: dict[str, dt.date | None] = {}
            self._counts = [
                (field, column.index, f"{noun} in column '{_shown(column.key)}' is ")
                for role, field, noun in (
                    (Role.ACTIVE_USERS, "active_users", "Active users"),
                    (Role.TASK_ATTEMPTS, "task_attempts", "Task attempts"),
                    (Role.TASK_SUCCESSES, "task_successes", "Task successes"),
                )
                if (column := self._one(role))
            ]
            self._features = [
                (
                    column.index,
                    feature_name(column.key),
                    f"Feature '{_shown(column.key)}' is ",
                )
                for column in self._by_role.get(Role.FEATURE, [])
            ]

    def _scale(self, role: Role) -> tuple | None:
        """How to read one score column: (index, parser, message prefix, message suffix)."""
        column = self._one(role)
        if column is None:
            return None
        noun, low, high, labels = _SCORE_SCALES[role]
        return (
            column.index,
            _score_parser(low, high, labels),
            f"{noun} in column '{_shown(column.key)}' is ",
            f", not a score from {low} to {high}.",
        )

    def _one(self, role: Role) -> Column | None:
        columns = self._by_role.get(role)
        return columns[0] if columns else None

    def _index(self, role: Role) -> int | None:
        column = self._one(role)
        return column.index if column else None

    def normalize(
        self, line: int, cells: list[str]
    ) -> list[FeedbackRecord] | list[UsageRecord] | list[TouchpointRecord] | RowRejection:
        if len(cells) != self._width:
            if _is_blank(cells):
                return []
            fitted = self._fit(cells)
            if fitted is None:
                return RowRejection(
                    line, f"Row has {len(cells)} cells but the header has {self._width}."
                )
            cells = fitted
        return self._row(line, cells)

    def _fit(self, cells: list[str]) -> list[str] | None:
        if len(cells) < self._width:
            if len(cells) < self._needed_width:
                return None
            return [*cells, *[""] * (self._width - len(cells))]
        if not _is_blank(cells[self._width :]):
            return None
        return list(cells[: self._width])

    def _received_at(self, cells: list[str]) -> dt.datetime | str:
        index, parse = self._date
        raw = cells[index].strip()
        if not raw:
            return self._date_missing
        value = parse(raw)
        if value is None:
            return f"{self._date_noun} '{_shown(raw)}' is not a date."
        return value

    def _common(self, cells: list[str]) -> tuple[str, str, str, dict]:
        email = ""
        if self._email is not None:
            email = cells[self._email].strip().lower()
            if "@" not in email:
                email = ""
        customer = cells[self._customer].strip() if self._customer is not None else ""
        channel = self.channel
        if self._channel is not None:
            channel = cells[self._channel].strip() or channel
        attributes = {}
        for index, label in self._attributes:
            value = cells[index].strip()
            if value:
                attributes[label] = value
        return email, customer, channel, attributes

    def _survey_row(self, line: int, cells: list[str]) -> list[FeedbackRecord] | RowRejection:
        if self._status is not None:
            reason = _QUALTRICS_STATUS_REJECTIONS.get(cells[self._status].strip())
            if reason is not None:
                return RowRejection(line, reason)
        nps = self._score(self._nps, cells)
        csat = self._score(self._csat, cells)
        ces = self._score(self._ces, cells)
        for score in (nps, csat, ces):
            if isinstance(score, str):
                return RowRejection(line, score)
        comments = []
        for index, question, suffix in self._comments:
            raw = cells[index]
            if raw:
                text = _clean_text(raw)
                if text:
                    comments.append((question, suffix, text))
        if not comments and nps is None and csat is None and ces is None:
            if _is_blank(cells):
                return []
            return RowRejection(line, "No score and no comment in this response.")
        received_at = self._received_at(cells)
        if isinstance(received_at, str):
            return RowRejection(line, received_at)
        response_id = cells[self._response_id].strip() if self._response_id is not None else ""
        email, customer, channel, attributes = self._common(cells)
        metadata = dict(self._metadata)
        if response_id:
            metadata["response_id"] = response_id
        if attributes:
            metadata["attributes"] = attributes
        if not comments:
            comments = [("", self._score_suffix, "")]
        records = []
        for question, suffix, text in comments:
            if records:
                metadata = dict(metadata)
                if attributes:
                    metadata["attributes"] = dict(attributes)
            records.append(
                FeedbackRecord(
                    source="survey",
                    received_at=received_at,
                    text=text,
                    channel=channel,
                    question=question,
                    external_id=_external_id(response_id, suffix) if response_id else "",
                    email=email,
                    customer_external_id=customer,
                    nps=nps,
                    csat=csat,
                    ces=ces,
                    metadata=metadata,
                    line=line,
                )
            )
            nps = csat = ces = None  # a response counts once: its scores go on its first record
        return records

    @staticmethod
    def _score(scale: tuple | None, cells: list[str]) -> int | str | None:
        """The score in a scale's column, None when empty, the rejection reason when invalid."""
        if scale is None:
            return None
        index, parse, prefix, suffix = scale
        raw = cells[index]
        if not raw:
            return None
        try:
            return parse(raw)
        except ValueError:
            return f"{prefix}'{_shown(raw)}'{suffix}"

    def _ticket_row(self, line: int, cells: list[str]) -> list[FeedbackRecord] | RowRejection:
        subject = _clean_text(cells[self._subject]) if self._subject is not None else ""
        body = _clean_text(cells[self._body]) if self._body is not None else ""
        text = f"{subject}\n\n{body}" if subject and body else subject or body
        if not text:
            if _is_blank(cells):
                return []
            return RowRejection(line, "Ticket has no subject and no description.")
        csat = None
        if self._satisfaction is not None:
            index, parse, prefix, suffix = self._satisfaction
            try:
                csat = parse(cells[index])
            except ValueError:
                return RowRejection(line, f"{prefix}'{_shown(cells[index])}'{suffix}")
        received_at = self._received_at(cells)
        if isinstance(received_at, str):
            return RowRejection(line, received_at)
        email, customer, channel, attributes = self._common(cells)
        metadata = dict(self._metadata)
        if self._tags is not None and (tags := cells[self._tags].strip()):
            metadata["tags"] = [tag for tag in _TAG_SPLIT.split(tags) if tag]
        if self._ticket_status is not None and (status := cells[self._ticket_status].strip()):
            metadata["status"] = status
        if attributes:
            metadata["attributes"] = attributes
        ticket_id = cells[self._ticket_id].strip() if self._ticket_id is not None else ""
        return [
            FeedbackRecord(
                source="support_ticket",
                received_at=received_at,
                text=text,
                channel=channel,
                external_id=ticket_id[:_MAX_EXTERNAL_ID],
                email=email,
                customer_external_id=customer,
                csat=csat,
                metadata=metadata,
                line=line,
            )
        ]

    def _usage_row(self, line: int, cells: list[str]) -> list[UsageRecord] | RowRejection:
        customer = cells[self._customer].strip()
        if not customer:
            if _is_blank(cells):
                return []
            return RowRejection(line, "No customer id in this row.")
        raw_period = cells[self._period].strip()
        if not raw_period:
            return RowRejection(line, "No period in this row.")
        period = self._period_cache.get(raw_period)
        if period is None:
            period = _parse_period(raw_period, day_first=self.fmt.day_first)
            if period is None:
                return RowRejection(line, f"Period '{_shown(raw_period)}' is not a month.")
            if len(self._period_cache) < _PERIOD_CACHE_LIMIT:
                self._period_cache[raw_period] = period
        counts = {}
        for field, index, prefix in self._counts:
            try:
                value = _parse_count(cells[index])
            except ValueError:
                return RowRejection(line, f"{prefix}'{_shown(cells[index])}', not a count.")
            if value is not None:
                counts[field] = value
        adoption = {}
        for index, name, prefix in self._features:
            try:
                value = _parse_count(cells[index])
            except ValueError:
                return RowRejection(line, f"{prefix}'{_shown(cells[index])}', not a count.")
            if value is not None:
                adoption[name] = value
        attempts, successes = counts.get("task_attempts", 0), counts.get("task_successes", 0)
        if successes > attempts:
            return RowRejection(
                line, f"Task successes ({successes}) are more than task attempts ({attempts})."
            )
        return [
            UsageRecord(
                customer_external_id=customer,
                period=period,
                feature_adoption=adoption,
                line=line,
                **counts,
            )
        ]


def _external_id(response_id: str, suffix: str) -> str:
    """'<response id>:<column key>', the key replaced by a hash of it past the model's limit."""
    external_id = response_id + suffix
    if len(external_id) > _MAX_EXTERNAL_ID:
        external_id = f"{response_id[: _MAX_EXTERNAL_ID - 18]}:k{_key_digest(suffix)}"
    return external_id


# A file has a few such keys but repeats them on every row: hash each once, not once per row.
@functools.lru_cache(maxsize=1_024)
def _key_digest(suffix: str) -> str:
    return hashlib.sha256(suffix.encode("utf-8")).hexdigest()[:16]
