"""Benchmark: a 200k-row Qualtrics-shaped export as XLSX into PostgreSQL, end to end, with the
worker's peak memory — against the same export as CSV and against openpyxl's read-only reader.

1. `manage.py import_feedback export.xlsx --json` in a child process: wall time and peak RSS.
   The check pass parses the sheet once and spools its rows as CSV; the store pass reads that.
2. The same export as CSV, the same way (the XLSX import's floor).
3. openpyxl's read-only reader iterating the workbook's rows (what Backlight read XLSX with
   before its streaming reader), in a child process: reading alone.

Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/backlight_bench .venv/bin/python
bench/import_xlsx.py [--rows 200000]`. It drops and recreates that database before each import.
Prints one JSON object; figures go to bench/RESULTS.md by hand.
"""

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/backlight_bench"

from import_qualtrics import recreate_database  # noqa: E402

_READ_WITH_OPENPYXL = """
import sys, openpyxl
rows = 0
for _ in openpyxl.load_workbook(sys.argv[1], read_only=True).active.iter_rows(values_only=True):
    rows += 1
print(rows)
"""


def timed_child(command: list[str], env: dict) -> tuple[float, float, str]:
    """Run a child process to its end: wall seconds, its own peak RSS in MB, its output."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise SystemExit(f"{command[1:3]} exited with {child.returncode}")
        out.seek(0)
        return seconds, usage.ru_maxrss / 1024, out.read()


def import_once(path: Path, url: str) -> tuple[float, float, dict]:
    recreate_database(url)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    seconds, peak, out = timed_child(
        [python, str(ROOT / "manage.py"), "import_feedback", str(path), "--json"], env
    )
    return seconds, peak, json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_DB)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import openpyxl

    from insights.demo_exports import qualtrics_export_write

    workdir = Path(tempfile.mkdtemp(prefix="backlight-bench-"))
    csv_path = workdir / "qualtrics_200k.csv"
    truth = qualtrics_export_write(csv_path, responses=args.rows, seed=1, invalid_every=1000)
    xlsx_path = workdir / "qualtrics_200k.xlsx"
    workbook = openpyxl.Workbook(write_only=True)  # strings go to the shared-strings table
    sheet = workbook.create_sheet("Responses")
    with csv_path.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    workbook.save(xlsx_path)

    xlsx_seconds, xlsx_peak, xlsx_summary = import_once(xlsx_path, url)
    assert xlsx_summary["created"] == truth.feedback_records, xlsx_summary
    print(f"xlsx: {xlsx_seconds:.1f} s, {xlsx_peak:.0f} MB", file=sys.stderr)
    csv_seconds, _, csv_summary = import_once(csv_path, url)
    assert csv_summary["created"] == truth.feedback_records, csv_summary
    openpyxl_seconds, _, out = timed_child(
        [sys.executable, "-c", _READ_WITH_OPENPYXL, str(xlsx_path)], dict(os.environ)
    )
    assert int(out) == args.rows + 3, out  # three header rows

    print(
        json.dumps(
            {
                "machine": f"{platform.node()} {os.cpu_count()} cores",
                "date": time.strftime("%Y-%m-%d %H:%M"),
                "load_average": os.getloadavg(),
                "source_rows": args.rows,
                "xlsx_mb": round(xlsx_path.stat().st_size / 1e6, 1),
                "xlsx_import_seconds": round(xlsx_seconds, 2),
                "xlsx_import_rows_per_s": round(args.rows / xlsx_seconds),
                "xlsx_import_peak_rss_mb": round(xlsx_peak),
                "csv_import_seconds": round(csv_seconds, 2),
                "xlsx_vs_csv_import": round(csv_seconds / xlsx_seconds, 3),
                "openpyxl_read_only_seconds": round(openpyxl_seconds, 2),
                "openpyxl_read_only_rows_per_s": round(args.rows / openpyxl_seconds),
                "xlsx_import_vs_openpyxl_reading_alone": round(openpyxl_seconds / xlsx_seconds, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
