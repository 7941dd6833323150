"""Storing feedback: the one write path for every source (imports, the API, touchpoints, the demo).

A batch is stored in two steps so that an import can prepare its next chunk while the database
stores the current one (`insights.services.imports`):

1. `feedback_batch_prepare` matches each record to its account, computes its content hash, drops
   records repeated within the batch and, for PostgreSQL, writes each row as a line of COPY text.
   It never touches the database.
2. `feedback_batch_store` stores the rows that are new: a record whose (source, external id) or
   content hash is already stored is counted as a duplicate and not stored again. On PostgreSQL
   the batch is COPied straight into the table, optimistically; when the unique constraints refuse
   it (some rows are stored already), the stored keys are looked up and only the new rows are
   COPied; should another writer store one of those in the meantime, the batch goes through a
   staging table and `INSERT … ON CONFLICT DO NOTHING`. SQLite (the embedded default) takes the
   same rows through `bulk_create`.

`feedback_records_insert` does both for callers that store one batch.
"""

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
COPY_READ_SIZE = 8 * 1024 * 1024  # bytes psycopg2 reads per call; its 8 kB default is slow

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
    "text_version",
    "sentiment_version",
    "theme_pinned",
    "external_id",
    "content_hash",
    "import_job_id",
    "metadata",
    "created_at",
    "updated_at",
)

# The SQL of the PostgreSQL path, built from the constant column list above. COPY's text format:
# tab-separated, backslash escapes, \N for NULL (so an empty string stays an empty string). The
# staging table lives for one transaction (ON COMMIT DROP), and is dropped at once after use.
_COLUMN_LIST = ", ".join(_COLUMNS)
_HASH = _COLUMNS.index("content_hash")
_SOURCE = _COLUMNS.index("source")
_EXTERNAL_ID = _COLUMNS.index("external_id")
_CUSTOMER = _COLUMNS.index("customer_id")
_COPY_FEEDBACK = f"COPY insights_feedback ({_COLUMN_LIST}) FROM STDIN"
_CREATE_STAGE = (
    "CREATE TEMPORARY TABLE feedback_stage ON COMMIT DROP AS "  # noqa: S608
    f"SELECT {_COLUMN_LIST} FROM insights_feedback WITH NO DATA"
)
_COPY_STAGE = f"COPY feedback_stage ({_COLUMN_LIST}) FROM STDIN"
_INSERT_FROM_STAGE = (
    f"INSERT INTO insights_feedback ({_COLUMN_LIST}) "  # noqa: S608
    f"SELECT {_COLUMN_LIST} FROM feedback_stage "
    "ON CONFLICT DO NOTHING RETURNING customer_id IS NULL"
)
_NULL = "\\N"
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(frozen=True)
class InsertResult:
    created: int
    duplicates: int
    unmatched: int  # created without a customer


@dataclass(frozen=True)
class FeedbackBatch:
    """Records ready to store: matched, hashed, each stored key once."""

    rows: list[tuple]  # values in _COLUMNS order
    lines: list[str]  # the same rows as lines of COPY text; empty unless prepared for PostgreSQL
    records: int  # records given, repeats within the batch included


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
    batch = feedback_batch_prepare(
        records=records,
        matcher=matcher,
        import_job_id=import_job_id,
        copy_lines=connection.vendor == "postgresql",
    )
    return feedback_batch_store(batch=batch)


def feedback_batch_prepare(
    *,
    records: Sequence[FeedbackRecord],
    matcher: CustomerMatcher,
    import_job_id: int | None,
    copy_lines: bool,
) -> FeedbackBatch:
    """Match, hash and (with `copy_lines`, for PostgreSQL) serialise the records. Pure Python:
    safe to run in another thread than the one that stores the batch."""
    now = timezone.now()
    job = _NULL if import_job_id is None else str(import_job_id)
    stamps = f"{now.isoformat()}\t{now.isoformat()}\n"
    hashes: set[str] = set()
    keys: set[tuple[str, str]] = set()
    rows: list[tuple] = []
    lines: list[str] = []
    for record in records:
        content_hash = feedback_content_hash(record)
        key = (record.source, record.external_id)
        if content_hash in hashes or (record.external_id and key in keys):
            continue
        hashes.add(content_hash)
        if record.external_id:
            keys.add(key)
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
                "",
                "",
                False,
                record.external_id,
                content_hash,
                import_job_id,
                record.metadata,
                now,
                now,
            )
        )
        if copy_lines:
            lines.append(
                "\t".join(
                    (
                        copy_escape(record.text),
                        record.source,
                        copy_escape(record.channel),
                        copy_escape(record.question),
                        record.received_at.isoformat(),
                        _copy_number(match.customer_id),
                        _copy_number(match.contact_id),
                        _copy_number(record.nps),
                        _copy_number(record.csat),
                        _copy_number(record.ces),
                        "",
                        "",
                        "",
                        "",
                        "",
                        "f",
                        copy_escape(record.external_id),
                        content_hash,
                        job,
                        copy_escape(_json(record.metadata)),
                        stamps,
                    )
                )
            )
    return FeedbackBatch(rows=rows, lines=lines, records=len(records))


