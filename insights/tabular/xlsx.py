"""XLSX workbooks, streamed row by row straight from the zip, without openpyxl.

A workbook is a zip of XML parts. `xlsx_records` finds the first worksheet through
`xl/workbook.xml` and its relationships, learns from `xl/styles.xml` which cell styles show
numbers as dates, and streams the sheet's rows, parsing `xl/sharedStrings.xml` only as far as the
rows read so far refer to it. Cells come back as the text the openpyxl reader used to give:
whole numbers without ".0", dates as "YYYY-MM-DD HH:MM:SS", booleans as TRUE and FALSE.

Every part is parsed by defusedxml's parser, so an entity declaration, an external reference or
(here) any DTD at all stops the read. Its ElementTree layer is left out: defusedxml builds the
tree with pure-Python ElementTree (that is how it reaches expat's handlers), and a tree costs an
object per element: at 1,400 to 2,000 rows a second that is what made openpyxl, which parses
with it, too slow. Expat's callbacks build the rows directly instead, so memory holds one row at a
time and no element is kept.
"""

import datetime as dt
import posixpath
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from defusedxml import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from defusedxml.ElementTree import DefusedXMLParser

from insights.tabular.sniff import (
    TabularError,
    TabularLimits,
    cell_too_long,
    check_xlsx_archive,
    too_many_columns,
    too_many_rows,
)
from insights.tabular.xlsx_values import (
    EPOCH_1900,
    EPOCH_1904,
    format_shows_date,
    iso_text,
    number_text,
    serial_text,
)

PART_BYTES = 64 * 1024  # inflated bytes parsed at a time: a few hundred rows
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELATIONSHIPS = "xl/_rels/workbook.xml.rels"
FIRST_SHEET = "xl/worksheets/sheet1.xml"
STYLES = "xl/styles.xml"
SHARED_STRINGS = "xl/sharedStrings.xml"
MAX_COLUMN = 18_278  # ZZZ, the widest reference a cell can have

# What a file can do wrong while it is read; anything else is a bug here and propagates.
_DAMAGED = (
    SyntaxError,  # xml.etree.ElementTree.ParseError: malformed XML
    expat.ExpatError,
    ValueError,  # defusedxml's refusals; numbers and references that are not numbers
    zipfile.BadZipFile,  # a part whose CRC does not match
    zlib.error,
    EOFError,
    NotImplementedError,  # a compression method zipfile does not support
)
_DIGITS = "0123456789"


def xlsx_records(path: Path, *, limits: TabularLimits) -> Iterator[tuple[int, list[str]]]:
    """Every non-blank row of the first worksheet as (its row number, cells); see `iter_rows`."""
    check_xlsx_archive(path, limits=limits)
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = _workbook(archive)
            styles = _date_styles(archive, workbook.styles) if workbook.styles else {}
            strings = _SharedStrings(archive, workbook.shared_strings)
            epoch = EPOCH_1904 if workbook.date1904 else EPOCH_1900
            try:
                yield from _sheet_records(archive, workbook.sheet, strings, styles, epoch, limits)
            finally:
                strings.close()
    except TabularError:
        raise
    except _DAMAGED as error:
        raise _xlsx_error(error) from error


def _xlsx_error(error: BaseException) -> TabularError:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            external = isinstance(cause, ExternalReferenceForbidden) or (
                isinstance(cause, EntitiesForbidden | DTDForbidden)
                and bool(cause.sysid or cause.pubid)
            )
            feature = "external entities" if external else "entity or DTD declarations"
            return TabularError(
                f"The spreadsheet contains XML features that are not allowed ({feature})."
            )
        cause = cause.__cause__ or cause.__context__
    return TabularError(
        "The spreadsheet cannot be read: it is damaged or not a valid XLSX workbook. "
        "Save it again from Excel, or export it as CSV."
    )


# --- XML parts ------------------------------------------------------------------------------


class _NoTree:
    """A target without start, end or data: ElementTree sets no element handlers for it."""


