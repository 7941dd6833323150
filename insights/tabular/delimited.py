"""CSV and TSV exports, one record at a time, with the physical line each record starts on.

`csv_records` streams in constant memory: a line longer than any cell may be is counted for cells
before the csv module splits it, cells stop at the cell limit, and a file that ends inside a quoted
cell is reported with the line that cell starts on.
"""

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

from insights.tabular.sniff import (
    DELIMITERS,
    TableInfo,
    TabularError,
    TabularLimits,
    cell_too_long,
    first_undecodable,
    too_many_columns,
    too_many_rows,
    undecodable,
)


class _Cursor:
    """Shared between the line feeder and the record loop of `csv_records`."""

    __slots__ = ("record_end", "lines", "last_line_complete", "truncated")

    def __init__(self) -> None:
        self.record_end = 0  # physical line on which the last complete record ended
        self.lines = 0
        self.last_line_complete = True
        self.truncated = False


def csv_records(
    path: Path, info: TableInfo, *, limits: TabularLimits
) -> Iterator[tuple[int, list[str]]]:
    # csv stops at the cell limit before holding more of a cell in memory, and costs nothing per
    # row. The setting is process-wide; no other code here parses CSV with the csv module.
    csv.field_size_limit(limits.max_cell_chars)
    max_rows, max_columns, max_cell = limits.max_rows, limits.max_columns, limits.max_cell_chars
    cursor = _Cursor()
    count = 0
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding=info.encoding, newline="") as text:
        lines = _physical_lines(text, cursor, path=path, info=info, limits=limits)
        reader = csv.reader(lines, delimiter=info.delimiter)
        try:
            for row in reader:
                start = cursor.record_end + 1
                cursor.record_end = reader.line_num
                if cursor.truncated:
                    raise _truncated(row, cursor)
                if not row or not (row[0].strip() or "".join(row).strip()):
                    continue
                if len(row) > max_columns:
                    raise too_many_columns(start, len(row), max_columns)
                count += 1
                if count > max_rows:
                    raise too_many_rows(max_rows)
                yield start, row
        except csv.Error as error:
            if "field limit" in str(error):
                raise cell_too_long(cursor.record_end + 1, max_cell) from error
            raise TabularError(
                f"Line {cursor.record_end + 1:,} cannot be read as CSV ({error})."
            ) from error


def _physical_lines(
    text: io.TextIOWrapper, cursor: _Cursor, *, path: Path, info: TableInfo, limits: TabularLimits
) -> Iterator[str]:
    number = 0
    line = ""
    longest = limits.max_cell_chars  # a longer line may hold too many cells: count them first
    try:
        for line in text:
            number += 1
            if "\x00" in line:
                raise TabularError(
                    f"Line {number:,} contains a NUL character: the file is damaged or binary."
                )
            if len(line) > longest:
                _check_long_line(line, number, cursor=cursor, info=info, limits=limits)
            yield line
    except UnicodeDecodeError as error:
        bad = first_undecodable(path, info.encoding or "utf-8")
        byte, position = bad if bad else (error.object[error.start], error.start)
        raise undecodable(info.encoding or "utf-8", byte, position) from error
    cursor.lines = number
    cursor.last_line_complete = line.endswith(("\n", "\r"))
    # The reader asks for more while a record is open only inside a quoted cell.
    cursor.truncated = number > cursor.record_end


def _truncated(row: list[str], cursor: _Cursor) -> TabularError:
    cell = row[-1] if row else ""
    breaks = cell.count("\n") + cell.count("\r") - cell.count("\r\n")
    start = cursor.lines - breaks + (1 if cursor.last_line_complete else 0)
    return TabularError(
        f"The file ends inside a quoted cell that starts on line {start:,}: it looks truncated."
    )


_SPECIAL = {d: re.compile(f'["{d}]') for d in DELIMITERS}


def _check_long_line(
    line: str, number: int, *, cursor: _Cursor, info: TableInfo, limits: TabularLimits
) -> None:
    """Refuse a physical line with too many cells before csv builds a list of all of them:
    a 200 MB line of commas would otherwise become 200 million list entries."""
    delimiter, limit = info.delimiter or ",", limits.max_columns
    in_quotes = number > cursor.record_end + 1
    if not in_quotes and '"' not in line:
        cells = line.count(delimiter) + 1
        if cells > limit:
            raise too_many_columns(number, cells, limit)
        return
    cells, field_start, closing = 1, -1 if in_quotes else 0, -2
    for match in _SPECIAL[delimiter].finditer(line):
        position, char = match.start(), match.group()
        if in_quotes:
            if char == '"':
                in_quotes, closing = False, position
            continue
        if closing >= 0:
            if char == '"' and position == closing + 1:  # a doubled quote inside the cell
                in_quotes, closing = True, -2
                continue
            closing = -2
        if char == delimiter:
            cells += 1
            if cells > limit:
                raise too_many_columns(number, cells, limit, exact=False)
            field_start = position + 1
        elif position == field_start:
            in_quotes = True
