"""The roles a column can play, the kinds of import and their formats, what detection returns,
and which column mappings are usable (`mapping_errors`)."""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    IGNORE = "ignore"
    RESPONSE_ID = "response_id"
    SUBMITTED_AT = "submitted_at"
    EMAIL = "email"
    CUSTOMER_ID = "customer_external_id"
    NPS = "nps"
    CSAT = "csat"
    CES = "ces"
    COMMENT = "comment"
    ATTRIBUTE = "attribute"  # segment attributes kept in metadata, e.g. Region, Plan, Language
    CHANNEL = "channel"
    # tickets
    TICKET_ID = "ticket_id"
    SUBJECT = "subject"
    BODY = "body"
    TAGS = "tags"
    STATUS = "status"
    SATISFACTION = "satisfaction"
    # usage
    PERIOD = "period"
    ACTIVE_USERS = "active_users"
    FEATURE = "feature"  # one column per feature, adoption count
    TASK_ATTEMPTS = "task_attempts"
    TASK_SUCCESSES = "task_successes"
    # touchpoints (with SUBMITTED_AT as the date, RESPONSE_ID as the event id, SUBJECT as the
    # summary, and CUSTOMER_ID and EMAIL holding one or several values)
    ENGINEER = "engineer"
    ATTENDEES = "attendees"
    TOUCHPOINT_KIND = "touchpoint_kind"
    START_TIME = "start_time"  # a time of day beside a date-only start column (Outlook)
    END_AT = "end_at"
    END_TIME = "end_time"
    DURATION = "duration"
    PARTNER_TEAM = "partner_team"
    OBSERVATIONS = "observations"
    FOLLOW_UPS = "follow_ups"


FORMATS = (
    "qualtrics",
    "qualtrics_legacy",
    "surveymonkey",
    "typeform",
    "google_forms",
    "zendesk",
    "intercom",
    "tickets",
    "usage",
    "touchpoints",
    "outlook_calendar",
    "generic",
)
OVERRIDES = (
    "auto",
    "qualtrics",
    "surveymonkey",
    "typeform",
    "google_forms",
    "zendesk",
    "intercom",
    "usage",
    "touchpoints",
    "generic",
)

SURVEY = "survey"
TICKETS = "support_tickets"
USAGE = "usage"
TOUCHPOINTS = "touchpoints"
_KIND_BY_FORMAT = {
    "zendesk": TICKETS,
    "intercom": TICKETS,
    "tickets": TICKETS,
    "usage": USAGE,
    "touchpoints": TOUCHPOINTS,
    "outlook_calendar": TOUCHPOINTS,
}
_ROLES_BY_KIND = {
    SURVEY: (
        Role.IGNORE,
        Role.RESPONSE_ID,
        Role.SUBMITTED_AT,
        Role.EMAIL,
        Role.CUSTOMER_ID,
        Role.NPS,
        Role.CSAT,
        Role.CES,
        Role.COMMENT,
        Role.ATTRIBUTE,
        Role.CHANNEL,
    ),
    TICKETS: (
        Role.IGNORE,
        Role.TICKET_ID,
        Role.SUBMITTED_AT,
        Role.EMAIL,
        Role.CUSTOMER_ID,
        Role.SUBJECT,
        Role.BODY,
        Role.TAGS,
        Role.STATUS,
        Role.SATISFACTION,
        Role.ATTRIBUTE,
        Role.CHANNEL,
    ),
    USAGE: (
        Role.IGNORE,
        Role.CUSTOMER_ID,
        Role.PERIOD,
        Role.ACTIVE_USERS,
        Role.FEATURE,
        Role.TASK_ATTEMPTS,
        Role.TASK_SUCCESSES,
    ),
    TOUCHPOINTS: (
        Role.IGNORE,
        Role.RESPONSE_ID,
        Role.SUBMITTED_AT,
        Role.START_TIME,
        Role.END_AT,
        Role.END_TIME,
        Role.DURATION,
        Role.ENGINEER,
        Role.ATTENDEES,
        Role.CUSTOMER_ID,
        Role.EMAIL,
        Role.TOUCHPOINT_KIND,
        Role.PARTNER_TEAM,
        Role.SUBJECT,
        Role.OBSERVATIONS,
        Role.FOLLOW_UPS,
    ),
}
_REPEATABLE_ROLES = frozenset(
    {
        Role.IGNORE,
        Role.COMMENT,
        Role.ATTRIBUTE,
        Role.FEATURE,
        Role.ATTENDEES,  # Outlook: required and optional attendees
        Role.OBSERVATIONS,
    }
)

_USAGE_MEASURES = frozenset({Role.ACTIVE_USERS, Role.TASK_ATTEMPTS, Role.FEATURE})

