"""Accounts from outside (the API, a CRM sync): create or update them by external id, in bulk."""

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from insights.models import Contact, Customer

# Rows per statement: well under SQLite's bound-parameter limit for the widest model here.
BATCH_SIZE = 500

# What an upsert overwrites on an existing account: everything but its identity and creation.
_CUSTOMER_FIELDS = [
    "name",
    "domain",
    "segment",
    "plan",
    "region",
    "arr",
    "seats",
    "customer_since",
    "churned",
    "churned_on",
    "attributes",
    "updated_at",
]
_CONTACT_FIELDS = ["customer", "name", "title", "updated_at"]


@dataclass(frozen=True, slots=True)
class ContactInput:
    email: str
    name: str = ""
    title: str = ""


@dataclass(frozen=True, slots=True)
class CustomerInput:
    """One account as the source knows it; an upsert replaces all of these fields."""

    external_id: str
    name: str
    domain: str = ""
    segment: str = ""  # a Segment value or ""
    plan: str = ""  # a Plan value or ""
    region: str = ""  # a Region value or ""
    arr: Decimal = Decimal(0)
    seats: int = 0
    customer_since: dt.date | None = None
    churned: bool = False
    churned_on: dt.date | None = None  # only when churned
    attributes: dict = field(default_factory=dict)
    # None leaves the account's contacts as they are; a list adds or updates them by email
    # (a contact whose email is known moves to this account). Contacts are never removed here.
    contacts: tuple[ContactInput, ...] | None = None


@dataclass(frozen=True)
class UpsertResult:
    created: int
    updated: int


@transaction.atomic
def customers_upsert(*, items: Sequence[CustomerInput]) -> UpsertResult:
    """Create the accounts whose external id is new, update the others, in a few statements
    whatever the number of items. An external id given twice counts once as created (or updated)
    and then as updated: the last item wins."""
    if not items:
        return UpsertResult(created=0, updated=0)
    latest = {item.external_id: item for item in items}
    existing: set[str] = set()
    for chunk in _chunks(list(latest)):
        existing.update(
            Customer.objects.filter(external_id__in=chunk).values_list("external_id", flat=True)
        )
    Customer.objects.bulk_create(
        [_customer(item) for item in latest.values()],
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["external_id"],
        update_fields=_CUSTOMER_FIELDS,
    )
    _contacts_upsert([item for item in latest.values() if item.contacts is not None])
    created = len(latest.keys() - existing)
    return UpsertResult(created=created, updated=len(items) - created)


def _customer(item: CustomerInput) -> Customer:
    return Customer(
        external_id=item.external_id,
        name=item.name,
        domain=item.domain.strip().lower(),
        segment=item.segment,
        plan=item.plan,
        region=item.region,
        arr=item.arr,
        seats=item.seats,
        customer_since=item.customer_since,
        churned=item.churned,
        churned_on=item.churned_on if item.churned else None,
        attributes=item.attributes,
    )


def _contacts_upsert(items: list[CustomerInput]) -> None:
    if not any(item.contacts for item in items):
        return
    ids: dict[str, int] = {}
    for chunk in _chunks([item.external_id for item in items]):
        ids.update(Customer.objects.filter(external_id__in=chunk).values_list("external_id", "id"))
    # Emails are matched case-insensitively (see CustomerMatcher), so they are stored lower-case;
    # the same email twice: the last one wins.
    contacts = {
        contact.email.strip().lower(): Contact(
            customer_id=ids[item.external_id],
            email=contact.email.strip().lower(),
            name=contact.name,
            title=contact.title,
        )
        for item in items
        for contact in item.contacts or ()
    }
    Contact.objects.bulk_create(
        list(contacts.values()),
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["email"],
        update_fields=_CONTACT_FIELDS,
    )


def _chunks(values: list) -> Iterator[list]:
    for start in range(0, len(values), BATCH_SIZE):
        yield values[start : start + BATCH_SIZE]
