"""What an uploaded file is, and the vocabulary its readers share.

`sniff_table` refuses what can never be imported (other file types, bad encodings, zip bombs) from
the start of the file and, for XLSX, from the zip's metadata alone. The limits, `TableInfo`, the
one error type and the messages for records over a limit live here too, so that `delimited` and
`xlsx` read under the same rules.
"""

import codecs
import csv
import io
import itertools
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024
CHUNK_BYTES = MB
HEAD_BYTES = 64 * 1024
SAMPLE_RECORDS = 50
DELIMITERS = ("\t", ";", ",")  # on a tie the earlier wins: ";" files often hold decimal commas
MAX_ZIP_ENTRIES = 10_000  # a real workbook has dozens; millions would exhaust memory in zipfile
NOT_AN_EXPORT = "not a CSV, TSV or XLSX export"

# Bytes that are never in text: C0 controls except tab, newline, form feed and carriage return.
_CONTROL_BYTES = bytes([*range(0, 9), 11, *range(14, 32)])
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
_MAGIC = (
    (b"%PDF", f"This file is a PDF, {NOT_AN_EXPORT}."),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "This file is an old Excel workbook (.xls) or a password-protected Office file; "
        "save it as XLSX or CSV without a password and upload it again.",
    ),
    (b"\x89PNG", f"This file is a PNG image, {NOT_AN_EXPORT}."),
    (b"\xff\xd8\xff", f"This file is a JPEG image, {NOT_AN_EXPORT}."),
    (b"GIF8", f"This file is a GIF image, {NOT_AN_EXPORT}."),
    (b"\x1f\x8b", f"This file is a gzip archive, {NOT_AN_EXPORT}; unpack it first."),
    (b"\x00\x00\xfe\xff", "This file is UTF-32 text; save it as UTF-8 and upload it again."),
    (b"\xff\xfe\x00\x00", "This file is UTF-32 text; save it as UTF-8 and upload it again."),
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_EOCD = struct.Struct("<4s4H2LH")  # zip end-of-central-directory record


class TabularError(ValueError):
    """A file that cannot be imported at all. str(error) is one clear sentence for people, e.g.
    'This file is a PDF, not a CSV, TSV or XLSX export.'"""


@dataclass(frozen=True)
class TabularLimits:
    max_bytes: int
    max_rows: int
    max_columns: int
    max_cell_chars: int
    xlsx_max_uncompressed: int
    xlsx_max_ratio: int

    @classmethod
    def from_settings(cls) -> "TabularLimits":
        from django.conf import settings

        return cls(
            max_bytes=settings.BACKLIGHT_IMPORT_MAX_BYTES,
            max_rows=settings.BACKLIGHT_IMPORT_MAX_ROWS,
            max_columns=settings.BACKLIGHT_IMPORT_MAX_COLUMNS,
            max_cell_chars=settings.BACKLIGHT_IMPORT_MAX_CELL_CHARS,
            xlsx_max_uncompressed=settings.BACKLIGHT_IMPORT_XLSX_MAX_UNCOMPRESSED,
            xlsx_max_ratio=settings.BACKLIGHT_IMPORT_XLSX_MAX_RATIO,
        )


@dataclass(frozen=True)
class TableInfo:
    file_type: str  # "csv" | "xlsx"  (TSV is csv with delimiter "\t")
    encoding: str | None  # "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252"
    delimiter: str | None  # ",", ";", "\t"; None for xlsx
    size: int


def _megabytes(size: int) -> str:
    return f"{size / MB:,.1f}".removesuffix(".0")


def too_many_columns(line: int, columns: int, limit: int, *, exact: bool = True) -> TabularError:
    amount = f"{columns:,}" if exact else f"more than {limit:,}"
    return TabularError(f"Line {line:,} has {amount} columns; the limit is {limit:,}.")


def too_many_rows(limit: int) -> TabularError:
    return TabularError(f"The file has more than {limit:,} rows; the limit is {limit:,}.")


