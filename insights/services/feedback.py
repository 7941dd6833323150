"""Storing feedback: the one write path for every source (imports, the API, touchpoints, the demo).

`feedback_records_insert` stores a batch of records exactly once: a record whose
(source, external id) or content hash is already stored is counted as a duplicate and not stored
again. On PostgreSQL the new rows are found with two indexed look-ups and COPied straight into the
table, which is what makes a 200k-row import fast (a concurrent writer falls back to a staging
table and `INSERT … ON CONFLICT DO NOTHING`); SQLite (the embedded default) takes the same
records through `bulk_create`.
"""

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from insights.models import Feedback
from insights.records import FeedbackRecord
from insights.services.matching import CustomerMatcher

SQLITE_BATCH = 500
FIELD_SEPARATOR = "\x1f"

# The columns a new Feedback row is written with, in COPY order.
_COLUMNS = (
    "text",
    "source",
    "channel",
    "question",
    "received_at",
    "customer_id",
    "contact_id",
    "nps",
    "csat",
    "ces",
    "redacted_text",
    "language",
    "sentiment_label",
    "theme_pinned",
    "external_id",
    "content_hash",
    "import_job_id",
    "metadata",
    "created_at",
    "updated_at",
)
# Text columns are NOT NULL: an empty cell is an empty string, never NULL.
_NOT_NULL_TEXT = (
    "text",
    "source",
    "channel",
    "question",
    "redacted_text",
    "language",
    "sentiment_label",
    "external_id",
    "content_hash",
)

# The SQL of the PostgreSQL path, built from the constant column lists above. The staging table
# lives for one transaction (ON COMMIT DROP), and is dropped at once after use.
_COLUMN_LIST = ", ".join(_COLUMNS)
_HASH = _COLUMNS.index("content_hash")
_SOURCE = _COLUMNS.index("source")
_EXTERNAL_ID = _COLUMNS.index("external_id")
_CUSTOMER = _COLUMNS.index("customer_id")
_METADATA = _COLUMNS.index("metadata")
_COPY_FEEDBACK = (
    f"COPY insights_feedback ({_COLUMN_LIST}) FROM STDIN WITH (FORMAT csv, "
    f"FORCE_NOT_NULL ({', '.join(_NOT_NULL_TEXT)}))"
)
_CREATE_STAGE = (
    "CREATE TEMPORARY TABLE feedback_stage ON COMMIT DROP AS "  # noqa: S608
    f"SELECT {_COLUMN_LIST} FROM insights_feedback WITH NO DATA"
)
_COPY_STAGE = (
    f"COPY feedback_stage ({_COLUMN_LIST}) FROM STDIN WITH (FORMAT csv, "
    f"FORCE_NOT_NULL ({', '.join(_NOT_NULL_TEXT)}))"
)
_INSERT_FROM_STAGE = (
    f"INSERT INTO insights_feedback ({_COLUMN_LIST}) "  # noqa: S608
    f"SELECT {_COLUMN_LIST} FROM feedback_stage "
    "ON CONFLICT DO NOTHING RETURNING customer_id IS NULL"
)


@dataclass(frozen=True)
class InsertResult:
    created: int
    duplicates: int
    unmatched: int  # created without a customer


def feedback_content_hash(record: FeedbackRecord) -> str:
    """What makes two records the same thing said: who, when, where, what and the scores. The
    external id is left out, so an export that re-numbers its responses still de-duplicates."""
    who = record.email.strip().lower() or record.customer_external_id.strip()
    parts = (
        record.source,
        who,
        # The same moment written with another offset is the same moment.
        record.received_at.astimezone(dt.UTC).isoformat(),
        record.question,
        record.text,
        "" if record.nps is None else str(record.nps),
        "" if record.csat is None else str(record.csat),
        "" if record.ces is None else str(record.ces),
    )
    return hashlib.sha256(FIELD_SEPARATOR.join(parts).encode("utf-8")).hexdigest()


def feedback_records_insert(
    *,
    records: Sequence[FeedbackRecord],
    matcher: CustomerMatcher,
    import_job_id: int | None = None,
) -> InsertResult:
    """Store the records that are new; runs inside the caller's transaction when there is one."""
    if not records:
        return InsertResult(0, 0, 0)
    rows = _rows(records=records, matcher=matcher, import_job_id=import_job_id)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            created, unmatched = _insert_postgresql(rows)
        else:
            created, unmatched = _insert_portable(rows)
    return InsertResult(created=created, duplicates=len(records) - created, unmatched=unmatched)


