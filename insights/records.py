"""What one row of a source becomes, before it touches the database.

Readers and format adapters (`insights.tabular`, `insights.formats`) turn files into these; the
API turns JSON into them; `insights.services.feedback` and `insights.services.usage` store them,
and a touchpoint record is stored by the sink `touchpoints` registers
(`insights.services.import_sinks`). Plain dataclasses, no ORM.
"""

import datetime as dt
from dataclasses import dataclass, field


@dataclass(slots=True)
class FeedbackRecord:
    source: str  # a Feedback.Source value
    received_at: dt.datetime  # timezone-aware
    text: str = ""
    channel: str = ""
    question: str = ""
    external_id: str = ""  # unique per source; e.g. "<response id>:<question key>"
    email: str = ""  # the respondent's, used to match a contact or a customer's domain
    customer_external_id: str = ""
    nps: int | None = None
    csat: int | None = None
    ces: int | None = None
    metadata: dict = field(default_factory=dict)
    line: int | None = None  # where it stands in its source file, for messages


@dataclass(slots=True)
class UsageRecord:
    customer_external_id: str
    period: dt.date  # first day of the month
    active_users: int = 0
    feature_adoption: dict[str, int] = field(default_factory=dict)
    task_attempts: int = 0
    task_successes: int = 0
    line: int | None = None


@dataclass(slots=True)
class TouchpointRecord:
    """One row of a touchpoint log or a calendar export. People and accounts are as the file
    names them (usernames, emails, display names, account ids or names): the store resolves them."""

    occurred_on: dt.date
    kind: str  # a touchpoints.models.TouchpointKind value
    duration_minutes: int
    partner_team: str = ""  # a touchpoints.models.PartnerTeam value, or ""
    engineer: str = ""  # who logs it; "" when the first attendee who is a user does
    attendees: list[str] = field(default_factory=list)  # emails (lower case), usernames or names
    customer_external_ids: list[str] = field(default_factory=list)  # account ids or names
    emails: list[str] = field(default_factory=list)  # customer contacts' emails (lower case)
    summary: str = ""
    observations: list[tuple[str, str]] = field(default_factory=list)  # (text, severity or "")
    follow_ups: str = ""
    external_id: str = ""  # the event's id in its source, when the file has one
    line: int | None = None


@dataclass(frozen=True, slots=True)
class RowRejection:
    line: int
    reason: str