class _Parser(DefusedXMLParser):
    """defusedxml's parser, whose element handlers the caller sets on `expat`.

    Names come as "<namespace URI>}<local name>", attributes as a dict. It refuses entity
    declarations and external references as defusedxml does, and any other document type
    declaration where it ends: after the declarations inside it, so that the refusal names the
    worst of them."""

    def __init__(self) -> None:
        super().__init__(target=_NoTree(), forbid_dtd=False)
        self.expat = self.parser
        self.expat.ordered_attributes = False
        self.expat.StartDoctypeDeclHandler = self._doctype_start
        self.expat.EndDoctypeDeclHandler = self._doctype_end
        self._declared: tuple[str, str | None, str | None] = ("", None, None)

    def _doctype_start(
        self, name: str, sysid: str | None, pubid: str | None, has_internal_subset: bool
    ) -> None:
        self._declared = (name, sysid, pubid)

    def _doctype_end(self) -> None:
        raise DTDForbidden(*self._declared)

    def parse(self, archive: zipfile.ZipFile, name: str) -> Iterator[None]:
        """Feeds the part a chunk at a time, pausing after each (and after the end) for the
        caller to pass on what the handlers made of it."""
        with archive.open(name) as part:
            while data := part.read(PART_BYTES):
                self.feed(data)
                yield
        self.close()
        yield


class _Stop(Exception):  # noqa: N818 - control flow, not an error
    """Raised by a handler once the rest of a part does not matter."""


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def _elements(archive: zipfile.ZipFile, name: str) -> Iterator[tuple[str, dict[str, str] | None]]:
    """(local name, attributes) for each element of a small part as it starts, and (local name,
    None) as it ends."""
    parser = _Parser()
    seen: list[tuple[str, dict[str, str] | None]] = []
    parser.expat.StartElementHandler = lambda name, attributes: seen.append(
        (_local(name), attributes)
    )
    parser.expat.EndElementHandler = lambda name: seen.append((_local(name), None))
    for _ in parser.parse(archive, name):
        yield from seen
        seen.clear()


# --- workbook, styles, shared strings ---------------------------------------------------------


@dataclass(frozen=True)
class _Workbook:
    sheet: str
    styles: str | None
    shared_strings: str | None
    date1904: bool


def _workbook(archive: zipfile.ZipFile) -> _Workbook:
    """Where the first worksheet, the styles and the shared strings are, and the date system."""
    members = {name.lower(): name for name in archive.namelist()}  # Excel ignores case

    def member(name: str) -> str:
        return members.get(name.lower(), "")

    sheet_ids: list[str] = []
    date1904 = False
    if member(WORKBOOK):
        for tag, attributes in _elements(archive, member(WORKBOOK)):
            if tag == "sheet" and attributes:
                sheet_ids += [v for k, v in attributes.items() if _local(k) == "id"]
            elif tag == "workbookPr" and attributes:
                date1904 = attributes.get("date1904", "").strip().lower() in ("1", "true")
    relationships: dict[str, tuple[str, str]] = {}  # id -> (type, zip member or "")
    if member(WORKBOOK_RELATIONSHIPS):
        for tag, attributes in _elements(archive, member(WORKBOOK_RELATIONSHIPS)):
            if tag == "Relationship" and attributes and attributes.get("TargetMode") != "External":
                kind = attributes.get("Type", "").rpartition("/")[2]
                target = member(_part_name(attributes.get("Target", "")))
                relationships[attributes.get("Id", "")] = (kind, target)
    sheets = [relationships.get(sheet_id, ("", "")) for sheet_id in sheet_ids]
    sheet = next((name for kind, name in sheets if kind == "worksheet" and name), None)
    sheet = sheet or member(FIRST_SHEET)
    if not sheet:
        raise TabularError("The spreadsheet has no worksheet.")
    parts = {kind: name for kind, name in relationships.values() if name}
    return _Workbook(
        sheet=sheet,
        styles=parts.get("styles") or member(STYLES) or None,
        shared_strings=parts.get("sharedStrings") or member(SHARED_STRINGS) or None,
        date1904=date1904,
    )


def _part_name(target: str) -> str:
    """A relationship target as a zip member name; targets are relative to xl/ unless they
    start with a slash."""
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join("xl", target))


def _date_styles(archive: zipfile.ZipFile, name: str) -> dict[str, bool]:
    """The cell styles that show numbers as dates or times, as the `s` attribute of a cell spells
    them (their position in cellXfs), each with whether it shows a duration ([h]:mm:ss)."""
    custom: dict[str, str] = {}
    formats: list[str] = []
    in_cell_formats = False
    for tag, attributes in _elements(archive, name):
        if tag == "numFmt" and attributes:
            custom[attributes.get("numFmtId", "")] = attributes.get("formatCode", "")
        elif tag == "cellXfs":
            if attributes is None:
                break  # nothing after the cell formats matters here
            in_cell_formats = True
        elif tag == "xf" and attributes and in_cell_formats:
            formats.append(attributes.get("numFmtId", "0"))
    dates: dict[str, bool] = {}
    for position, format_id in enumerate(formats):
        duration = format_shows_date(format_id, custom)
        if duration is not None:
            dates[str(position)] = duration
    return dates


