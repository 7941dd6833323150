"""Reading files from no known tool by header words alone: a ticket export, a usage export, or
(when nothing else fits) a generic survey."""

from insights.formats.columns import (
    _make_columns,
    _propose_question,
    _propose_ticket,
    _propose_usage,
    _Reading,
    _samples,
)
from insights.formats.roles import _USAGE_MEASURES, Role
from insights.formats.vocabulary import _TICKET_ID_HEADER, _norm


def _read_tickets(rows: list[list[str]], *, forced: bool) -> _Reading | None:
    headers = [cell.strip() for cell in rows[0]]
    columns = _make_columns(headers, headers)
    roles = [_propose_ticket(column.key) for column in columns]
    if forced:
        if not {Role.TICKET_ID, Role.SUBJECT, Role.BODY} & set(roles):
            return None
    elif not (
        any(_TICKET_ID_HEADER.match(_norm(header)) for header in headers)
        or {Role.SUBJECT, Role.BODY} <= set(roles)
    ):
        return None
    return _Reading("tickets", 1, columns, roles)


def _read_usage(rows: list[list[str]], *, forced: bool) -> _Reading | None:
    headers = [cell.strip() for cell in rows[0]]
    columns = _make_columns(headers, headers)
    roles = [_propose_usage(column.key) for column in columns]
    found = set(roles)
    if forced:
        if not found & {Role.PERIOD, *_USAGE_MEASURES}:
            return None
    elif not ({Role.CUSTOMER_ID, Role.PERIOD} <= found and found & _USAGE_MEASURES):
        return None
    return _Reading("usage", 1, columns, roles)


def _read_generic(rows: list[list[str]], *, forced: bool) -> _Reading:
    headers = [cell.strip() for cell in rows[0]]
    columns = _make_columns(headers, headers)
    roles = [
        _propose_question(column.label, _samples(rows, 1, column.index), values_decide=False)
        for column in columns
    ]
    return _Reading("generic", 1, columns, roles)