def cell_too_long(line: int, limit: int) -> TabularError:
    return TabularError(f"Line {line:,} has a cell of more than {limit:,} characters.")


def sniff_table(path: Path, *, limits: TabularLimits) -> TableInfo:
    """What kind of table the file holds, or TabularError when it can never be imported."""
    size = path.stat().st_size
    if size == 0:
        raise TabularError("The file is empty.")
    if size > limits.max_bytes:
        raise TabularError(
            f"This file is {_megabytes(size)} MB, more than the "
            f"{_megabytes(limits.max_bytes)} MB limit."
        )
    with path.open("rb") as file:
        head = file.read(HEAD_BYTES)
    for magic, message in _MAGIC:
        if head.startswith(magic):
            raise TabularError(message)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        check_xlsx_archive(path, limits=limits)
        return TableInfo(file_type="xlsx", encoding=None, delimiter=None, size=size)

    encoding = _text_encoding(path, head)
    sample = _text_sample(path, encoding, whole_file=len(head) == size)
    if sample is None:
        raise TabularError("The file is empty: it holds only blank space.")
    start = sample.lstrip()[:100].lower()
    if start.startswith(("<!doctype html", "<html")):
        raise TabularError(f"This file is a web page (HTML), {NOT_AN_EXPORT}.")
    if start.startswith("<?xml"):
        raise TabularError(f"This file is an XML document, {NOT_AN_EXPORT}.")
    return TableInfo(
        file_type="csv", encoding=encoding, delimiter=_detect_delimiter(sample), size=size
    )


