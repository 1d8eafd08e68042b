import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings

from cordee.core.csv import csv_bytes, csv_response, spreadsheet_cell


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+33 6 12", "'+33 6 12"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("   =1+1", "'   =1+1"),
        ("\n@cmd", "'\n@cmd"),
        ("Claire Martin", "Claire Martin"),
        ("a = b", "a = b"),
        ("", ""),
    ],
)
def test_text_that_a_spreadsheet_would_run_gets_an_apostrophe(typed, written):
    assert spreadsheet_cell(typed) == written


def test_numbers_and_dates_written_by_the_application_stay_as_they_are():
    assert spreadsheet_cell(-3) == -3
    assert spreadsheet_cell(Decimal("-12.50")) == Decimal("-12.50")
    assert spreadsheet_cell(date(2026, 4, 1)) == "2026-04-01"
    assert spreadsheet_cell(None) == ""
    assert spreadsheet_cell(True) == "True"


def test_a_csv_response_has_a_bom_semicolons_and_every_cell_defused():
    response = csv_response("export.csv", ["=Name", "Score"], [["=HYPERLINK(1)", 7], ["Bob; Alice", -1]])

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="export.csv"'
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(content[1:]), delimiter=";")) == [
        ["'=Name", "Score"],
        ["'=HYPERLINK(1)", "7"],
        ["Bob; Alice", "-1"],
    ]


def test_csv_bytes_is_the_same_file_as_the_download():
    header, rows = ["=Name", "Score"], [["=HYPERLINK(1)", 7], ["Bob; Alice", -1]]
    content = csv_bytes(header, rows)
    assert content.startswith(b"\xef\xbb\xbf")
    assert content == csv_response("export.csv", header, rows).content


def test_every_csv_export_of_the_code_goes_through_the_one_writer():
    writers = [
        str(path.relative_to(settings.BASE_DIR))
        for path in (settings.BASE_DIR / "cordee").rglob("*.py")
        if "tests" not in path.parts and path.name != "csv.py" and "csv.writer(" in path.read_text()
    ]
    assert writers == []
