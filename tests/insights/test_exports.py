import csv
import io

import pytest
from django.http import StreamingHttpResponse

from insights.exports import csv_download, neutralize_cell, safe_filename, write_csv


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+1+1", "'+1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("  =1+1", "'  =1+1"),
        ("\t=1+1", "'\t=1+1"),
        ("\tplain", "'\tplain"),
        ("\r=1+1", "'\r=1+1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("-3", "-3"),
        ("-0.5", "-0.5"),
        (" -12", " -12"),
        ("-1,234.50", "-1,234.50"),
        ("-1e5", "-1e5"),
        (-3, "-3"),
        (2.5, "2.5"),
        (None, ""),
        ("", ""),
        ("Slow exports - again", "Slow exports - again"),
        ("a=b", "a=b"),
    ],
)
def test_neutralize_cell(value, expected):
    # Given a cell value
    # When it is neutralised
    # Then formulas become text and data stays as it was
    assert neutralize_cell(value) == expected


def test_write_csv_writes_utf8_with_bom_and_neutralises_header_and_rows():
    # Given a header with a formula and rows with formulas, numbers and None
    stream = io.StringIO(newline="")

    # When the CSV is written
    write_csv(stream, ["=name", "score"], [["Zoë", -3], ["+1+1", None]])

    # Then it starts with the mark Excel needs and reads back as neutralised text
    text = stream.getvalue()
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:], newline=""))) == [
        ["'=name", "score"],
        ["Zoë", "-3"],
        ["'+1+1", ""],
    ]


def test_csv_download_streams_neutralised_values():
    # Given rows with formula payloads and many rows (more than one chunk)
    rows = [['=HYPERLINK("http://evil","x")', "@SUM(A1)", "-2+3", -3]] + [
        [f"comment {i}", "ok", "-1", i] for i in range(5000)
    ]

    # When they are downloaded
    response = csv_download("Ünïcode report.csv", ["text", "a", "b", "n"], iter(rows))

    # Then it is a streamed UTF-8 attachment that parses back to the neutralised values
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="Unicode_report.csv"'
    assert "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(body, newline="")))
    assert parsed[0] == ["text", "a", "b", "n"]
    assert parsed[1] == ['\'=HYPERLINK("http://evil","x")', "'@SUM(A1)", "'-2+3", "-3"]
    assert parsed[-1] == ["comment 4999", "ok", "-1", "4999"]
    assert len(parsed) == 5002


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd.csv"),
        ('feedback "Q1"\r\n.csv', "feedback_Q1.csv"),
        ("..\\windows\\nps.CSV", "nps.csv"),
        ("日本語", "export.csv"),
        ("", "export.csv"),
    ],
)
def test_safe_filename(name, expected):
    # Given a filename built from user input
    # When it is made safe
    # Then it is a plain ASCII name ending in .csv
    assert safe_filename(name) == expected