class _SharedStrings:
    """The workbook's shared strings, parsed only as far as the rows read so far refer to them:
    Excel stores them in the order it first meets them, so the first rows need the first few.

    A string item is its plain text followed by the text of each formatted run, without the
    phonetic guides (rPh)."""

    def __init__(self, archive: zipfile.ZipFile, name: str | None) -> None:
        self.strings: list[str] = []
        self._text = ""
        self._collecting = self._phonetic = False
        self._tags: tuple[str, str, str] = ("", "", "")
        if name is None:
            self._chunks: Iterator[None] = iter(())
            return
        parser = _Parser()
        parser.expat.StartElementHandler = self._root
        parser.expat.EndElementHandler = self._end
        parser.expat.CharacterDataHandler = self._data
        self._expat = parser.expat
        self._chunks = parser.parse(archive, name)

    def get(self, index: int) -> str:
        strings = self.strings
        while index >= len(strings):
            if next(self._chunks, self) is self:
                raise ValueError(f"Shared string {index} does not exist.")
        if index < 0:
            raise ValueError(f"Shared string {index} does not exist.")
        return strings[index]

    def close(self) -> None:
        getattr(self._chunks, "close", lambda: None)()

    def _root(self, name: str, attributes: dict[str, str]) -> None:
        namespace = name[: name.rfind("}") + 1]
        self._tags = (namespace + "si", namespace + "t", namespace + "rPh")
        self._expat.StartElementHandler = self._start

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        item, text, phonetic = self._tags
        if name == text:
            self._collecting = not self._phonetic
        elif name == item:
            self._text = ""
        elif name == phonetic:
            self._phonetic = True

    def _end(self, name: str) -> None:
        item, text, phonetic = self._tags
        if name == text:
            self._collecting = False
        elif name == item:
            # Excel escapes a literal "_xHHHH_" as "_x005F_xHHHH_"; undo that escape only, as
            # the openpyxl reader did.
            value = self._text
            self.strings.append(value.replace("x005F_", "") if "x005F_" in value else value)
        elif name == phonetic:
            self._phonetic = False

    def _data(self, data: str) -> None:
        if self._collecting:
            self._text += data


# --- the sheet --------------------------------------------------------------------------------


def _sheet_records(
    archive: zipfile.ZipFile,
    name: str,
    strings: _SharedStrings,
    date_styles: dict[str, bool],
    epoch: dt.datetime,
    limits: TabularLimits,
) -> Iterator[tuple[int, list[str]]]:
    """The rows of sheetData, each as its cells once the row ends."""
    parser = _Parser()
    rows = _SheetRows(parser.expat, strings, date_styles, epoch, limits)
    try:
        for _ in parser.parse(archive, name):
            yield from rows.ready
            rows.ready.clear()
    except _Stop:
        yield from rows.ready


