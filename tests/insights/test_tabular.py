import codecs
import datetime as dt
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest
from defusedxml.ElementTree import DefusedXMLParser

from insights.tabular import (
    TableInfo,
    TabularError,
    TabularLimits,
    iter_rows,
    read_head,
    sniff_table,
    xlsx,
)

LIMITS = TabularLimits(
    max_bytes=200 * 1024 * 1024,
    max_rows=1_000_000,
    max_columns=500,
    max_cell_chars=100_000,
    xlsx_max_uncompressed=1024 * 1024 * 1024,
    xlsx_max_ratio=100,
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(path: Path, limits: TabularLimits = LIMITS) -> tuple[TableInfo, list]:
    info = sniff_table(path, limits=limits)
    return info, list(iter_rows(path, info, limits=limits))


def error_of(path: Path, limits: TabularLimits = LIMITS) -> str:
    with pytest.raises(TabularError) as caught:
        read_all(path, limits)
    message = str(caught.value)
    assert message[0].isupper()
    assert message.endswith(".")
    return message


def rewrite_members(path: Path, changes: dict) -> None:
    """Replace (or add) XML parts of a workbook: {name: function of the old bytes or None}."""
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    for name, change in changes.items():
        members[name] = change(members.get(name))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)


def workbook(tmp_path: Path, rows: list[list], name: str = "book.xlsx") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def relationships(*targets: tuple[str, str, str]) -> str:
    """A relationships part: (id, type, target) for each."""
    items = "".join(
        f'<Relationship Id="{rid}" Type="{RELATIONSHIPS}/{kind}" Target="{target}"/>'
        for rid, kind, target in targets
    )
    return (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{items}</Relationships>"
    )


def handmade_workbook(
    tmp_path: Path,
    sheet_data: str,
    *,
    shared_strings: str = "",
    styles: str = "",
    workbook_properties: str = "",
    parts: dict[str, str | None] | None = None,
) -> Path:
    """A workbook written part by part as Excel lays one out, for what openpyxl never writes.
    `parts` replaces (or, with None, leaves out) parts by name."""
    members: dict[str, str | None] = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">{workbook_properties}'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": relationships(
            ("rId1", "worksheet", "worksheets/sheet1.xml"),
            ("rId2", "styles", "styles.xml"),
            ("rId3", "sharedStrings", "sharedStrings.xml"),
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{MAIN}"><sheetData>{sheet_data}</sheetData></worksheet>'
        ),
        "xl/styles.xml": f'<styleSheet xmlns="{MAIN}">{styles}</styleSheet>',
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">{shared_strings}</sst>',
        **(parts or {}),
    }
    path = tmp_path / "handmade.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in members.items():
            if xml is not None:
                archive.writestr(name, XML_DECLARATION + xml)
    return path


def inline(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


# --- encodings and delimiters ---------------------------------------------------------------


def test_utf8_without_bom(tmp_path):
    # Given a plain UTF-8 CSV with accents and an emoji
    path = write(tmp_path, "a.csv", "id,comment\n1,Très bien 👍\n2,ok\n".encode())

    # When it is sniffed and read
    info, rows = read_all(path)

    # Then it is UTF-8, comma-separated, and every record comes with its line
    assert info == TableInfo(
        file_type="csv", encoding="utf-8", delimiter=",", size=path.stat().st_size
    )
    assert rows == [(1, ["id", "comment"]), (2, ["1", "Très bien 👍"]), (3, ["2", "ok"])]


def test_utf8_with_bom_drops_the_mark(tmp_path):
    # Given Excel's "CSV UTF-8" export, which starts with a byte order mark
    path = write(tmp_path, "a.csv", b"\xef\xbb\xbfemail,score\r\nann@example.com,9\r\n")

    # When it is read
    info, rows = read_all(path)

    # Then the mark is not part of the first header
    assert info.encoding == "utf-8-sig"
    assert rows == [(1, ["email", "score"]), (2, ["ann@example.com", "9"])]


def test_qualtrics_tsv_is_utf16_le_with_bom_and_tabs(tmp_path):
    # Given a Qualtrics TSV export: UTF-16 LE with a BOM, tab-separated, three header rows
    text = (
        "ResponseId\tQ1\tQ2\r\n"
        "Response ID\tHow likely…?\tWhy, in a few words?\r\n"
        '{"ImportId":"_recordId"}\t{"ImportId":"QID1"}\t{"ImportId":"QID2_TEXT"}\r\n'
        "R_1\t9\tRápido, fácil 😀\r\n"
    )
    path = write(tmp_path, "export.tsv", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))

    # When it is read
    info, rows = read_all(path)

    # Then it is decoded as UTF-16 and split on tabs only, commas staying inside cells
    assert (info.encoding, info.delimiter) == ("utf-16", "\t")
    assert rows[1] == (2, ["Response ID", "How likely…?", "Why, in a few words?"])
    assert rows[2][1][1] == '{"ImportId":"QID1"}'
    assert rows[3] == (4, ["R_1", "9", "Rápido, fácil 😀"])


