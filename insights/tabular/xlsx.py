"""XLSX workbooks, streamed row by row straight from the zip, without openpyxl.

A workbook is a zip of XML parts. `xlsx_records` finds the first worksheet through
`xl/workbook.xml` and its relationships, learns from `xl/styles.xml` which cell styles show
numbers as dates, and streams the sheet's rows, parsing `xl/sharedStrings.xml` only as far as the
rows read so far refer to it. Cells come back as the text the openpyxl reader used to give:
whole numbers without ".0", dates as "YYYY-MM-DD HH:MM:SS", booleans as TRUE and FALSE.

Every part is parsed by defusedxml's parser, so an entity declaration, an external reference or
(here) any DTD at all stops the read. Its ElementTree layer is left out: defusedxml builds the
tree with pure-Python ElementTree (that is how it reaches expat's handlers), and a tree costs an
object per element; at about 1,400 rows a second that is what made openpyxl, which parses with
it, too slow. Expat's callbacks build the rows directly instead, so memory holds one row at a
time and no element is kept.
"""

import datetime as dt
import posixpath
import re
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
_EPOCH_1900 = dt.datetime(1899, 12, 30)  # noqa: DTZ001 - serial dates have no time zone
_EPOCH_1904 = dt.datetime(1904, 1, 1)  # noqa: DTZ001
# Built-in number formats (ECMA-376 18.8.30) that show a date or a time; 46 is [h]:mm:ss.
_BUILTIN_DATE_FORMATS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47})
_BUILTIN_DURATION_FORMATS = frozenset({46})
# In a custom format code, quoted text and bracketed colours or locales ("[Red]", "[$€-407]") are
# not date parts; [h], [m] and [s] are. An escaped letter (\d) or a space width (_d) is neither.
_FORMAT_LITERALS = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_PART = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_DURATION_PART = re.compile(
    r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.IGNORECASE
)
# Cells of type "d" hold ISO 8601 text (ECMA-376 18.17.4), or a duration in strict files.
_ISO_DATETIME = re.compile(
    r"(?P<date>(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2}))?T?"
    r"(?P<time>(?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(:(?P<second>\d{2})(?P<fraction>\.\d{1,3})?)?)?Z?"
)
_ISO_DURATION = re.compile(
    r"PT((?P<hours>\d+)H)?((?P<minutes>\d+)M)?((?P<seconds>\d+(\.\d{1,3})?)S)?"
)


def xlsx_records(path: Path, *, limits: TabularLimits) -> Iterator[tuple[int, list[str]]]:
    """Every non-blank row of the first worksheet as (its row number, cells); see `iter_rows`."""
    check_xlsx_archive(path, limits=limits)
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = _workbook(archive)
            styles = _date_styles(archive, workbook.styles) if workbook.styles else {}
            strings = _SharedStrings(archive, workbook.shared_strings)
            epoch = _EPOCH_1904 if workbook.date1904 else _EPOCH_1900
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
        duration = _shows_date(format_id, custom)
        if duration is not None:
            dates[str(position)] = duration
    return dates


def _shows_date(format_id: str, custom: dict[str, str]) -> bool | None:
    """None for a format that is not a date; else whether it is a duration."""
    code = custom.get(format_id)
    if code is None:
        number = int(format_id) if format_id.isdigit() else -1
        if number not in _BUILTIN_DATE_FORMATS:
            return None
        return number in _BUILTIN_DURATION_FORMATS
    section = code.split(";")[0]  # positive numbers: the others cannot make it a date
    if not _DATE_PART.search(_FORMAT_LITERALS.sub("", section)):
        return None
    return _DURATION_PART.search(section) is not None


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
        parser: "expat.XMLParserType",
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
        cell_tag, value_tag, text_tag, row_tag, phonetic_tag, sheet_data_tag = (
            namespace + tag for tag in ("c", "v", "t", "row", "rPh", "sheetData")
        )
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
                            value = _number_text(text)
                        else:
                            value = _serial_text(text, epoch=epoch, duration=duration)
                elif kind == "b":
                    value = ("TRUE" if int(text) else "FALSE") if text else ""
                elif kind == "d":
                    value = _iso_text(text)
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


# --- values -----------------------------------------------------------------------------------


def _number(text: str) -> int | float:
    return float(text) if "." in text or "e" in text or "E" in text else int(text)


def _number_text(text: str) -> str:
    """A number as people typed it: 9 and 7.0 as "9" and "7", 2.50 as "2.5", 1e-05 as is."""
    if "." in text or "e" in text or "E" in text:
        number = float(text)
        if number.is_integer() and abs(number) < 1e16:
            return str(int(number))
        return repr(number)
    return str(int(text))


def _serial_text(text: str, *, epoch: dt.datetime, duration: bool) -> str:
    """A date-styled number as "YYYY-MM-DD HH:MM:SS", a time of day (below 1) as "HH:MM:SS", a
    duration as Python writes a timedelta; "#VALUE!" when Excel could not show it either."""
    serial = _number(text)
    try:
        if duration:
            elapsed = dt.timedelta(days=serial)
            if elapsed.microseconds:
                elapsed = dt.timedelta(
                    seconds=elapsed.total_seconds() // 1,
                    microseconds=round(elapsed.microseconds, -3),
                )
            return str(elapsed)
        day, fraction = divmod(serial, 1)
        time = dt.timedelta(milliseconds=round(fraction * 86_400 * 1000))
        if 0 <= serial < 1 and time.days == 0:
            seconds = time.seconds
            clock = dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60)
            return clock.isoformat(timespec="seconds")
        if 0 < serial < 60 and epoch is _EPOCH_1900:
            day += 1  # Excel counts a 29 February 1900 that never was, from serial 60 on
        moment = epoch + dt.timedelta(days=day) + time
    except (OverflowError, ValueError):
        return "#VALUE!"
    return moment.isoformat(sep=" ", timespec="seconds")


def _iso_text(text: str) -> str:
    """A cell of type "d" (ISO 8601 text) as a date-styled number would read."""
    if not text:
        return ""
    match = _ISO_DATETIME.match(text)
    if match and any(match.groups()):
        parts = {
            key: int(match[key])
            for key in ("year", "month", "day", "hour", "minute", "second")
            if match[key]
        }
        microsecond = int(float(match["fraction"]) * 1_000_000) if match["fraction"] else 0
        clock = dt.time(
            parts.get("hour", 0), parts.get("minute", 0), parts.get("second", 0), microsecond
        )
        if not match["date"]:
            return clock.isoformat(timespec="seconds")
        day = dt.date(parts["year"], parts["month"], parts["day"])
        if not match["time"]:
            return day.isoformat()
        return dt.datetime.combine(day, clock).isoformat(sep=" ", timespec="seconds")
    match = _ISO_DURATION.match(text)
    if match and any(match.groups()):
        amounts = {k: float(v) for k, v in match.groupdict().items() if v}
        return str(dt.timedelta(**amounts))
    raise ValueError(f"{text!r} is not an ISO 8601 date.")