class _SheetRows:
    """Expat handlers that turn sheetData into rows of text, kept in `ready` until taken.

    Rows that store no trailing empty cells are padded, or trimmed of empty cells, to the width
    of the first non-blank row; cells missing in between are ''. The handlers are closures over
    local variables: they run for every element of the sheet and are the reader's hot loop."""

    def __init__(
        self,
        parser: expat.XMLParserType,
        strings: _SharedStrings,
        date_styles: dict[str, bool],
        epoch: dt.datetime,
        limits: TabularLimits,
    ) -> None:
        self.ready: list[tuple[int, list[str]]] = []
        self._parser = parser
        self._strings = strings
        self._date_styles = date_styles
        self._epoch = epoch
        self._limits = limits
        parser.StartElementHandler = self._root

    def _root(self, name: str, attributes: dict[str, str]) -> None:
        namespace = name[: name.rfind("}") + 1]
        start, end, data = self._handlers(namespace)
        self._parser.StartElementHandler = start
        self._parser.EndElementHandler = end
        self._parser.CharacterDataHandler = data

    def _handlers(
        self, namespace: str
    ) -> tuple[Callable[[str, dict[str, str]], None], Callable[[str], None], Callable[[str], None]]:
        tags = [namespace + tag for tag in ("c", "v", "t", "row", "rPh", "sheetData")]
        for tag in tags:  # expat then passes these very strings: a match needs no compare
            self._parser.intern[tag] = tag
        cell_tag, value_tag, text_tag, row_tag, phonetic_tag, sheet_data_tag = tags
        ready, strings, date_styles, epoch = (
            self.ready,
            self._strings,
            self._date_styles,
            self._epoch,
        )
        shared = strings.strings  # grows as strings.get parses further
        limits = self._limits
        max_rows, max_columns, max_cell = limits.max_rows, limits.max_columns, limits.max_cell_chars
        columns: dict[str, int] = {}  # "AB" -> 28
        cells: list[str] = []
        cell: dict[str, str] = {}
        text = ""
        collecting = phonetic = False
        column = number = count = 0
        width = -1

        def start(name: str, attributes: dict[str, str]) -> None:
            nonlocal cell, text, collecting, phonetic, number
            if name == cell_tag:
                cell = attributes
                text = ""
            elif name == value_tag or name == text_tag:
                collecting = not phonetic
            elif name == row_tag:
                reference = attributes.get("r")
                number = int(reference) if reference else number + 1
            elif name == phonetic_tag:
                phonetic = True

        def data(chunk: str) -> None:
            nonlocal text
            if collecting:
                text += chunk
                if len(text) > max_cell:  # refused now: the cell may go on for megabytes
                    raise cell_too_long(number, max_cell)

        def end(name: str) -> None:
            nonlocal cells, collecting, phonetic, column, count, width
            if collecting:  # only a <v> or a <t> ends while its text is collected
                collecting = False
            elif name == cell_tag:
                kind = cell.get("t")
                if kind == "inlineStr":
                    value = text
                elif kind == "s":
                    if not text:
                        value = ""
                    else:
                        index = int(text)
                        value = shared[index] if 0 <= index < len(shared) else strings.get(index)
                elif kind is None or kind == "n":
                    if not text:
                        value = ""
                    else:
                        duration = date_styles.get(cell.get("s", "0"))
                        if duration is None:
                            value = number_text(text)
                        else:
                            value = serial_text(text, epoch=epoch, duration=duration)
                elif kind == "b":
                    value = ("TRUE" if int(text) else "FALSE") if text else ""
                elif kind == "d":
                    value = iso_text(text)
                else:  # "str" (a formula's text result), "e" (an error such as #N/A)
                    value = text
                reference = cell.get("r")
                if reference is None:
                    column += 1
                else:
                    letters = reference.rstrip(_DIGITS)
                    column = columns.get(letters) or _column_number(letters, columns)
                filled = len(cells)
                if column == filled + 1 and column <= max_columns:
                    cells.append(value)
                elif column > max_columns:
                    # Refused at once, not when the row ends: it may go on for millions of cells.
                    raise too_many_columns(number, column, max_columns, exact=False)
                elif column > filled:
                    cells.extend([""] * (column - filled - 1))
                    cells.append(value)
                else:
                    cells[column - 1] = value
            elif name == row_tag:
                row, cells, column = cells, [], 0
                joined = "".join(row)
                if not joined or joined.isspace():
                    return
                # XML cannot carry a NUL character (expat refuses even &#0;): no check for one.
                if len(joined) > max_cell and max(map(len, row)) > max_cell:
                    raise cell_too_long(number, max_cell)
                if width < 0:
                    while not row[-1]:
                        row.pop()
                    width = len(row)
                elif len(row) < width:
                    row.extend([""] * (width - len(row)))
                else:
                    while len(row) > width and not row[-1]:
                        row.pop()
                count += 1
                if count > max_rows:
                    raise too_many_rows(max_rows)
                ready.append((number, row))
            elif name == phonetic_tag:
                phonetic = False
            elif name == sheet_data_tag:
                raise _Stop  # the rest of the sheet is layout

        return start, end, data


def _column_number(letters: str, cache: dict[str, int]) -> int:
    number = 0
    for letter in letters.upper():
        if not "A" <= letter <= "Z":
            raise ValueError(f"{letters!r} is not a column.")
        number = number * 26 + ord(letter) - 64
    if not 0 < number <= MAX_COLUMN:
        raise ValueError(f"{letters!r} is not a column.")
    cache[letters] = number
    return number