def test_utf16_without_bom_is_recognised_by_its_nul_bytes(tmp_path):
    # Given UTF-16 LE and BE text without a byte order mark
    text = "name;city\nZoë;Zürich\nAndrés;Málaga\n"
    little = write(tmp_path, "le.csv", text.encode("utf-16-le"))
    big = write(tmp_path, "be.csv", text.encode("utf-16-be"))

    # When they are read
    le_info, le_rows = read_all(little)
    be_info, be_rows = read_all(big)

    # Then both byte orders are recognised and give the same rows
    assert (le_info.encoding, be_info.encoding) == ("utf-16-le", "utf-16-be")
    assert (
        le_rows
        == be_rows
        == [(1, ["name", "city"]), (2, ["Zoë", "Zürich"]), (3, ["Andrés", "Málaga"])]
    )


def test_windows_1252_is_the_fallback(tmp_path):
    # Given a CSV saved by Excel on Windows as "CSV (comma delimited)": cp1252 bytes
    path = write(tmp_path, "a.csv", "text,n\ncafé – naïve “quoted”,1\n".encode("cp1252"))

    # When it is read
    info, rows = read_all(path)

    # Then the en dash and curly quotes come back as they were typed
    assert info.encoding == "cp1252"
    assert rows[1] == (2, ["café – naïve “quoted”", "1"])


def test_late_non_utf8_byte_makes_the_whole_file_cp1252(tmp_path):
    # Given a file that is ASCII for more than the sniffed head, then one cp1252 byte
    path = write(tmp_path, "a.csv", b"a,b\n" + b"x,y\n" * 40_000 + "é,z\n".encode("cp1252"))

    # When it is read
    info, rows = read_all(path)

    # Then the whole file was checked, not just its start
    assert info.encoding == "cp1252"
    assert rows[-1] == (40_002, ["é", "z"])


def test_semicolons_win_over_decimal_commas(tmp_path):
    # Given a European export: semicolons between cells, commas inside numbers
    path = write(tmp_path, "a.csv", b"name;score;ratio\nAnn;3,5;0,25\nBob;4,1;0,75\n")

    # When it is read
    info, rows = read_all(path)

    # Then the delimiter is the semicolon
    assert info.delimiter == ";"
    assert rows[1] == (2, ["Ann", "3,5", "0,25"])


def test_tab_delimiter_in_utf8(tmp_path):
    # Given a UTF-8 TSV whose text contains commas and semicolons
    path = write(tmp_path, "a.tsv", b"id\tcomment\n1\tslow; very slow, really\n2\tfine\n")

    # When it is sniffed
    info = sniff_table(path, limits=LIMITS)

    # Then tabs are the delimiter
    assert info.delimiter == "\t"
    assert read_head(path, info, limits=LIMITS)[1] == (2, ["1", "slow; very slow, really"])


def test_delimiters_inside_quotes_do_not_count(tmp_path):
    # Given a semicolon file whose quoted cells are full of commas
    path = write(tmp_path, "a.csv", b'id;text\n1;"a, b, c, d"\n2;"e, f, g, h"\n3;"i, j, k, l"\n')

    # When it is sniffed
    info = sniff_table(path, limits=LIMITS)

    # Then the commas inside quotes do not make it a comma file
    assert info.delimiter == ";"


def test_single_column_file(tmp_path):
    # Given a file with one column
    path = write(tmp_path, "emails.csv", b"email\nann@example.com\nbob@example.com")

    # When it is read
    info, rows = read_all(path)

    # Then each line is one cell
    assert info.delimiter == ","
    assert rows == [(1, ["email"]), (2, ["ann@example.com"]), (3, ["bob@example.com"])]


def test_quoted_newlines_keep_later_line_numbers_right(tmp_path):
    # Given cells with quoted line breaks (LF and CRLF), a blank line and an all-blank record
    data = b'id,text\n1,"first\nsecond\r\nthird"\n\n2,plain\n,\n3,"a ""quote"""\n'
    path = write(tmp_path, "a.csv", data)

    # When it is read
    _info, rows = read_all(path)

    # Then the multi-line cell stays whole, blank records are skipped and lines are physical lines
    assert rows == [
        (1, ["id", "text"]),
        (2, ["1", "first\nsecond\r\nthird"]),
        (6, ["2", "plain"]),
        (8, ["3", 'a "quote"']),
    ]


