"""Touchpoints from a file: the store the import engine calls with a touchpoints job's chunks.

`TouchpointsConfig.ready` registers `touchpoint_records_store` with
`insights.services.import_sinks`; insights reads and checks the file
(`insights.formats.touchpoints`) and calls it with one chunk's `TouchpointRecord`s inside the
chunk's transaction, so the touchpoints commit together with the job's checkpoint.

Each new record is logged through `touchpoint_log`, the form's write path, so its observations
become feedback just as when an engineer logs it by hand. People and accounts are resolved for the
whole chunk with a few queries, never one per row:
- the engineer: a user by username, else by email, else by full name (any case, "Doe, Jane"
  too); unknown or ambiguous rejects the row. Without an engineer column, the first attendee
  who logs touchpoints.
- co-attendees: the attendees who are users allowed to log touchpoints; other people are ignored.
- accounts: each account id or name must name one account, else the row is rejected; customer
  emails (the email column, and attendees who are no user) add the account they match (contact
  email, then domain) and are otherwise left out.
- a second import of a row stores nothing: each touchpoint keeps its import key — the event id
  when the file has one, else a hash of what the row says — and a row whose key is stored already
  counts as a duplicate.
"""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat, Lower, Trim

from insights.models import Customer
from insights.records import RowRejection, TouchpointRecord
from insights.services.import_sinks import SinkResult
from insights.services.matching import CustomerMatcher
from touchpoints.forms import engineer_choices
from touchpoints.models import PartnerTeam, Touchpoint, TouchpointKind
from touchpoints.services import touchpoint_log

_AMBIGUOUS = object()  # a name or email that several users share


def _keys(identifier: str) -> list[str]:
    """How an identifier may name a user: as written (any case), and Outlook's "Doe, Jane" as
    "jane doe"."""
    key = identifier.strip().lower()
    last, comma, first = key.partition(",")
    if comma and first.strip() and "@" not in key:
        return [key, f"{first.strip()} {last.strip()}"]
    return [key]