def copy_escape(value: str) -> str:
    """A value as COPY's text format needs it: backslash, tab and line breaks escaped."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t")
        return value.replace("\n", "\\n").replace("\r", "\\r")
    return value


def _copy_number(value: int | None) -> str:
    return _NULL if value is None else str(value)


def feedback_batch_store(*, batch: FeedbackBatch, expect_duplicates: bool = False) -> InsertResult:
    """Store the batch's new rows; runs inside the caller's transaction when there is one.
    `expect_duplicates` (say, the previous chunk of the same file had some) looks the stored keys
    up before the COPY instead of after a refused one."""
    if not batch.rows:
        return InsertResult(0, batch.records, 0)
    with transaction.atomic(savepoint=False):
        if connection.vendor != "postgresql":
            created, unmatched = _insert_portable(batch.rows)
        elif batch.lines:
            created, unmatched = _insert_postgresql(batch, expect_duplicates=expect_duplicates)
        else:
            raise ValueError("A batch for PostgreSQL must be prepared with copy_lines=True.")
    return InsertResult(created=created, duplicates=batch.records - created, unmatched=unmatched)


def _insert_postgresql(batch: FeedbackBatch, *, expect_duplicates: bool) -> tuple[int, int]:
    rows = batch.rows
    if not expect_duplicates and _copied(batch, range(len(rows))):
        return len(rows), sum(1 for row in rows if row[_CUSTOMER] is None)
    new = _new_indexes(rows, _stored_keys_postgresql(rows))
    if new and not _copied(batch, new):
        return _insert_postgresql_staged(batch)
    return len(new), sum(1 for index in new if rows[index][_CUSTOMER] is None)


def _copied(batch: FeedbackBatch, indexes: Sequence[int]) -> bool:
    """COPY these rows in a savepoint. False (and nothing of them stored) when a unique
    constraint refused one of them."""
    lines = batch.lines
    buffer = io.BytesIO("".join(lines[index] for index in indexes).encode())
    try:
        with transaction.atomic():
            # copy_expert is psycopg2's own: wrap it so its errors arrive as Django's.
            with connection.cursor() as cursor, connection.wrap_database_errors:
                cursor.copy_expert(_COPY_FEEDBACK, buffer, COPY_READ_SIZE)
    except IntegrityError:
        return False
    return True


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


def _new_indexes(rows: list[tuple], stored: tuple[set[str], set[tuple[str, str]]]) -> list[int]:
    """The positions of the rows whose keys are not stored (the batch holds each key once)."""
    hashes, ids = stored
    return [
        index
        for index, row in enumerate(rows)
        if row[_HASH] not in hashes
        and not (row[_EXTERNAL_ID] and (row[_SOURCE], row[_EXTERNAL_ID]) in ids)
    ]


def _insert_postgresql_staged(batch: FeedbackBatch) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(_CREATE_STAGE)
        cursor.copy_expert(_COPY_STAGE, io.StringIO("".join(batch.lines)), COPY_READ_SIZE)
        cursor.execute(_INSERT_FROM_STAGE)
        returned = cursor.fetchall()
        cursor.execute("DROP TABLE feedback_stage")
    return len(returned), sum(1 for (unmatched,) in returned if unmatched)


def _insert_portable(rows: list[tuple]) -> tuple[int, int]:
    """SQLite: drop what is stored already, then bulk_create the rest."""
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
        Feedback(**dict(zip(_COLUMNS, rows[index], strict=True)))
        for index in _new_indexes(rows, (stored_hashes, stored_ids))
    ]
    Feedback.objects.bulk_create(new, batch_size=SQLITE_BATCH, ignore_conflicts=True)
    return len(new), sum(1 for item in new if item.customer_id is None)
