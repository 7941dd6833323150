"""Benchmark: a 200k-row Qualtrics-shaped CSV into PostgreSQL, three ways, side by side.

1. Backlight's import, end to end: `manage.py import_feedback` in-process — detect, read the
   whole file once to check it, normalise, match, de-duplicate, store chunk by chunk with COPY.
2. The floor: a raw COPY of the same normalised rows (prepared beforehand, untimed, in COPY's text
   format as Backlight sends them) into a bare table with the same columns and no index or
   constraint. 2b: the same COPY into Backlight's own feedback table, with its indexes, unique
   keys and foreign keys, one transaction per chunk: the floor for this schema.
3. The common alternative: django-import-export's default `ModelResource.import_data` on the
   same normalised rows (a prefix of them: it is slow; its rows/s is what is compared).

Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/backlight_bench .venv/bin/python
bench/import_qualtrics.py [--rows 200000] [--import-export-rows 10000]`. It drops and recreates
that database. Prints one JSON object; figures go to bench/RESULTS.md by hand.
"""

import argparse
import datetime as dt
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/backlight_bench"


def recreate_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = ["psql", "-h", parts.hostname, "-p", str(parts.port or 5432), "-U", parts.username]
    subprocess.run([*admin, "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=True)
    subprocess.run([*admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--import-export-rows", type=int, default=10_000)
    args = parser.parse_args()

    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    recreate_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from insights.demo_exports import qualtrics_export_write
    from insights.formats import RowNormalizer, detect_format
    from insights.services import feedback as feedback_service
    from insights.services.matching import CustomerMatcher
    from insights.tabular import TabularLimits, iter_rows, sniff_table

    call_command("migrate", verbosity=0)
    workdir = Path(tempfile.mkdtemp(prefix="backlight-bench-"))
    path = workdir / "qualtrics_200k.csv"
    truth = qualtrics_export_write(path, responses=args.rows, seed=1, invalid_every=1000)

    # 1. Backlight end to end.
    out = io.StringIO()
    started = time.perf_counter()
    call_command("import_feedback", str(path), "--json", stdout=out)
    backlight_seconds = time.perf_counter() - started
    summary = json.loads(out.getvalue())
    assert summary["created"] == truth.feedback_records, summary
    print(f"backlight: {backlight_seconds:.1f} s", file=sys.stderr)

    # The same normalised rows, prepared outside the timings of 2 and 3.
    limits = TabularLimits.from_settings()
    info = sniff_table(path, limits=limits)
    rows = list(iter_rows(path, info, limits=limits))
    fmt = detect_format(rows[:6])
    normalizer = RowNormalizer(fmt, fmt.proposed, default_timezone=timezone.get_current_timezone())
    records = []
    for line, cells in rows[fmt.header_rows :]:
        result = normalizer.normalize(line, cells)
        if isinstance(result, list):
            records.extend(result)
    batch = feedback_service.feedback_batch_prepare(
        records=records, matcher=CustomerMatcher.load(), import_job_id=None, copy_lines=True
    )
    assert len(batch.lines) == len(records), "the file holds no duplicates"
    buffer = io.StringIO("".join(batch.lines))

    # 2. Raw COPY into a bare table (COPY's text format, as Backlight sends it).
    columns = feedback_service._COLUMN_LIST
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE bare_feedback AS SELECT {columns} FROM insights_feedback WITH NO DATA"
        )
        started = time.perf_counter()
        cursor.copy_expert(
            f"COPY bare_feedback ({columns}) FROM STDIN", buffer, feedback_service.COPY_READ_SIZE
        )
        copy_seconds = time.perf_counter() - started

    # 2b. The same COPY into Backlight's own table (its indexes, unique keys and foreign keys),
    # chunk by chunk, one transaction each, as the import stores them: the floor of this schema.
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE insights_feedback CASCADE")
    size = settings.BACKLIGHT_IMPORT_CHUNK_ROWS
    started = time.perf_counter()
    for start in range(0, len(batch.lines), size):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.copy_expert(
                feedback_service._COPY_FEEDBACK,
                io.BytesIO("".join(batch.lines[start : start + size]).encode()),
                feedback_service.COPY_READ_SIZE,
            )
    own_table_seconds = time.perf_counter() - started

    # 3. django-import-export's default resource on a prefix of the same rows.
    import tablib
    from import_export import resources

    from insights.models import Feedback

    class FeedbackResource(resources.ModelResource):
        class Meta:
            model = Feedback
            fields = (
                "id",
                "text",
                "source",
                "question",
                "received_at",
                "nps",
                "csat",
                "external_id",
                "content_hash",
            )

    Feedback.objects.all().delete()
    sample = records[: args.import_export_rows]
    dataset = tablib.Dataset(
        headers=[
            "id",
            "text",
            "source",
            "question",
            "received_at",
            "nps",
            "csat",
            "external_id",
            "content_hash",
        ]
    )
    for record in sample:
        dataset.append(
            (
                "",
                record.text,
                record.source,
                record.question,
                record.received_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
                record.nps if record.nps is not None else "",
                record.csat if record.csat is not None else "",
                record.external_id,
                feedback_service.feedback_content_hash(record),
            )
        )
    started = time.perf_counter()
    result = FeedbackResource().import_data(dataset, dry_run=False, raise_errors=True)
    import_export_seconds = time.perf_counter() - started
    assert not result.has_errors()
    source_rows_per_record = args.rows / len(records)
    import_export_rows = len(sample) * source_rows_per_record

    backlight_rate = args.rows / backlight_seconds
    copy_rate = args.rows / copy_seconds
    import_export_rate = import_export_rows / import_export_seconds
    print(
        json.dumps(
            {
                "machine": f"{platform.node()} {os.cpu_count()} cores {platform.processor()}",
                "date": time.strftime("%Y-%m-%d"),
                "source_rows": args.rows,
                "feedback_records": len(records),
                "file_mb": round(path.stat().st_size / 1e6, 1),
                "backlight_seconds": round(backlight_seconds, 2),
                "backlight_rows_per_s": round(backlight_rate),
                "raw_copy_seconds": round(copy_seconds, 2),
                "raw_copy_rows_per_s": round(copy_rate),
                "copy_into_feedback_table_seconds": round(own_table_seconds, 2),
                "backlight_vs_copy_into_feedback_table": round(
                    own_table_seconds / backlight_seconds, 3
                ),
                "import_export_records": len(sample),
                "import_export_seconds": round(import_export_seconds, 2),
                "import_export_rows_per_s": round(import_export_rate),
                "backlight_vs_raw_copy": round(backlight_rate / copy_rate, 3),
                "backlight_vs_import_export": round(backlight_rate / import_export_rate, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