def _quoted(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def touchpoint_import_key(record: TouchpointRecord) -> str:
    """What makes a row the same row in a second import: its event id, else a hash of the
    engineer, the date, the kind, the summary, the accounts and the observations."""
    if record.external_id:
        parts = ["event", record.external_id]
    else:
        who = record.engineer.lower() or ";".join(sorted(a.lower() for a in record.attendees))
        parts = [
            "row",
            who,
            record.occurred_on.isoformat(),
            record.kind,
            record.summary,
            ";".join(sorted(account.lower() for account in record.customer_external_ids)),
            *(f"{severity}:{text}" for text, severity in record.observations),
        ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _People:
    """The chunk's people: who each identifier (lower case) is, and who may log touchpoints."""

    usernames: dict[str, object]
    emails: dict[str, object]
    names: dict[str, object]
    loggers: frozenset[int]

    @classmethod
    def load(cls, identifiers: Iterable[str]) -> "_People":
        lowered = {key for identifier in identifiers if identifier for key in _keys(identifier)}
        if not lowered:
            return cls({}, {}, {}, frozenset())
        user_model = get_user_model()
        users = list(
            user_model.objects.annotate(
                username_lower=Lower(user_model.USERNAME_FIELD),
                email_lower=Lower("email"),
                name_lower=Lower(Trim(Concat("first_name", Value(" "), "last_name"))),
            ).filter(
                Q(username_lower__in=lowered)
                | Q(email_lower__in=lowered)
                | Q(name_lower__in=lowered)
            )
        )
        usernames: dict[str, object] = {}
        emails: dict[str, object] = {}
        names: dict[str, object] = {}
        for user in users:
            for index, key in (
                (usernames, user.username_lower),
                (emails, user.email_lower),
                (names, user.name_lower),
            ):
                if key and key in lowered:
                    index[key] = _AMBIGUOUS if key in index else user
        loggers = frozenset(
            engineer_choices()
            .filter(pk__in=[user.pk for user in users])
            .values_list("pk", flat=True)
        )
        return cls(usernames, emails, names, loggers)

    def find(self, identifier: str):
        """The user, _AMBIGUOUS, or None for nobody."""
        for key in _keys(identifier):
            for index in (self.usernames, self.emails, self.names):
                if key in index:
                    return index[key]
        return None


@transaction.atomic
def touchpoint_records_store(
    *, records: Sequence[TouchpointRecord], import_job_id: int | None = None
) -> SinkResult:
    """Log the records that are not stored yet; the others count as duplicates, and a record
    whose engineer or account cannot be found is rejected with its line, storing nothing of it.
    See the module docstring for how people and accounts are found."""
    keys = [touchpoint_import_key(record) for record in records]
    stored = set(
        Touchpoint.objects.filter(import_key__in=set(keys)).values_list("import_key", flat=True)
    )
    fresh = [(record, key) for record, key in zip(records, keys, strict=True) if key not in stored]
    duplicates = len(records) - len(fresh)
    if not fresh:
        return SinkResult(duplicates=duplicates)

    people = _People.load(
        identifier for record, _ in fresh for identifier in (record.engineer, *record.attendees)
    )
    matcher = CustomerMatcher.load_for(
        emails=[email for record, _ in fresh for email in _customer_emails(record, people)],
        references=[reference for record, _ in fresh for reference in record.customer_external_ids],
    )
    rejections: list[RowRejection] = []
    ready = []
    for record, key in fresh:
        resolved = _resolve(record, people, matcher)
        if isinstance(resolved, str):
            rejections.append(RowRejection(line=record.line or 0, reason=resolved))
        else:
            ready.append((record, key, *resolved))
    customers = Customer.objects.in_bulk({pk for *_, customer_ids in ready for pk in customer_ids})
    created = 0
    for record, key, engineer, co_attendees, customer_ids in ready:
        if key in stored:  # the same row twice in one chunk
            duplicates += 1
            continue
        try:
            touchpoint_log(
                logged_by=engineer,
                kind=record.kind,
                occurred_on=record.occurred_on,
                duration_minutes=record.duration_minutes,
                partner_team=record.partner_team,
                customers=[customers[pk] for pk in customer_ids],
                co_attendees=co_attendees,
                observations=record.observations,
                summary=record.summary,
                follow_ups=record.follow_ups,
                import_key=key,
                import_job_id=import_job_id,
            )
        except IntegrityError:
            # Another import stored the same row meanwhile; anything else is a real error.
            if not Touchpoint.objects.filter(import_key=key).exists():
                raise
            duplicates += 1
        else:
            created += 1
        stored.add(key)
    return SinkResult(created=created, duplicates=duplicates, rejections=rejections)


def _customer_emails(record: TouchpointRecord, people: _People) -> list[str]:
    """The customers' emails of a row: its email column, and attendees' emails that are no user."""
    attendees = [a for a in record.attendees if "@" in a and people.find(a) is None]
    return [*record.emails, *attendees]


def _resolve(record: TouchpointRecord, people: _People, matcher: CustomerMatcher):
    """(engineer, co-attendees, account ids), or the rejection's sentence."""
    if record.kind not in TouchpointKind.values:
        return f"Kind '{record.kind}' is not a touchpoint kind."
    if record.partner_team and record.partner_team not in PartnerTeam.values:
        return f"Partner team '{record.partner_team}' is not a partner team."
    attendees = [people.find(attendee) for attendee in record.attendees]
    loggers = [user for user in attendees if user not in (None, _AMBIGUOUS)]
    loggers = [user for user in loggers if user.pk in people.loggers]
    if record.engineer:
        engineer = people.find(record.engineer)
        if engineer is None:
            return f"No Backlight user '{_quoted(record.engineer)}'."
        if engineer is _AMBIGUOUS:
            return (
                f"Several Backlight users match '{_quoted(record.engineer)}'; name the engineer "
                "by username or email."
            )
    elif loggers:
        engineer = loggers[0]
    else:
        return "No engineer in this row: none of its attendees is a Backlight user."
    co_attendees, seen = [], {engineer.pk}
    for user in loggers:
        if user.pk not in seen:
            seen.add(user.pk)
            co_attendees.append(user)

    customer_ids: list[int] = []
    for reference in record.customer_external_ids:
        customer_id = matcher.customer_id_for_reference(reference)
        if customer_id is None:
            return f"No single account has the id or name '{_quoted(reference)}'."
        customer_ids.append(customer_id)
    for email in _customer_emails(record, people):
        customer_id = matcher.match(email=email).customer_id
        if customer_id is not None:
            customer_ids.append(customer_id)
    return engineer, co_attendees, list(dict.fromkeys(customer_ids))