def test_rows_of_other_widths_are_yielded_as_they_are(tmp_path):
    # Given records shorter and longer than the header
    path = write(tmp_path, "a.csv", b"a,b,c\n1\n1,2,3,4\n")

    # When it is read
    _info, rows = read_all(path)

    # Then the format layer gets them unchanged, to reject row by row
    assert rows == [(1, ["a", "b", "c"]), (2, ["1"]), (3, ["1", "2", "3", "4"])]


def test_read_head_returns_the_first_records_only(tmp_path):
    # Given a long file
    path = write(tmp_path, "a.csv", b"n\n" + b"".join(b"%d\n" % i for i in range(1000)))
    info = sniff_table(path, limits=LIMITS)

    # When its head is read
    head = read_head(path, info, limits=LIMITS, rows=3)

    # Then only the first three records come back
    assert head == [(1, ["n"]), (2, ["0"]), (3, ["1"])]


def test_limits_come_from_settings(settings):
    # Given import limits in the settings
    settings.BACKLIGHT_IMPORT_MAX_ROWS = 7
    settings.BACKLIGHT_IMPORT_MAX_COLUMNS = 8

    # When limits are built from them
    limits = TabularLimits.from_settings()

    # Then they carry the settings' values
    assert (limits.max_rows, limits.max_columns) == (7, 8)
    assert limits.xlsx_max_ratio == settings.BACKLIGHT_IMPORT_XLSX_MAX_RATIO


# --- xlsx -----------------------------------------------------------------------------------------


RECEIVED = dt.datetime(2024, 3, 1, 14, 5, 9)  # noqa: DTZ001 - Excel cells have no time zone


def test_xlsx_numbers_dates_and_blanks(tmp_path):
    # Given a workbook with ints, floats, dates, booleans, blank cells and a blank row
    path = workbook(
        tmp_path,
        [
            ["id", "score", "ratio", "received", "day", "flag", "note"],
            [1, 9, 2.50, RECEIVED, dt.date(2024, 3, 2), True, None],
            [],
            [2, 7.0, 1e-05, None, None, False, "  trailing text  "],
            [3, None, None, None, None, None, None],
        ],
    )

    # When it is read
    info, rows = read_all(path)

    # Then values are strings as people typed them and row numbers are the sheet's
    assert info == TableInfo(
        file_type="xlsx", encoding=None, delimiter=None, size=path.stat().st_size
    )
    assert rows == [
        (1, ["id", "score", "ratio", "received", "day", "flag", "note"]),
        (2, ["1", "9", "2.5", "2024-03-01 14:05:09", "2024-03-02 00:00:00", "TRUE", ""]),
        (4, ["2", "7", "1e-05", "", "", "FALSE", "  trailing text  "]),
        (5, ["3", "", "", "", "", "", ""]),
    ]


def test_xlsx_blank_rows_at_the_top_keep_sheet_row_numbers(tmp_path):
    # Given a sheet whose table starts on row 3
    book = openpyxl.Workbook()
    book.active["A3"] = "email"
    book.active["A4"] = "ann@example.com"
    path = tmp_path / "book.xlsx"
    book.save(path)

    # When it is read
    _info, rows = read_all(path)

    # Then the rows keep their sheet numbers
    assert rows == [(3, ["email"]), (4, ["ann@example.com"])]


XXE_DOCTYPE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'
SHARED_STRINGS_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
SST = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '


def test_xlsx_with_external_entity_in_shared_strings_is_refused(tmp_path):
    # Given a real workbook whose shared strings declare an entity that reads a local file
    secret = write(tmp_path, "secret.txt", b"TOP-SECRET")
    path = workbook(tmp_path, [["comment"], ["hello"]])
    doctype = XXE_DOCTYPE.format(secret=secret)
    rewrite_members(
        path,
        {
            "xl/sharedStrings.xml": lambda _: (
                f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
                f'{SST}uniqueCount="1"><si><t>&xxe;</t></si></sst>'
            ).encode(),
            "[Content_Types].xml": lambda xml: xml.replace(
                b"</Types>", SHARED_STRINGS_TYPE.encode()
            ),
            "xl/worksheets/sheet1.xml": lambda xml: xml.replace(
                b'<c r="A2" t="inlineStr"><is><t>hello</t></is></c>',
                b'<c r="A2" t="s"><v>0</v></c>',
            ),
        },
    )

    # When it is sniffed (zip metadata only) and then read
    info = sniff_table(path, limits=LIMITS)
    with pytest.raises(TabularError) as caught:
        read_head(path, info, limits=LIMITS)

    # Then reading stops on the entity, and the file's content never became a cell
    assert str(caught.value) == (
        "The spreadsheet contains XML features that are not allowed (external entities)."
    )
    assert "TOP-SECRET" not in repr(caught.value.__cause__)


