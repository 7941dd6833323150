"""A spool: the records of a slow-to-read file written once as plain CSV, so that later passes
read them at CSV speed.

An XLSX sheet is parsed from XML at about 7,000 rows a second, a CSV at about 300,000. An import
reads its file twice (a check pass, so that a bad file stores nothing, then the store pass), so
the check pass of a workbook writes the records it reads to a spool and the store pass reads the
spool. Each record keeps the line (the sheet's row number) it came from, as the spool's first
cell. The spool is written to a temporary name and renamed when complete: a spool that exists is
whole.
"""

import csv
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from insights.tabular.sniff import TabularLimits


def spooled(
    records: Iterable[tuple[int, list[str]]], path: Path
) -> Iterator[tuple[int, list[str]]]:
    """The records, passed through unchanged while they are written to the spool at `path` (so
    the caller counts and checks them in the same pass). The spool appears at `path` only when
    the last record was taken; an error or an early stop removes the partial file."""
    partial = path.with_name(f"{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            for line, cells in records:
                writer.writerow([line, *cells])
                yield line, cells
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def spool_records(path: Path, *, limits: TabularLimits) -> Iterator[tuple[int, list[str]]]:
    """The records of a spool, as `insights.tabular.iter_rows` gave them when it was written."""
    csv.field_size_limit(limits.max_cell_chars)  # the cells were checked against it already
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            yield int(row[0]), row[1:]