_KIND_NOUN = {
    SURVEY: "survey",
    TICKETS: "support-ticket",
    USAGE: "usage",
    TOUCHPOINTS: "touchpoint",
}
_ROLE_NOUN = {
    Role.RESPONSE_ID: "the response id",
    Role.SUBMITTED_AT: "the submitted date",
    Role.EMAIL: "the email",
    Role.CUSTOMER_ID: "the customer id",
    Role.NPS: "the NPS score",
    Role.CSAT: "the CSAT score",
    Role.CES: "the CES score",
    Role.CHANNEL: "the channel",
    Role.TICKET_ID: "the ticket id",
    Role.SUBJECT: "the subject",
    Role.BODY: "the body",
    Role.TAGS: "the tags",
    Role.STATUS: "the status",
    Role.SATISFACTION: "the satisfaction rating",
    Role.PERIOD: "the period",
    Role.ACTIVE_USERS: "the active users",
    Role.TASK_ATTEMPTS: "the task attempts",
    Role.TASK_SUCCESSES: "the task successes",
    Role.ENGINEER: "the engineer",
    Role.TOUCHPOINT_KIND: "the touchpoint kind",
    Role.START_TIME: "the start time",
    Role.END_AT: "the end",
    Role.END_TIME: "the end time",
    Role.DURATION: "the duration",
    Role.PARTNER_TEAM: "the partner team",
    Role.FOLLOW_UPS: "the follow-ups",
}
# What a shared role means in one kind of import, where it differs from `_ROLE_NOUN`.
_ROLE_NOUN_BY_KIND = {
    TOUCHPOINTS: {
        Role.SUBMITTED_AT: "the date",
        Role.RESPONSE_ID: "the event id",
        Role.SUBJECT: "the subject (the summary)",
    },
}


@dataclass(frozen=True)
class Column:
    index: int
    key: str  # stable identity: Qualtrics export tag, SurveyMonkey "question / sub-answer", header
    label: str  # human text: the question text, or the header
    timezone: str = ""  # IANA zone the tool wrote this column's times in, when the file says so


@dataclass(frozen=True)
class DetectedFormat:
    name: str  # one of FORMATS
    kind: str  # "survey" | "support_tickets" | "usage" | "touchpoints"
    header_rows: int
    columns: tuple[Column, ...]
    proposed: dict[str, str]  # column key → Role value, for every column
    signature: str  # sha256 of name + column keys in order
    day_first: bool = False  # slash dates in the sampled rows put the day first

    def roles_available(self) -> list[Role]:
        return list(_ROLES_BY_KIND[self.kind])


class FormatError(ValueError):
    """A file whose header makes no sense for the chosen format; str() is one clear sentence."""


def mapping_errors(fmt: DetectedFormat, mapping: dict[str, str]) -> list[str]:
    """What is wrong with a column mapping (column key → role), as sentences; [] when usable."""
    errors = []
    known = {column.key for column in fmt.columns}
    available = set(_ROLES_BY_KIND[fmt.kind])
    by_role: dict[Role, list[str]] = {}
    for key, value in mapping.items():
        if key not in known:
            errors.append(f"Column '{key}' is not in this file.")
            continue
        try:
            role = Role(value)
        except ValueError:
            errors.append(f"'{value}' is not a known role (column '{key}').")
            continue
        if role not in available:
            errors.append(
                f"Role '{role}' does not apply to a {_KIND_NOUN[fmt.kind]} import (column '{key}')."
            )
            continue
        by_role.setdefault(role, []).append(key)
    nouns = _ROLE_NOUN | _ROLE_NOUN_BY_KIND.get(fmt.kind, {})
    for role, keys in by_role.items():
        if role not in _REPEATABLE_ROLES and len(keys) > 1:
            names = ", ".join(f"'{key}'" for key in keys)
            errors.append(f"Only one column can be {nouns[role]}, but {len(keys)} are: {names}.")
    if fmt.kind == SURVEY:
        if not by_role.keys() & {Role.NPS, Role.CSAT, Role.CES, Role.COMMENT}:
            errors.append("A survey import needs at least one NPS, CSAT, CES or comment column.")
        if Role.SUBMITTED_AT not in by_role:
            errors.append("A survey import needs the column with the submitted date.")
    elif fmt.kind == TICKETS:
        if not by_role.keys() & {Role.SUBJECT, Role.BODY}:
            errors.append("A ticket import needs a subject or a body column.")
        if Role.SUBMITTED_AT not in by_role:
            errors.append("A ticket import needs the column with the created date.")
    elif fmt.kind == TOUCHPOINTS:
        if Role.SUBMITTED_AT not in by_role:
            errors.append("A touchpoint import needs the column with the date.")
        if not by_role.keys() & {Role.ENGINEER, Role.ATTENDEES}:
            errors.append("A touchpoint import needs the engineer's column (or the attendees).")
        if not by_role.keys() & {Role.TOUCHPOINT_KIND, Role.SUBJECT}:
            errors.append(
                "A touchpoint import needs a kind column, or a subject to tell the kind from."
            )
    else:
        if Role.CUSTOMER_ID not in by_role:
            errors.append("A usage import needs a customer id column.")
        if Role.PERIOD not in by_role:
            errors.append("A usage import needs a period column.")
        if not by_role.keys() & _USAGE_MEASURES:
            errors.append(
                "A usage import needs at least one count: active users, a feature or task attempts."
            )
        if Role.TASK_SUCCESSES in by_role and Role.TASK_ATTEMPTS not in by_role:
            errors.append("Task successes need a task attempts column to be checked against.")
    return errors
