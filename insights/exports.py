"""CSV downloads that are safe to open in Excel, LibreOffice and Google Sheets.

Cells that a spreadsheet would run as a formula get a leading apostrophe (OWASP's advice against
CSV injection): feedback text is written by customers, and `=HYPERLINK(...)` in a comment must
stay text on the machine of the colleague who opens the export.

Files are UTF-8 with a byte order mark: without it Excel reads them as the local ANSI code page
and breaks every accent; other spreadsheet programs and csv readers skip the mark (Python's with
encoding="utf-8-sig").
"""

import csv
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from django.http import StreamingHttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header

BOM = "\ufeff"
CHUNK_CHARS = 64 * 1024
# "=", "+", "-", "@" and their full-width forms, which some Excel locales also read as formulas.
_FORMULA_STARTS = "=+-@\uff1d\uff0b\uff0d\uff20"
_CONTROL_STARTS = ("\t", "\r")
_NEGATIVE_NUMBER = re.compile(r"-(?:\d+(?:[.,]\d+)*|[.,]\d+)(?:[eE][+-]?\d+)?")
_UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


class SupportsWrite(Protocol):
    def write(self, text: str, /) -> object: ...


def neutralize_cell(value: object) -> str:
    """The cell as text that no spreadsheet will evaluate; negative numbers stay numbers."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if not text:
        return text
    if text.startswith(_CONTROL_STARTS):
        return "'" + text
    stripped = text.lstrip()
    if stripped[:1] and stripped[0] in _FORMULA_STARTS:
        if _NEGATIVE_NUMBER.fullmatch(stripped.rstrip()):
            return text
        return "'" + text
    return text


class _Buffer:
    """A write target for csv.writer that hands its text back in chunks."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        self.size = 0
        return text


def iter_csv_chunks(header: Sequence[object], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The whole CSV file (mark, header, rows), every cell neutralised, in chunks of ~64 KB."""
    buffer = _Buffer()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([neutralize_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralize_cell(cell) for cell in row])
        if buffer.size >= CHUNK_CHARS:
            yield buffer.take()
    yield buffer.take()


def write_csv(
    stream: SupportsWrite, header: Sequence[object], rows: Iterable[Sequence[object]]
) -> None:
    """Write a whole CSV file to a text stream opened with encoding="utf-8" and newline=""."""
    for chunk in iter_csv_chunks(header, rows):
        stream.write(chunk)


def safe_filename(filename: str, *, default: str = "export") -> str:
    """An ASCII name ending in .csv with no path, quote or control characters."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    stem = ascii_name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = stem.removesuffix(".csv").removesuffix(".CSV")
    stem = _UNSAFE_FILENAME_CHARS.sub("_", stem).strip("._-")[:100]
    return f"{stem or default}.csv"


def csv_download(
    filename: str, header: Sequence[object], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """Stream a CSV export as an attachment; rows are read lazily while the response is sent."""
    response = StreamingHttpResponse(
        iter_csv_chunks(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=safe_filename(filename)
    )
    # Exports hold customer data: no shared cache may keep a copy.
    add_never_cache_headers(response)
    return response
