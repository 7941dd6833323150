import datetime as dt
import math
from decimal import Decimal

import pytest
from django.db import connection

from insights.models import Contact, Customer, UsageSnapshot
from insights.records import RowRejection, UsageRecord
from insights.services.customers import ContactInput, CustomerInput, customers_upsert
from insights.services.matching import CustomerMatcher
from insights.services.usage import usage_records_upsert
from tests.insights.factories import (
    ContactFactory,
    CustomerFactory,
    ImportJobFactory,
    UsageSnapshotFactory,
)

pytestmark = pytest.mark.django_db
JAN = dt.date(2026, 1, 1)
FEB = dt.date(2026, 2, 1)


def insert_statements(*, rows: int, columns: int) -> int:
    """How many INSERT statements Django's bulk_create makes: one on PostgreSQL; on SQLite as
    many as it takes to stay under 999 bound parameters per statement."""
    per_statement = connection.ops.bulk_batch_size(["column"] * columns, [None] * rows)
    return math.ceil(rows / per_statement)


# ------------------------------------------------------------------------------------------------
# customers_upsert
# ------------------------------------------------------------------------------------------------


def test_customers_upsert_creates_new_accounts_with_their_fields():
    result = customers_upsert(
        items=[
            CustomerInput(
                external_id="ACME",
                name="Acme",
                domain=" Acme.Example ",
                segment="enterprise",
                plan="business",
                region="emea",
                arr=Decimal("1200.50"),
                seats=12,
                customer_since=dt.date(2022, 5, 1),
                attributes={"industry": "anvils"},
            )
        ]
    )

    assert (result.created, result.updated) == (1, 0)
    acme = Customer.objects.get()
    assert (acme.name, acme.domain, acme.segment, acme.plan) == (
        "Acme",
        "acme.example",
        "enterprise",
        "business",
    )
    assert (acme.arr, acme.seats, acme.customer_since) == (
        Decimal("1200.50"),
        12,
        dt.date(2022, 5, 1),
    )
    assert acme.attributes == {"industry": "anvils"}


def test_customers_upsert_updates_existing_accounts_in_place():
    # Given a stored account with feedback-facing id and a contact
    acme = CustomerFactory(external_id="ACME", name="Old name", arr=Decimal(100))
    ContactFactory(customer=acme, email="wile@acme.example")

    # When it is upserted churned, without contacts
    result = customers_upsert(
        items=[
            CustomerInput(
                external_id="ACME", name="Acme", churned=True, churned_on=dt.date(2026, 1, 31)
            )
        ]
    )

    # Then the same row carries the new fields, and its contacts are untouched
    assert (result.created, result.updated) == (0, 1)
    acme.refresh_from_db()
    assert (acme.name, acme.arr, acme.churned, acme.churned_on) == (
        "Acme",
        Decimal(0),
        True,
        dt.date(2026, 1, 31),
    )
    assert Contact.objects.get().customer == acme


def test_customers_upsert_adds_updates_and_moves_contacts_by_email():
    # Given a contact at one account
    globex = CustomerFactory(external_id="GLOBEX")
    ContactFactory(customer=globex, email="hank@globex.example", title="")

    # When another account is upserted listing that contact (now its CFO) and a new one
    customers_upsert(
        items=[
            CustomerInput(
                external_id="ACME",
                name="Acme",
                contacts=(
                    ContactInput(email="Hank@Globex.example", name="Hank", title="CFO"),
                    ContactInput(email="wile@acme.example"),
                ),
            )
        ]
    )

    # Then both contacts belong to it, the moved one with its new title
    acme = Customer.objects.get(external_id="ACME")
    contacts = {c.email: c for c in Contact.objects.all()}
    assert set(contacts) == {"hank@globex.example", "wile@acme.example"}
    assert contacts["hank@globex.example"].customer == acme
    assert contacts["hank@globex.example"].title == "CFO"
    assert contacts["wile@acme.example"].customer == acme


def test_customers_upsert_last_item_wins_for_a_repeated_external_id():
    result = customers_upsert(
        items=[
            CustomerInput(external_id="ACME", name="First"),
            CustomerInput(external_id="ACME", name="Second"),
        ]
    )

    assert (result.created, result.updated) == (1, 1)
    assert Customer.objects.get().name == "Second"


def test_customers_upsert_never_stores_a_churn_date_without_churn():
    customers_upsert(items=[CustomerInput(external_id="A", name="A", churned_on=JAN)])

    assert Customer.objects.get().churned_on is None


