"""The one writer of CSV files for spreadsheets: every export goes through `csv_response` (a download) or
`csv_bytes` (a file a background job stores).

UTF-8 with a byte-order mark and `;` separators, as Excel expects in France. Every text cell is defused:
a spreadsheet would run a cell that starts with = + - @ (or a tab or carriage return, even after spaces)
as a formula, so such a cell gets a leading apostrophe and is shown as typed, never run (OWASP's advice on
CSV injection). Numbers and dates written by the application are left as they are.
"""

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SEPARATOR = ";"


def spreadsheet_cell(value) -> str | int | Decimal:
    """A value as a safe cell: text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    text = str(value)
    if text[:1] in FORMULA_STARTS or text.lstrip(" \t\r\n\x0b\x0c")[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def _write(stream, header: Iterable, rows: Iterable[Iterable]) -> None:
    stream.write("\ufeff")
    writer = csv.writer(stream, delimiter=SEPARATOR, lineterminator="\r\n")
    writer.writerow([spreadsheet_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([spreadsheet_cell(cell) for cell in row])


def csv_bytes(header: Iterable, rows: Iterable[Iterable]) -> bytes:
    """The same file as `csv_response`, as UTF-8 bytes (with its byte-order mark)."""
    stream = io.StringIO()
    _write(stream, header, rows)
    return stream.getvalue().encode("utf-8")


def csv_response(filename: str, header: Iterable, rows: Iterable[Iterable]) -> HttpResponse:
    """A CSV download: a header row, then the rows, each cell through `spreadsheet_cell`."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    _write(response, header, rows)
    return response
