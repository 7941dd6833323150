"""Recognising helpdesk exports by their column names: Zendesk tickets and Intercom
conversations, with each tool's own columns."""

from insights.formats.columns import _make_columns, _propose_ticket, _Reading
from insights.formats.roles import Role
from insights.formats.vocabulary import _norm

_ZENDESK_FIXED = {
    "id": Role.TICKET_ID,
    "ticket id": Role.TICKET_ID,
    "subject": Role.SUBJECT,
    "description": Role.BODY,
    "status": Role.STATUS,
    "priority": Role.ATTRIBUTE,
    "ticket type": Role.ATTRIBUTE,
    "type": Role.ATTRIBUTE,
    "requester": Role.IGNORE,
    "requester id": Role.IGNORE,
    "requester external id": Role.IGNORE,
    "requester email": Role.EMAIL,
    "requester domain": Role.IGNORE,
    "submitter": Role.IGNORE,
    "assignee": Role.IGNORE,
    "group": Role.IGNORE,
    "organization": Role.ATTRIBUTE,
    "via": Role.CHANNEL,
    "created at": Role.SUBMITTED_AT,
    "updated at": Role.IGNORE,
    "tags": Role.TAGS,
    "satisfaction score": Role.SATISFACTION,
    "satisfaction comment": Role.IGNORE,
}
_ZENDESK_TELLS = frozenset(
    {
        "requester",
        "requester email",
        "requester id",
        "satisfaction score",
        "via",
        "assignee",
        "group",
        "organization",
        "priority",
        "ticket type",
        "created at",
        "updated at",
    }
)


def _read_zendesk(rows: list[list[str]], *, forced: bool) -> _Reading | None:
    headers = [cell.strip() for cell in rows[0]]
    normalized = {_norm(header) for header in headers}
    if forced:
        if not normalized & {"subject", "description"}:
            return None
    elif not ({"id", "subject"} <= normalized and len(normalized & _ZENDESK_TELLS) >= 2):
        return None
    columns = _make_columns(headers, headers)
    roles = [
        _ZENDESK_FIXED.get(_norm(column.key)) or _propose_ticket(column.key) for column in columns
    ]
    return _Reading("zendesk", 1, columns, roles)


_INTERCOM_FIXED = {
    "conversation id": Role.TICKET_ID,
    "created at": Role.SUBMITTED_AT,
    "contact email": Role.EMAIL,
    "user email": Role.EMAIL,
    "company id": Role.CUSTOMER_ID,
    "company name": Role.ATTRIBUTE,
    "conversation rating": Role.SATISFACTION,
    "conversation rating remark": Role.IGNORE,
    "conversation tags": Role.TAGS,
    "conversation first message": Role.BODY,
    "first message": Role.BODY,
    "state": Role.STATUS,
    "title": Role.SUBJECT,
    "source type": Role.CHANNEL,
    "channel": Role.CHANNEL,
}


def _read_intercom(rows: list[list[str]], *, forced: bool) -> _Reading | None:
    headers = [cell.strip() for cell in rows[0]]
    if "conversation id" not in {_norm(header) for header in headers}:
        return None
    columns = _make_columns(headers, headers)
    roles = [
        _INTERCOM_FIXED.get(_norm(column.key)) or _propose_ticket(column.key) for column in columns
    ]
    return _Reading("intercom", 1, columns, roles)