def test_customers_upsert_of_nothing_does_nothing():
    result = customers_upsert(items=[])

    assert (result.created, result.updated) == (0, 0)
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("size", [1, 200])
def test_customers_upsert_queries_do_not_grow_with_the_batch(django_assert_num_queries, size):
    # Given a batch half of which exists, every item with a contact
    CustomerFactory.create_batch(size // 2 or 1)
    existing = list(Customer.objects.values_list("external_id", flat=True))
    ids = existing[: size // 2] + [f"NEW-{n}" for n in range(size - size // 2)]
    items = [
        CustomerInput(
            external_id=external_id,
            name=external_id,
            contacts=(ContactInput(email=f"{external_id.lower()}@example.com"),),
        )
        for external_id in ids
    ]

    # When it is upserted: savepoint ×2, existing ids, upsert, ids for contacts, contact upsert
    expected = (
        4 + insert_statements(rows=size, columns=14) + insert_statements(rows=size, columns=6)
    )
    with django_assert_num_queries(expected):
        result = customers_upsert(items=items)

    # Then the counts add up
    assert result.created + result.updated == size


# ------------------------------------------------------------------------------------------------
# usage_records_upsert
# ------------------------------------------------------------------------------------------------


def test_usage_records_upsert_creates_and_updates_one_snapshot_per_month():
    # Given January stored for an account
    acme = CustomerFactory(external_id="ACME")
    UsageSnapshotFactory(customer=acme, period=JAN, active_users=20)
    job = ImportJobFactory()

    # When January (dated mid-month) and February come in from an import
    result = usage_records_upsert(
        records=[
            UsageRecord(customer_external_id="ACME", period=dt.date(2026, 1, 15), active_users=25),
            UsageRecord(
                customer_external_id="ACME",
                period=FEB,
                active_users=30,
                feature_adoption={"export": 4},
                task_attempts=10,
                task_successes=9,
            ),
        ],
        matcher=CustomerMatcher.load(),
        import_job_id=job.pk,
    )

    # Then January is updated, February created, both marked with the job
    assert (result.created, result.updated, result.rejections) == (1, 1, [])
    snapshots = {s.period: s for s in UsageSnapshot.objects.all()}
    assert set(snapshots) == {JAN, FEB}
    assert snapshots[JAN].active_users == 25
    assert snapshots[FEB].feature_adoption == {"export": 4}
    assert (snapshots[FEB].task_attempts, snapshots[FEB].task_successes) == (10, 9)
    assert {s.import_job_id for s in snapshots.values()} == {job.pk}


def test_usage_records_upsert_twice_changes_nothing():
    CustomerFactory(external_id="ACME")
    records = [UsageRecord(customer_external_id="ACME", period=JAN, active_users=3)]
    usage_records_upsert(records=records, matcher=CustomerMatcher.load())

    again = usage_records_upsert(records=records, matcher=CustomerMatcher.load())

    assert (again.created, again.updated) == (0, 1)
    assert UsageSnapshot.objects.count() == 1


def test_usage_records_upsert_rejects_what_it_cannot_store_and_stores_the_rest():
    # Given records from a file: one fine, one for an unknown account, one impossible
    CustomerFactory(external_id="ACME")
    records = [
        UsageRecord(customer_external_id="ACME", period=JAN, line=2),
        UsageRecord(customer_external_id="NOPE", period=JAN, line=3),
        UsageRecord(customer_external_id="ACME", period=FEB, task_attempts=1, task_successes=5),
        UsageRecord(customer_external_id="ACME", period=FEB, active_users=-1, line=9),
    ]

    # When they are upserted
    result = usage_records_upsert(records=records, matcher=CustomerMatcher.load())

    # Then the bad ones are rejected with their line (or position) and reason; the rest is stored
    assert result.rejections == [
        RowRejection(3, "No account with external id 'NOPE'."),
        RowRejection(3, "Task successes (5) exceed task attempts (1)."),
        RowRejection(9, "The number of active users must be a whole number from 0 to 2147483647."),
    ]
    assert (result.created, result.updated) == (1, 0)
    assert list(UsageSnapshot.objects.values_list("period", flat=True)) == [JAN]


def test_usage_records_upsert_last_record_wins_within_a_batch():
    CustomerFactory(external_id="ACME")

    result = usage_records_upsert(
        records=[
            UsageRecord(customer_external_id="ACME", period=JAN, active_users=1),
            UsageRecord(customer_external_id="ACME", period=JAN, active_users=2),
        ],
        matcher=CustomerMatcher.load(),
    )

    assert (result.created, result.updated) == (1, 1)
    assert UsageSnapshot.objects.get().active_users == 2


@pytest.mark.parametrize("size", [1, 200])
def test_usage_records_upsert_queries_do_not_grow_with_the_batch(django_assert_num_queries, size):
    customers = CustomerFactory.create_batch(10)
    matcher = CustomerMatcher.load()
    records = [
        UsageRecord(
            customer_external_id=customers[n % 10].external_id,
            period=dt.date(2000 + n // 10, 1, 1),
        )
        for n in range(size)
    ]

    # savepoint ×2, existing pairs, upsert
    with django_assert_num_queries(3 + insert_statements(rows=size, columns=9)):
        result = usage_records_upsert(records=records, matcher=matcher)

    assert result.created == size