def _rows(
    *, records: Sequence[FeedbackRecord], matcher: CustomerMatcher, import_job_id: int | None
) -> list[tuple]:
    now = timezone.now()
    rows = []
    for record in records:
        match = matcher.match(email=record.email, customer_external_id=record.customer_external_id)
        rows.append(
            (
                record.text,
                record.source,
                record.channel,
                record.question,
                record.received_at,
                match.customer_id,
                match.contact_id,
                record.nps,
                record.csat,
                record.ces,
                "",
                "",
                "",
                False,
                record.external_id,
                feedback_content_hash(record),
                import_job_id,
                record.metadata,
                now,
                now,
            )
        )
    return rows


def _insert_postgresql(rows: list[tuple]) -> tuple[int, int]:
    """COPY the rows that are not stored yet straight into the table. Should another writer
    store one of them in the meantime, the unique constraints refuse the COPY and the batch goes
    through a staging table and `INSERT … ON CONFLICT DO NOTHING` instead."""
    new = _new_rows(rows, _stored_keys_postgresql(rows))
    try:
        with transaction.atomic():
            # copy_expert is psycopg2's own: wrap it so its errors arrive as Django's.
            with connection.cursor() as cursor, connection.wrap_database_errors:
                cursor.copy_expert(_COPY_FEEDBACK, _csv_buffer(new))
    except IntegrityError:
        return _insert_postgresql_staged(rows)
    return len(new), sum(1 for row in new if row[_CUSTOMER] is None)


def _stored_keys_postgresql(rows: list[tuple]) -> tuple[set[str], set[tuple[str, str]]]:
    hashes = [row[_HASH] for row in rows]
    external = [(row[_SOURCE], row[_EXTERNAL_ID]) for row in rows if row[_EXTERNAL_ID]]
    with connection.cursor() as cursor:
        # The `<> ''` terms let PostgreSQL use the partial unique indexes.
        cursor.execute(
            "SELECT content_hash FROM insights_feedback "
            "WHERE content_hash <> '' AND content_hash = ANY(%s)",
            [hashes],
        )
        stored_hashes = {value for (value,) in cursor.fetchall()}
        stored_ids: set[tuple[str, str]] = set()
        if external:
            cursor.execute(
                "SELECT source, external_id FROM insights_feedback "
                "WHERE external_id <> '' AND (source, external_id) IN "
                "(SELECT * FROM unnest(%s::varchar[], %s::varchar[]))",
                [[source for source, _ in external], [key for _, key in external]],
            )
            stored_ids = {(source, key) for source, key in cursor.fetchall()}
    return stored_hashes, stored_ids


def _new_rows(rows: list[tuple], stored: tuple[set[str], set[tuple[str, str]]]) -> list[tuple]:
    """The rows whose keys are neither stored nor taken by an earlier row of the batch."""
    hashes, ids = set(stored[0]), set(stored[1])
    new = []
    for row in rows:
        key = (row[_SOURCE], row[_EXTERNAL_ID])
        if row[_HASH] in hashes or (row[_EXTERNAL_ID] and key in ids):
            continue
        hashes.add(row[_HASH])
        if row[_EXTERNAL_ID]:
            ids.add(key)
        new.append(row)
    return new


def _csv_buffer(rows: list[tuple]) -> io.StringIO:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    dumps = json.dumps
    for row in rows:
        values = list(row)
        values[_METADATA] = dumps(values[_METADATA], ensure_ascii=False)
        writer.writerow(values)
    buffer.seek(0)
    return buffer


def _insert_postgresql_staged(rows: list[tuple]) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(_CREATE_STAGE)
        cursor.copy_expert(_COPY_STAGE, _csv_buffer(rows))
        cursor.execute(_INSERT_FROM_STAGE)
        returned = cursor.fetchall()
        cursor.execute("DROP TABLE feedback_stage")
    return len(returned), sum(1 for (unmatched,) in returned if unmatched)


def _insert_portable(rows: list[tuple]) -> tuple[int, int]:
    """SQLite: drop what is stored already (or twice in the batch), then bulk_create the rest."""
    stored_hashes: set[str] = set()
    stored_ids: set[tuple[str, str]] = set()
    for start in range(0, len(rows), SQLITE_BATCH):
        batch = rows[start : start + SQLITE_BATCH]
        stored_hashes.update(
            Feedback.objects.filter(content_hash__in=[row[_HASH] for row in batch]).values_list(
                "content_hash", flat=True
            )
        )
        external = [row[_EXTERNAL_ID] for row in batch if row[_EXTERNAL_ID]]
        if external:
            stored_ids.update(
                Feedback.objects.filter(external_id__in=external).values_list(
                    "source", "external_id"
                )
            )
    new = [
        Feedback(**dict(zip(_COLUMNS, row, strict=True)))
        for row in _new_rows(rows, (stored_hashes, stored_ids))
    ]
    Feedback.objects.bulk_create(new, batch_size=SQLITE_BATCH, ignore_conflicts=True)
    return len(new), sum(1 for item in new if item.customer_id is None)