def test_xlsx_with_external_entity_in_a_sheet_is_refused(tmp_path):
    # Given a real workbook whose sheet XML declares and uses an external entity
    secret = write(tmp_path, "secret.txt", b"TOP-SECRET")
    path = workbook(tmp_path, [["comment"], ["hello"]])
    doctype = XXE_DOCTYPE.format(secret=secret).encode()
    rewrite_members(
        path,
        {
            "xl/worksheets/sheet1.xml": lambda xml: (
                doctype + xml.replace(b"<t>hello</t>", b"<t>&xxe;</t>")
            )
        },
    )

    # When it is read
    message = error_of(path)

    # Then reading stops on the entity
    assert message == (
        "The spreadsheet contains XML features that are not allowed (external entities)."
    )


def test_xlsx_with_entity_expansion_is_refused(tmp_path):
    # Given a sheet with a "billion laughs" internal entity
    path = workbook(tmp_path, [["comment"], ["hello"]])
    laughs = b'<!DOCTYPE x [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    rewrite_members(
        path,
        {"xl/worksheets/sheet1.xml": lambda xml: laughs + xml.replace(b"hello", b"&b;")},
    )

    # When it is read
    # Then it is refused too
    assert error_of(path) == (
        "The spreadsheet contains XML features that are not allowed (entity or DTD declarations)."
    )


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> Path:
    """An .xlsx whose sheet is 200 MB of zeros, deflated to under 1 MB (fast level)."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        zeros = bytes(8 * 1024 * 1024)
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(25):
                member.write(zeros)
    return path


@pytest.fixture
def no_inflating(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a zip member was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)


def test_zip_bomb_is_refused_by_its_ratio_without_inflating(zip_bomb, no_inflating):
    # Given a 200 MB member compressed to a few hundred kilobytes
    # When it is sniffed, and even when iter_rows is called on it directly
    message = error_of(zip_bomb)
    with pytest.raises(TabularError):
        next(iter_rows(zip_bomb, TableInfo("xlsx", None, None, 0), limits=LIMITS))

    # Then the zip metadata alone refused it
    assert message.startswith("This spreadsheet would expand ")
    assert "more than the limit of 100 times" in message


def test_zip_bomb_is_refused_by_its_uncompressed_size(zip_bomb, no_inflating):
    # Given an inflate limit below the member's stated size
    limits = TabularLimits(**{**LIMITS.__dict__, "xlsx_max_uncompressed": 100 * 1024 * 1024})

    # When it is sniffed
    message = error_of(zip_bomb, limits)

    # Then the message gives the size and the limit
    assert message == (
        "This spreadsheet would expand to 200 MB when opened, more than the 100 MB limit."
    )


def test_zip_that_is_not_a_workbook(tmp_path):
    # Given a zip of text files renamed .xlsx
    path = tmp_path / "notes.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")

    # When it is sniffed
    # Then it is refused as a plain archive
    assert error_of(path) == "This file is a ZIP archive, not a CSV, TSV or XLSX export."


def test_damaged_workbook_is_refused_when_read(tmp_path):
    # Given a workbook whose sheet XML was cut off
    path = workbook(tmp_path, [["a"], ["b"]])
    rewrite_members(path, {"xl/worksheets/sheet1.xml": lambda xml: xml[: len(xml) // 2]})

    # When it is read
    message = error_of(path)

    # Then the message says it is damaged and what to do
    assert message.startswith("The spreadsheet cannot be read: it is damaged")


def test_xlsx_rich_text_shared_strings(tmp_path):
    # Given shared strings: plain, in formatted runs, and with a phonetic guide
    strings = (
        "<si><t>plain</t></si>"
        '<si><r><rPr><b/></rPr><t>Bold</t></r><r><t xml:space="preserve"> and not</t></r></si>'
        '<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh><phoneticPr fontId="1"/></si>'
    )
    cells = "".join(f'<c r="{c}1" t="s"><v>{i}</v></c>' for i, c in enumerate("ABC"))
    path = handmade_workbook(tmp_path, f'<row r="1">{cells}</row>', shared_strings=strings)

    # When it is read
    _info, rows = read_all(path)

    # Then runs are joined and the reading aid is left out
    assert rows == [(1, ["plain", "Bold and not", "東京"])]


def test_xlsx_inline_strings_formula_results_booleans_and_errors(tmp_path):
    # Given inline strings (one in runs), formulas with text and number results, booleans and
    # error values
    cells = (
        inline("A1", "inline &amp; escaped")
        + '<c r="B1" t="inlineStr"><is><r><t>in</t></r><r><t>line</t></r></is></c>'
        + '<c r="C1" t="str"><f>CONCAT("a","b")</f><v>ab</v></c>'
        + '<c r="D1"><f>1+1</f><v>2</v></c>'
        + '<c r="E1" t="b"><v>1</v></c>'
        + '<c r="F1" t="b"><v>0</v></c>'
        + '<c r="G1" t="e"><v>#N/A</v></c>'
        + '<c r="H1" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
    )
    path = handmade_workbook(tmp_path, f'<row r="1">{cells}</row>')

    # When it is read
    _info, rows = read_all(path)

    # Then each cell reads as Excel shows it, never as its formula
    assert rows == [
        (1, ["inline & escaped", "inline", "ab", "2", "TRUE", "FALSE", "#N/A", "#DIV/0!"])
    ]


DATE_STYLES = (
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd hh:mm"/>'
    '<numFmt numFmtId="165" formatCode="0.0 &quot;days&quot;"/>'
    '<numFmt numFmtId="166" formatCode="[Red]#,##0;[Blue]\\-#,##0"/></numFmts>'
    '<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>'
    '<cellXfs count="7"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="22"/>'
    '<xf numFmtId="164"/><xf numFmtId="21"/><xf numFmtId="165"/><xf numFmtId="166"/></cellXfs>'
    '<dxfs count="1"><dxf><numFmt numFmtId="167" formatCode="yyyy"/></dxf></dxfs>'
)
SERIAL_RECEIVED = repr(45352 + (14 * 3600 + 5 * 60 + 9) / 86400)  # 2024-03-01 14:05:09


def test_xlsx_date_styled_numbers(tmp_path):
    # Given numbers styled with built-in and custom date and time formats, and with custom
    # formats that only look like dates (quoted "days", a [Red] colour)
    cells = (
        '<c r="A1" s="1"><v>45352</v></c>'
        f'<c r="B1" s="2"><v>{SERIAL_RECEIVED}</v></c>'
        f'<c r="C1" s="3"><v>{SERIAL_RECEIVED}</v></c>'
        '<c r="D1" s="4"><v>0.5</v></c>'
        '<c r="E1" s="5"><v>2.5</v></c>'
        '<c r="F1" s="6"><v>3</v></c>'
        '<c r="G1" s="0"><v>45352</v></c>'
    )
    path = handmade_workbook(tmp_path, f'<row r="1">{cells}</row>', styles=DATE_STYLES)

    # When it is read
    _info, rows = read_all(path)

    # Then dates and times are written out, and the other numbers stay numbers
    assert rows == [
        (
            1,
            [
                "2024-03-01 00:00:00",
                "2024-03-01 14:05:09",
                "2024-03-01 14:05:09",
                "12:00:00",
                "2.5",
                "3",
                "45352",
            ],
        )
    ]


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        ("1", "1900-01-01 00:00:00"),
        ("59", "1900-02-28 00:00:00"),
        ("61", "1900-03-01 00:00:00"),  # Excel's 60 is 29 February 1900, which never was
        ("3000000", "#VALUE!"),  # after the year 9999
    ],
)
def test_xlsx_1900_date_system_and_its_leap_year_bug(tmp_path, serial, expected):
    # Given a date-styled serial around Excel's phantom 29 February 1900
    path = handmade_workbook(
        tmp_path, f'<row r="1"><c r="A1" s="1"><v>{serial}</v></c></row>', styles=DATE_STYLES
    )

    # When it is read
    _info, rows = read_all(path)

    # Then it is the date Excel shows
    assert rows == [(1, [expected])]


def test_xlsx_1904_date_system(tmp_path):
    # Given a workbook saved with the 1904 date system (old Mac Excel)
    path = handmade_workbook(
        tmp_path,
        '<row r="1"><c r="A1" s="1"><v>43890</v></c><c r="B1" s="2"><v>1.5</v></c></row>',
        styles=DATE_STYLES,
        workbook_properties='<workbookPr date1904="1"/>',
    )

    # When it is read
    _info, rows = read_all(path)

    # Then serials count from 1 January 1904
    assert rows == [(1, ["2024-03-01 00:00:00", "1904-01-02 12:00:00"])]


def test_xlsx_sparse_rows_and_cells(tmp_path):
    # Given a sheet that stores only the cells that hold something, in rows that are not
    # consecutive, some without a reference (each follows the one before)
    path = handmade_workbook(
        tmp_path,
        '<row r="2">'
        + inline("A2", "id")
        + inline("B2", "a")
        + inline("C2", "b")
        + inline("D2", "c")
        + "</row>"
        '<row r="5"><c r="A5"><v>1</v></c><c r="D5"><v>4</v></c></row>'
        '<row r="7"><c r="C7"><v>3</v></c></row>'
        '<row><c r="A8"><v>8</v></c><c><v>9</v></c></row>'
        '<row r="9"><c r="F9" s="0"/></row>'
        '<row r="10"><c r="A10"><v>10</v></c><c r="F10" s="0"/></row>',
    )

    # When it is read
    _info, rows = read_all(path)

    # Then the gaps are empty cells, blank rows are skipped and every row has the header's width
    assert rows == [
        (2, ["id", "a", "b", "c"]),
        (5, ["1", "", "", "4"]),
        (7, ["", "", "3", ""]),
        (8, ["8", "9", "", ""]),
        (10, ["10", "", "", ""]),
    ]


def test_xlsx_first_sheet_is_found_through_the_workbook(tmp_path):
    # Given a workbook whose first worksheet is not sheet1.xml: a chart sheet comes first, then
    # "Responses" (stored as responses.xml, an absolute target), then "Notes" (sheet1.xml)
    sheets = (
        '<sheet name="Chart" sheetId="3" r:id="rId3"/>'
        '<sheet name="Responses" sheetId="2" r:id="rId7"/>'
        '<sheet name="Notes" sheetId="1" r:id="rId1"/>'
    )
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData>{{}}</sheetData></worksheet>'
    path = handmade_workbook(
        tmp_path,
        '<row r="1">' + inline("A1", "notes") + "</row>",
        parts={
            "xl/workbook.xml": (
                f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>{sheets}</sheets>'
                "</workbook>"
            ),
            "xl/_rels/workbook.xml.rels": relationships(
                ("rId1", "worksheet", "worksheets/sheet1.xml"),
                ("rId3", "chartsheet", "chartsheets/sheet1.xml"),
                ("rId7", "worksheet", "/xl/worksheets/responses.xml"),
            ),
            "xl/chartsheets/sheet1.xml": f'<chartsheet xmlns="{MAIN}"/>',
            "xl/worksheets/responses.xml": sheet.format(
                '<row r="1">' + inline("A1", "responses") + "</row>"
            ),
        },
    )

    # When it is read
    _info, rows = read_all(path)

    # Then the rows are the first worksheet's in the workbook's order
    assert rows == [(1, ["responses"])]


def test_xlsx_without_workbook_part_falls_back_to_sheet1(tmp_path):
    # Given a workbook without xl/workbook.xml or its relationships
    path = handmade_workbook(
        tmp_path,
        '<row r="1">' + inline("A1", "only") + "</row>",
        parts={"xl/workbook.xml": None, "xl/_rels/workbook.xml.rels": None},
    )

    # When it is read
    _info, rows = read_all(path)

    # Then the conventional first sheet is read
    assert rows == [(1, ["only"])]


def test_xlsx_without_any_worksheet(tmp_path):
    # Given a workbook whose only sheet is missing
    path = handmade_workbook(tmp_path, "", parts={"xl/worksheets/sheet1.xml": None})

    # Then it is refused
    assert error_of(path) == "The spreadsheet has no worksheet."


def test_xlsx_row_wider_than_the_limit_is_refused_at_its_first_cell_too_far(tmp_path):
    # Given a cell in column SH (502) and a limit of 500 columns
    path = handmade_workbook(tmp_path, '<row r="3"><c r="SH3"><v>1</v></c></row>')

    # Then the row is refused with its number
    assert error_of(path) == "Line 3 has more than 500 columns; the limit is 500."


def test_xlsx_cell_over_the_limit_is_refused_while_it_is_read(tmp_path):
    # Given an inline string one character longer than the cell limit
    path = handmade_workbook(tmp_path, '<row r="2">' + inline("B2", "y" * 100_001) + "</row>")

    # Then it is refused on its row
    assert error_of(path) == "Line 2 has a cell of more than 100,000 characters."


def test_every_xlsx_part_is_parsed_by_defusedxml(tmp_path, monkeypatch):
    # Given a workbook with styles and shared strings, and a record of what parses each part
    path = handmade_workbook(
        tmp_path,
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
        shared_strings="<si><t>a</t></si>",
    )
    parsed = []
    parse = xlsx._Parser.parse

    def recorded(parser, archive, name):
        parsed.append(name)
        return parse(parser, archive, name)

    monkeypatch.setattr(xlsx._Parser, "parse", recorded)

    # When it is read
    _info, rows = read_all(path)

    # Then every part went through defusedxml's parser
    assert rows == [(1, ["a"])]
    assert issubclass(xlsx._Parser, DefusedXMLParser)
    assert sorted(parsed) == [
        "xl/_rels/workbook.xml.rels",
        "xl/sharedStrings.xml",
        "xl/styles.xml",
        "xl/workbook.xml",
        "xl/worksheets/sheet1.xml",
    ]


@pytest.mark.parametrize(
    ("part", "doctype", "feature"),
    [
        ("xl/styles.xml", XXE_DOCTYPE.format(secret="/etc/passwd"), "external entities"),
        ("xl/styles.xml", '<!DOCTYPE s [<!ENTITY a "lol">]>', "entity or DTD declarations"),
        ("xl/workbook.xml", "<!DOCTYPE workbook>", "entity or DTD declarations"),
        ("xl/workbook.xml", '<!DOCTYPE w SYSTEM "http://example.com/w.dtd">', "external entities"),
        ("xl/_rels/workbook.xml.rels", "<!DOCTYPE r []>", "entity or DTD declarations"),
        ("xl/sharedStrings.xml", "<!DOCTYPE sst>", "entity or DTD declarations"),
    ],
)
def test_xlsx_with_a_dtd_in_any_part_is_refused(tmp_path, part, doctype, feature):
    # Given a workbook with a document type declaration in one of its parts
    path = handmade_workbook(
        tmp_path,
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
        shared_strings="<si><t>a</t></si>",
    )
    rewrite_members(path, {part: lambda xml: xml.replace(b"?>\n", f"?>{doctype}".encode(), 1)})

    # When it is read
    message = error_of(path)

    # Then it is refused, naming the worst feature declared
    assert message == f"The spreadsheet contains XML features that are not allowed ({feature})."


@pytest.mark.parametrize(
    ("part", "change"),
    [
        (
            "xl/worksheets/sheet1.xml",
            lambda xml: xml.replace(b"<sheetData>", b"<!DOCTYPE x><sheetData>"),
        ),
        ("xl/worksheets/sheet1.xml", lambda xml: xml.replace(b"<v>1</v>", b"<v>&xxe;</v>")),
        ("xl/styles.xml", lambda xml: xml.replace(b"</styleSheet>", b"<cellXfs>")),
        ("xl/workbook.xml", lambda xml: xml[: len(xml) // 2]),
        ("xl/worksheets/sheet1.xml", lambda xml: xml.replace(b"<v>1</v>", b"<v>one</v>")),
        ("xl/worksheets/sheet1.xml", lambda xml: xml.replace(b'r="A1"', b'r="1A"')),
        ("xl/worksheets/sheet1.xml", lambda xml: xml.replace(b'<c r="A1">', b'<c r="A1" t="s">')),
    ],
)
def test_xlsx_with_a_malformed_part_is_refused_as_damaged(tmp_path, part, change):
    # Given a workbook with a malformed part: a DTD after the root, an entity never declared,
    # unclosed or cut-off XML, a number that is not one, a bad cell reference, a shared string
    # that does not exist
    path = handmade_workbook(tmp_path, '<row r="1"><c r="A1"><v>1</v></c></row>')
    rewrite_members(path, {part: change})

    # When it is read
    message = error_of(path)

    # Then it is refused with the same clear sentence
    assert message.startswith("The spreadsheet cannot be read: it is damaged")


# --- files that can never be imported --------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "The file is empty."),
        (b"  \r\n\t\n   ", "The file is empty: it holds only blank space."),
        (b"\xef\xbb\xbf\n\n", "The file is empty: it holds only blank space."),
        (b"\xff\xfe" + " \n".encode("utf-16-le"), "The file is empty: it holds only blank space."),
    ],
)
def test_empty_and_blank_files(tmp_path, data, expected):
    # Given an empty or blank file
    path = write(tmp_path, "a.csv", data)

    # When it is sniffed
    # Then it is refused as empty
    assert error_of(path) == expected


def test_pdf_renamed_csv(tmp_path):
    # Given a PDF renamed to .csv
    path = write(tmp_path, "report.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")

    # Then it is named for what it is
    assert error_of(path) == "This file is a PDF, not a CSV, TSV or XLSX export."


def test_old_binary_excel(tmp_path):
    # Given an Excel 97-2003 workbook
    path = write(tmp_path, "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))

    # Then the message says what to save it as
    message = error_of(path)
    assert message.startswith("This file is an old Excel workbook (.xls)")
    assert "save it as XLSX or CSV" in message


def test_random_binary(tmp_path):
    # Given random bytes
    path = write(tmp_path, "noise.csv", random.Random(7).randbytes(4096))

    # Then it is refused as binary
    assert error_of(path) == "This file is binary data, not a CSV, TSV or XLSX export."


def test_html_page_saved_as_xls_export(tmp_path):
    # Given an "Excel export" that is really a web page
    path = write(tmp_path, "export.csv", b"\n<!DOCTYPE html>\n<html><table></table></html>\n")

    # Then it is named for what it is
    assert error_of(path) == "This file is a web page (HTML), not a CSV, TSV or XLSX export."


def test_size_over_limit(tmp_path):
    # Given a 3 MB file and a 2 MB limit
    path = write(tmp_path, "big.csv", b"a\n" * (3 * 1024 * 1024 // 2))
    limits = TabularLimits(**{**LIMITS.__dict__, "max_bytes": 2 * 1024 * 1024})

    # Then the message gives the size and the limit in MB
    assert error_of(path, limits) == "This file is 3 MB, more than the 2 MB limit."


def test_undecodable_bytes(tmp_path):
    # Given bytes that are neither UTF-8 nor Windows-1252 (0x81 is unassigned in cp1252)
    path = write(tmp_path, "a.csv", b"name,city\nAnn,M\x81nchen\n")

    # Then the message names the byte and where it is
    assert error_of(path) == (
        "The file is not valid text in UTF-8, UTF-16 or Windows-1252 (byte 0x81 at position 15)."
    )


def test_undecodable_utf16_found_mid_file(tmp_path):
    # Given UTF-16 text with a lone surrogate far after the sniffed head
    good = "id\tcomment\n" + "1\tfine\n" * 20_000
    path = write(tmp_path, "a.tsv", b"\xff\xfe" + good.encode("utf-16-le") + b"\x00\xd8x\x00")

    # When it is read to the end
    message = error_of(path)

    # Then the message gives the position of the bad bytes
    assert (
        message
        == f"The file is not valid UTF-16 text (byte 0x00 at position {2 + 2 * len(good):,})."
    )


def test_nul_in_the_middle_of_text(tmp_path):
    # Given a text file with a NUL byte after the sniffed head
    path = write(tmp_path, "a.csv", b"a,b\n" + b"x,y\n" * 20_000 + b"bad,\x00\n")

    # Then reading stops on its line
    assert error_of(path) == "Line 20,002 contains a NUL character: the file is damaged or binary."


@pytest.mark.parametrize("ending", [b"", b"\n"])
def test_truncated_file_ends_inside_quotes(tmp_path, ending):
    # Given a file cut off inside a multi-line quoted cell that starts on line 4
    data = b'id,text\n1,"ok"\n2,"also\nok"\n3,"this one\nwas cut' + ending
    path = write(tmp_path, "a.csv", data)

    # Then the message names the line where the cell starts
    assert error_of(path) == (
        "The file ends inside a quoted cell that starts on line 5: it looks truncated."
    )


def test_ten_thousand_columns(tmp_path):
    # Given a record with 10,000 cells
    path = write(tmp_path, "wide.csv", b"a,b\n" + b",".join([b"x"] * 10_000) + b"\n")

    # Then the message gives the line, the count and the limit
    assert error_of(path) == "Line 2 has 10,000 columns; the limit is 500."


def test_a_huge_line_of_quoted_empty_cells_is_refused_before_parsing(tmp_path):
    # Given one line of 300,000 quoted empty cells (longer than any cell may be)
    path = write(tmp_path, "wide.csv", b"a,b\n" + b'"",' * 300_000 + b"\n")

    # Then it is refused by counting delimiters outside quotes
    assert error_of(path) == "Line 2 has more than 500 columns; the limit is 500."


def test_fifty_megabyte_cell(tmp_path):
    # Given a 50 MB quoted cell
    path = tmp_path / "huge.csv"
    with path.open("wb") as file:
        file.write(b'id,text\n1,"')
        block = b"x" * (1024 * 1024)
        for _ in range(50):
            file.write(block)
        file.write(b'"\n')

    # Then the message gives the line and the limit
    assert error_of(path) == "Line 2 has a cell of more than 100,000 characters."


def test_cell_just_over_the_limit(tmp_path):
    # Given a cell one character longer than the limit
    path = write(tmp_path, "a.csv", b"id,text\n1,ok\n2," + b"y" * 100_001 + b"\n")

    # Then it is refused on its line
    assert error_of(path) == "Line 3 has a cell of more than 100,000 characters."


def test_too_many_rows(tmp_path):
    # Given eleven records and a limit of ten
    path = write(tmp_path, "a.csv", b"n\n" + b"".join(b"%d\n" % i for i in range(10)))
    limits = TabularLimits(**{**LIMITS.__dict__, "max_rows": 10})

    # Then the message gives the limit
    assert error_of(path, limits) == "The file has more than 10 rows; the limit is 10."


def test_xlsx_limits_apply_too(tmp_path):
    # Given a workbook with three records and a limit of two
    path = workbook(tmp_path, [["a"], ["1"], ["2"]])
    limits = TabularLimits(**{**LIMITS.__dict__, "max_rows": 2})

    # Then it is refused like a CSV would be
    assert error_of(path, limits) == "The file has more than 2 rows; the limit is 2."
