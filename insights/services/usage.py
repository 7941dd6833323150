"""Storing usage snapshots: one per account and month, from the API and from usage imports.

`usage_records_upsert` writes a batch in a few statements whatever its size. A record for an
(account, month) that is already stored updates it, so sending the same data again changes
nothing. A record that cannot be stored (unknown account, impossible numbers) is rejected with
the reason and its line; the rest of the batch is stored. Callers that want all-or-nothing (the
API) roll back when there are rejections.
"""

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import transaction

from insights.models import UsageSnapshot
from insights.records import RowRejection, UsageRecord
from insights.services.matching import CustomerMatcher

BATCH_SIZE = 500
# PositiveIntegerField is a 32-bit column on every database we run.
MAX_COUNT = 2_147_483_647

_UPDATED_FIELDS = [
    "active_users",
    "feature_adoption",
    "task_attempts",
    "task_successes",
    "import_job",
    "updated_at",
]


@dataclass(frozen=True)
class UsageUpsertResult:
    created: int
    updated: int
    rejections: list[RowRejection]


def usage_record_problem(*, record: UsageRecord, matcher: CustomerMatcher) -> str | None:
    """Why the record cannot be stored, or None when it can."""
    if matcher.customer_id_for(record.customer_external_id) is None:
        return f"No account with external id '{record.customer_external_id}'."
    counts = {
        "active users": record.active_users,
        "task attempts": record.task_attempts,
        "task successes": record.task_successes,
        **{f"feature '{name}'": value for name, value in record.feature_adoption.items()},
    }
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
            return f"The number of {name} must be a whole number from 0 to {MAX_COUNT}."
    if record.task_successes > record.task_attempts:
        return (
            f"Task successes ({record.task_successes}) exceed task attempts "
            f"({record.task_attempts})."
        )
    return None


@transaction.atomic
def usage_records_upsert(
    *,
    records: Sequence[UsageRecord],
    matcher: CustomerMatcher,
    import_job_id: int | None = None,
) -> UsageUpsertResult:
    """Store the records, one snapshot per (account, month); the period is taken to the first of
    its month. A record repeated within the batch counts as an update of the one before it (the
    last wins), so created + updated + rejected is the number of records. A rejection's line is
    the record's `line`, or its 1-based position in `records` when it has none."""
    rejections: list[RowRejection] = []
    latest: dict[tuple[int, dt.date], UsageRecord] = {}
    for position, record in enumerate(records, start=1):
        problem = usage_record_problem(record=record, matcher=matcher)
        if problem:
            line = record.line if record.line is not None else position
            rejections.append(RowRejection(line=line, reason=problem))
            continue
        customer_id = matcher.customer_id_for(record.customer_external_id)
        latest[(customer_id, record.period.replace(day=1))] = record
    if not latest:
        return UsageUpsertResult(created=0, updated=0, rejections=rejections)

    existing = _existing_keys(list(latest))
    UsageSnapshot.objects.bulk_create(
        [
            UsageSnapshot(
                customer_id=customer_id,
                period=period,
                active_users=record.active_users,
                feature_adoption=record.feature_adoption,
                task_attempts=record.task_attempts,
                task_successes=record.task_successes,
                import_job_id=import_job_id,
            )
            for (customer_id, period), record in latest.items()
        ],
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["customer", "period"],
        update_fields=_UPDATED_FIELDS,
    )
    stored = len(records) - len(rejections)
    created = len(latest.keys() - existing)
    return UsageUpsertResult(created=created, updated=stored - created, rejections=rejections)


def _existing_keys(keys: list[tuple[int, dt.date]]) -> set[tuple[int, dt.date]]:
    """Which (customer id, period) pairs are stored: one query per chunk, selecting the
    cross product of the chunk's accounts and periods and keeping the pairs asked for."""
    found = set()
    for chunk in _chunks(keys):
        customers = {customer_id for customer_id, _ in chunk}
        periods = {period for _, period in chunk}
        stored = UsageSnapshot.objects.filter(customer_id__in=customers, period__in=periods)
        found.update(stored.values_list("customer_id", "period"))
    return found & set(keys)


def _chunks(values: list) -> Iterator[list]:
    for start in range(0, len(values), BATCH_SIZE):
        yield values[start : start + BATCH_SIZE]
