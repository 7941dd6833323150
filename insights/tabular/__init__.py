"""Read uploaded CSV, TSV and XLSX exports safely, one row at a time.

`sniff_table` looks at the start of a file (and, for XLSX, its zip metadata) and refuses what can
never be imported; `iter_rows` streams every record with the line it starts on; `read_head` takes
the first few for format detection and previews. Every refusal is a `TabularError` whose text is a
sentence for the person who uploaded the file. Plain Python, no ORM.

The package: `sniff` (file types, encodings, delimiters, zip-bomb checks, the limits and the
error type) ← `delimited` (CSV and TSV) and `xlsx` (workbooks, streamed from the zip, with
`xlsx_values` for what a cell's stored value reads as); `spool` keeps the records of a workbook
as CSV for a second pass.
"""

import itertools
from collections.abc import Iterator
from pathlib import Path

from insights.tabular.delimited import csv_records
from insights.tabular.sniff import TableInfo, TabularError, TabularLimits, sniff_table
from insights.tabular.spool import spool_records, spooled
from insights.tabular.xlsx import xlsx_records

__all__ = [
    "TableInfo",
    "TabularError",
    "TabularLimits",
    "iter_rows",
    "read_head",
    "sniff_table",
    "spool_records",
    "spooled",
]


def iter_rows(
    path: Path, info: TableInfo, *, limits: TabularLimits
) -> Iterator[tuple[int, list[str]]]:
    """Every non-blank record, header rows included, as (line it starts on, cells).

    Streams in constant memory. Raises TabularError for a file that cannot be read to its end.
    CSV records whose width differs from the header's are yielded as they are; XLSX rows, which
    store no trailing empty cells, are padded or trimmed with empty cells to the header's width.
    """
    if info.file_type == "xlsx":
        return xlsx_records(path, limits=limits)
    if info.file_type == "csv":
        return csv_records(path, info, limits=limits)
    raise ValueError(f"Unknown file type {info.file_type!r}.")


def read_head(
    path: Path, info: TableInfo, *, limits: TabularLimits, rows: int = 6
) -> list[tuple[int, list[str]]]:
    """The first `rows` records, for format detection and previews."""
    records = iter_rows(path, info, limits=limits)
    try:
        return list(itertools.islice(records, rows))
    finally:
        records.close()