def _text_encoding(path: Path, head: bytes) -> str:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    utf16 = _utf16_without_bom(head)
    if utf16:
        return utf16
    controls = len(head.translate(None, _NOT_CONTROL_BYTES))
    if b"\x00" in head or controls > max(8, len(head) // 100):
        raise TabularError(f"This file is binary data, {NOT_AN_EXPORT}.")
    if first_undecodable(path, "utf-8") is None:
        return "utf-8"
    bad = first_undecodable(path, "cp1252")
    if bad is not None:
        byte, position = bad
        raise TabularError(
            "The file is not valid text in UTF-8, UTF-16 or Windows-1252 "
            f"(byte 0x{byte:02X} at position {position:,})."
        )
    return "cp1252"


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text mostly in Latin script has a NUL in every other byte."""
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even, odd = head[0 : 2 * pairs : 2].count(0), head[1 : 2 * pairs : 2].count(0)
    if odd > pairs * 0.3 and even < pairs * 0.05:
        encoding = "utf-16-le"
    elif even > pairs * 0.3 and odd < pairs * 0.05:
        encoding = "utf-16-be"
    else:
        return None
    try:
        codecs.getincrementaldecoder(encoding)().decode(head[: 2 * pairs])
    except UnicodeDecodeError:
        return None
    return encoding


class _BadByte(Exception):
    def __init__(self, byte: int, position: int) -> None:
        super().__init__(byte, position)
        self.byte, self.position = byte, position


def _decoded_chunks(path: Path, encoding: str, *, chunk_bytes: int) -> Iterator[str]:
    """The file's text chunk by chunk; _BadByte with its offset in the file on the first byte
    that is not valid in `encoding`."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as file:
        while True:
            chunk = file.read(chunk_bytes)
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                position = offset - len(pending) + error.start
                raise _BadByte(error.object[error.start], position) from None
            yield text
            if not chunk:
                return
            offset += len(chunk)


def first_undecodable(path: Path, encoding: str) -> tuple[int, int] | None:
    """(byte, offset) of the first byte that is not valid in `encoding`, or None."""
    try:
        for _text in _decoded_chunks(path, encoding, chunk_bytes=CHUNK_BYTES):
            pass
    except _BadByte as bad:
        return bad.byte, bad.position
    return None


def _text_sample(path: Path, encoding: str, *, whole_file: bool) -> str | None:
    """The first records of the file as text, or None when the whole file is blank space."""
    parts: list[str] = []
    length = 0
    seen_text = complete = False
    try:
        for text in _decoded_chunks(path, encoding, chunk_bytes=HEAD_BYTES):
            if length < HEAD_BYTES:
                parts.append(text)
                length += len(text)
            seen_text = seen_text or (text != "" and not text.isspace())
            if seen_text and length >= HEAD_BYTES:
                break
        else:
            complete = True
    except _BadByte as bad:
        raise undecodable(encoding, bad.byte, bad.position) from None
    if not seen_text:
        return None
    sample = "".join(parts)
    if not (complete or whole_file):
        cut = max(sample.rfind("\n"), sample.rfind("\r"))
        if cut > 0:
            sample = sample[: cut + 1]
    return sample


def undecodable(encoding: str, byte: int, position: int) -> TabularError:
    name = {"cp1252": "Windows-1252"}.get(encoding, encoding.upper().removesuffix("-SIG"))
    name = "UTF-16" if name.startswith("UTF-16") else name
    return TabularError(
        f"The file is not valid {name} text (byte 0x{byte:02X} at position {position:,})."
    )


def _detect_delimiter(sample: str) -> str:
    """The delimiter that splits the most sampled records into the same number of cells."""
    best, best_score = ",", (0, False, 0)
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        try:
            lengths = [len(r) for r in itertools.islice(reader, SAMPLE_RECORDS) if any(r)]
        except csv.Error:
            continue
        split = [n for n in lengths if n > 1]
        if not split:
            continue
        common = max(set(split), key=split.count)
        score = (split.count(common), lengths[0] == common, common)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def check_xlsx_archive(path: Path, *, limits: TabularLimits) -> None:
    """Refuse from the zip's metadata alone, before anything is inflated or parsed."""
    entries = _zip_entry_count(path)
    if entries is not None and entries > MAX_ZIP_ENTRIES:
        raise TabularError(
            f"This spreadsheet has {entries:,} parts inside; a real workbook has far fewer."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        EOFError,
        ValueError,
    ) as error:
        raise TabularError(f"This file is a damaged ZIP archive, {NOT_AN_EXPORT}.") from error
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        if "mimetype" in names and "content.xml" in names:
            kind = "an OpenDocument file (.ods); save it as XLSX or CSV and upload it again"
        elif any(n.startswith("word/") for n in names):
            kind = f"a Word document, {NOT_AN_EXPORT}"
        elif any(n.startswith("ppt/") for n in names):
            kind = f"a PowerPoint presentation, {NOT_AN_EXPORT}"
        else:
            kind = f"a ZIP archive, {NOT_AN_EXPORT}"
        raise TabularError(f"This file is {kind}.")
    if any(info.flag_bits & 0x1 for info in infos):
        raise TabularError("This spreadsheet is encrypted; save it without a password.")
    total = sum(info.file_size for info in infos)
    if total > limits.xlsx_max_uncompressed:
        raise TabularError(
            f"This spreadsheet would expand to {_megabytes(total)} MB when opened, more than "
            f"the {_megabytes(limits.xlsx_max_uncompressed)} MB limit."
        )
    # Small parts (styles, themes) compress very well and are harmless; judge the big ones.
    compressed = sum(info.compress_size for info in infos)
    for size, packed in [(total, compressed)] + [(i.file_size, i.compress_size) for i in infos]:
        if size > MB and size > limits.xlsx_max_ratio * max(packed, 1):
            raise TabularError(
                f"This spreadsheet would expand {size // max(packed, 1):,} times when opened, "
                f"more than the limit of {limits.xlsx_max_ratio:,} times; it looks like a "
                "zip bomb."
            )


def _zip_entry_count(path: Path) -> int | None:
    """Entries announced by the end-of-central-directory record, read before zipfile builds one
    object per entry (a crafted 200 MB central directory would hold millions)."""
    with path.open("rb") as file:
        file.seek(0, io.SEEK_END)
        size = file.tell()
        file.seek(max(0, size - _EOCD.size - 0xFFFF))
        tail = file.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        return None
    return _EOCD.unpack_from(tail, at)[4]  # 0xFFFF (zip64) counts as too many
